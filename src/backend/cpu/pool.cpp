// 2-D max, average and adaptive average pooling on the CPU.
//
// float32 max and average pooling run oneDNN's pooling primitives (JIT, cached by shape): at
// the CNN's shapes they are 15-20x faster than the loops below, whose data-dependent
// comparisons mispredict (docs/benchmarks.md, W5cnn). Max pooling's indices come from the
// primitive's workspace, which holds each output's tap within its window (kh * kW + kw,
// u8 or s32) — checked against the loops by tests/ops/pool_test.cpp for every case there.
// oneDNN skips NaN where PyTorch lets it win, so an input holding NaN goes to the loops.
//
// The loops (float64, adaptive pooling, NaN inputs, average windows that ceil_mode extends past
// the padding, whose divisor differs from oneDNN's) run one (sample, channel) plane per
// iteration, planes split across threads, over the window math of kernels/conv_params.hpp
// (max_pool_at, avg_window_2d) that the CUDA kernels share. Max pooling's backward always
// routes through the int64 indices.
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "backend/floating_dispatch.hpp"
#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "onednn.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using kernels::AvgWindow2d;

struct PlaneShape {
  std::int64_t planes, h, w, oh, ow;
};

PlaneShape plane_shape(const Tensor& x_like, const Tensor& out_like) {
  return {x_like.size(0) * x_like.size(1), x_like.size(2), x_like.size(3), out_like.size(2), out_like.size(3)};
}

AvgWindow2d window_2d(PoolOp op, const Pool2dParams& p, const PlaneShape& s, std::int64_t y, std::int64_t x) {
  return kernels::avg_window_2d(op, p, s.h, s.w, s.oh, s.ow, y, x);
}

template <class T>
void max_forward(const Pool2dParams& p, const PlaneShape& s, const T* in, T* out, std::int64_t* indices) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      const T* src = in + plane * s.h * s.w;
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const std::int64_t o = (plane * s.oh + y) * s.ow + x;
          T best = -std::numeric_limits<T>::infinity();
          indices[o] = kernels::max_pool_at(src, s.h, s.w, p, y, x, &best);
          out[o] = best;
        }
      }
    }
  });
}

template <class T>
void max_backward(const PlaneShape& s, const T* grad_out, const std::int64_t* indices, T* grad_in) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      T* dst = grad_in + plane * s.h * s.w;
      std::fill(dst, dst + s.h * s.w, T(0));
      for (std::int64_t o = plane * s.oh * s.ow; o < (plane + 1) * s.oh * s.ow; ++o) {
        if (indices[o] >= 0) dst[indices[o]] += grad_out[o];
      }
    }
  });
}

template <class T>
void avg_forward(PoolOp op, const Pool2dParams& p, const PlaneShape& s, const T* in, T* out) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      const T* src = in + plane * s.h * s.w;
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const AvgWindow2d win = window_2d(op, p, s, y, x);
          T sum = 0;
          for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
            for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) sum += src[iy * s.w + ix];
          }
          const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
          out[(plane * s.oh + y) * s.ow + x] = divisor > 0 ? sum / static_cast<T>(divisor) : T(0);
        }
      }
    }
  });
}

template <class T>
void avg_backward(PoolOp op, const Pool2dParams& p, const PlaneShape& s, const T* grad_out, T* grad_in) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      T* dst = grad_in + plane * s.h * s.w;
      std::fill(dst, dst + s.h * s.w, T(0));
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const AvgWindow2d win = window_2d(op, p, s, y, x);
          const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
          if (divisor <= 0) continue;
          const T g = grad_out[(plane * s.oh + y) * s.ow + x] / static_cast<T>(divisor);
          for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
            for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) dst[iy * s.w + ix] += g;
          }
        }
      }
    }
  });
}

// --- oneDNN, float32 ------------------------------------------------------------------------

using dnnl::memory;

/// N C H W, OH OW, kernel, stride, dilation, pad begin, pad end (2 each), algorithm.
using PoolKey = std::array<std::int64_t, 17>;

enum PoolAlgorithm : std::int64_t { kMaxPool, kAvgIncludePad, kAvgExcludePad };

PoolKey make_key(PoolOp op, const Pool2dParams& p, const Tensor& x, const Tensor& out) {
  PoolKey k{x.size(0), x.size(1), x.size(2), x.size(3), out.size(2), out.size(3)};
  for (int d = 0; d < 2; ++d) {
    k[6 + d] = p.kernel[d];
    k[8 + d] = p.stride[d];
    k[10 + d] = p.dilation[d];
    k[12 + d] = p.padding[d];
    // The end padding that makes oneDNN produce out's size (more than padding under ceil_mode).
    k[14 + d] = (out.size(2 + d) - 1) * p.stride[d] + p.dilation[d] * (p.kernel[d] - 1) + 1 - x.size(2 + d) -
                p.padding[d];
  }
  k[16] = op == PoolOp::kMax ? kMaxPool : (p.count_include_pad ? kAvgIncludePad : kAvgExcludePad);
  return k;
}

/// Whether oneDNN computes what the loops would: float32, not adaptive, and for averages no
/// window past the padding (there torch's divisor stops at the padded edge, oneDNN's does not).
bool onednn_pools(PoolOp op, const Tensor& x, const PoolKey& k) {
  if (x.dtype() != DType::kFloat32 || op == PoolOp::kAdaptiveAvg) return false;
  return op == PoolOp::kMax || (k[14] <= k[12] && k[15] <= k[13]);
}

dnnl::algorithm algorithm_of(const PoolKey& k) {
  switch (k[16]) {
    case kMaxPool: return dnnl::algorithm::pooling_max;
    case kAvgIncludePad: return dnnl::algorithm::pooling_avg_include_padding;
    default: return dnnl::algorithm::pooling_avg_exclude_padding;
  }
}

struct PoolEntry {
  dnnl::pooling_v2_forward::primitive_desc fwd_pd;
  dnnl::pooling_v2_forward fwd;
  std::optional<dnnl::pooling_v2_backward::primitive_desc> bwd_pd;
  std::optional<dnnl::pooling_v2_backward> bwd;
};

/// The cached primitives of the pooling `key`, with its backward one when `backward`.
PoolEntry& pool_primitives(const PoolKey& key, bool backward) {
  static onednn::PrimitiveCache<17, PoolEntry> cache;
  const memory::desc src({key[0], key[1], key[2], key[3]}, memory::data_type::f32, memory::format_tag::nchw);
  const memory::desc dst({key[0], key[1], key[4], key[5]}, memory::data_type::f32, memory::format_tag::nchw);
  const memory::dims kernel{key[6], key[7]}, strides{key[8], key[9]}, dilation{key[10] - 1, key[11] - 1},
      pad_l{key[12], key[13]}, pad_r{key[14], key[15]};
  const auto make = [&] {
    const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_training, algorithm_of(key), src, dst, strides,
                                              kernel, dilation, pad_l, pad_r);
    dnnl::pooling_v2_forward::primitive_desc pd(desc, onednn::user_scratchpad(), onednn::engine());
    return PoolEntry{pd, dnnl::pooling_v2_forward(pd), {}, {}};
  };
  const auto complete = [&](PoolEntry& e) {
    if (!backward || e.bwd) return;
    const dnnl::pooling_v2_backward::desc desc(algorithm_of(key), src, dst, strides, kernel, dilation, pad_l, pad_r);
    e.bwd_pd.emplace(desc, onednn::user_scratchpad(), onednn::engine(), e.fwd_pd);
    e.bwd.emplace(*e.bwd_pd);
  };
  return cache.get(key, make, complete);
}

template <class F>
void with_onednn_errors(const PoolKey& k, const F& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    detail::fail<Error>("[pool2d] oneDNN failed (status {}): {}; input (N, C, H, W) = ({}, {}, {}, {}), kernel "
                        "({}, {}), stride ({}, {})",
                        static_cast<int>(e.status), e.what(), k[0], k[1], k[2], k[3], k[6], k[7], k[8], k[9]);
  }
}

bool has_nan(const float* data, std::int64_t n) {
  std::int64_t nans = 0;
#pragma omp parallel for reduction(+ : nans) schedule(static) if (n > cpu::kGrain)
  for (std::int64_t i = 0; i < n; ++i) nans += data[i] != data[i] ? 1 : 0;  // vectorises; no early exit
  return nans > 0;
}

/// The flat input position of each output from the tap index oneDNN's workspace holds.
template <class Tap>
void indices_from_workspace(const PoolKey& k, const Tap* taps, std::int64_t* indices) {
  const std::int64_t planes = k[0] * k[1], w = k[3], oh = k[4], ow = k[5];
  std::vector<std::int64_t> tap_offset(static_cast<std::size_t>(k[6] * k[7]));  // from the window's corner
  for (std::int64_t t = 0; t < k[6] * k[7]; ++t) {
    tap_offset[static_cast<std::size_t>(t)] = t / k[7] * k[10] * w + t % k[7] * k[11];
  }
  cpu::parallel_for(0, planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      for (std::int64_t y = 0; y < oh; ++y) {
        const std::int64_t o = (plane * oh + y) * ow, corner = (y * k[8] - k[12]) * w - k[13];
        for (std::int64_t x = 0; x < ow; ++x) {
          indices[o + x] = corner + x * k[9] + tap_offset[static_cast<std::size_t>(taps[o + x])];
        }
      }
    }
  });
}

void onednn_forward(CpuBackend& cpu, const PoolKey& k, const Tensor& x, const Tensor& out, const Tensor& indices) {
  with_onednn_errors(k, [&] {
    PoolEntry& e = pool_primitives(k, false);
    std::vector<std::pair<int, void*>> args{{DNNL_ARG_SRC, x.data_ptr()}, {DNNL_ARG_DST, out.data_ptr()}};
    Tensor workspace;
    const memory::desc ws = e.fwd_pd.workspace_desc();
    if (ws.get_size() > 0) {
      workspace = new_contiguous(cpu, {static_cast<std::int64_t>(ws.get_size())}, DType::kUInt8, Device::cpu());
      args.emplace_back(DNNL_ARG_WORKSPACE, workspace.data_ptr());
    }
    onednn::run(cpu, e.fwd, e.fwd_pd, args);
    if (!indices.defined()) return;
    if (ws.data_type() == memory::data_type::u8) {
      indices_from_workspace(k, workspace.data_ptr<std::uint8_t>(), indices.data_ptr<std::int64_t>());
    } else if (ws.data_type() == memory::data_type::s32) {
      indices_from_workspace(k, workspace.data_ptr<std::int32_t>(), indices.data_ptr<std::int64_t>());
    } else {
      detail::fail<Error>("[max_pool2d] unexpected oneDNN workspace type {}", static_cast<int>(ws.data_type()));
    }
  });
}

void onednn_avg_backward(CpuBackend& cpu, const PoolKey& k, const Tensor& grad_out, const Tensor& grad_x) {
  with_onednn_errors(k, [&] {
    PoolEntry& e = pool_primitives(k, true);
    onednn::run(cpu, *e.bwd, *e.bwd_pd, {{DNNL_ARG_DIFF_DST, grad_out.data_ptr()}, {DNNL_ARG_DIFF_SRC, grad_x.data_ptr()}});
  });
}

}  // namespace

void CpuBackend::pool2d(PoolOp op, const Pool2dParams& params, const Tensor& x, const Tensor& out,
                        const Tensor& indices) {
  if (out.numel() == 0) return;
  const PoolKey key = make_key(op, params, x, out);
  if (onednn_pools(op, x, key) && !(op == PoolOp::kMax && has_nan(x.data_ptr<float>(), x.numel()))) {
    onednn_forward(*this, key, x, out, op == PoolOp::kMax ? indices : Tensor());
    return;
  }
  const PlaneShape s = plane_shape(x, out);
  with_floating(x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      max_forward<T>(params, s, x.data_ptr<T>(), out.data_ptr<T>(), indices.data_ptr<std::int64_t>());
    } else {
      avg_forward<T>(op, params, s, x.data_ptr<T>(), out.data_ptr<T>());
    }
  });
}

void CpuBackend::pool2d_backward(PoolOp op, const Pool2dParams& params, const Tensor& grad_out,
                                 const Tensor& indices, const Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  if (op == PoolOp::kAvg) {
    const PoolKey key = make_key(op, params, grad_x, grad_out);
    if (onednn_pools(op, grad_x, key)) {
      onednn_avg_backward(*this, key, grad_out, grad_x);
      return;
    }
  }
  const PlaneShape s = plane_shape(grad_x, grad_out);
  with_floating(grad_x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      max_backward<T>(s, grad_out.data_ptr<T>(), indices.data_ptr<std::int64_t>(), grad_x.data_ptr<T>());
    } else {
      avg_backward<T>(op, params, s, grad_out.data_ptr<T>(), grad_x.data_ptr<T>());
    }
  });
}

}  // namespace ignis::backend

// Batch normalisation on the CPU. float32 runs oneDNN's batch_normalization primitives (forward
// training or inference, backward), cached by shape and flags like the convolutions: one fused
// pass instead of the eight elementwise and reduction ops the composed form takes. float64
// (gradcheck; oneDNN normalises f32 only) runs per-channel loops over the shared math of
// kernels/batch_norm_functors.hpp, the same the CUDA kernels use.
#include <array>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "onednn.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using dnnl::memory;
using kernels::BatchNormAffine;
using kernels::BatchNormInputGrad;

/// x viewed as (N, C, S).
struct ChannelShape {
  std::int64_t n, c, s;
};

ChannelShape channel_shape(const Tensor& x) { return {x.size(0), x.size(1), x.size(2)}; }

// --- oneDNN, float32 ------------------------------------------------------------------------

/// N, C, S, use_scale, use_shift, training, eps (bits).
using NormKey = std::array<std::int64_t, 7>;

dnnl::normalization_flags flags_of(const NormKey& k) {
  auto flags = dnnl::normalization_flags::none;
  if (k[3] != 0) flags |= dnnl::normalization_flags::use_scale;
  if (k[4] != 0) flags |= dnnl::normalization_flags::use_shift;
  if (k[5] == 0) flags |= dnnl::normalization_flags::use_global_stats;
  return flags;
}

/// (N, C, S) as a 4-D NCHW (N, C, S, 1): oneDNN 2.6 has an optimised plain-layout
/// implementation (ncsp_bnorm) for 4-D data but only its reference one for 3-D.
memory::desc data_desc(const NormKey& k) {
  return memory::desc({k[0], k[1], k[2], 1}, memory::data_type::f32, memory::format_tag::nchw);
}

float eps_of(const NormKey& k) {
  double eps = 0;
  std::memcpy(&eps, &k[6], sizeof eps);
  return static_cast<float>(eps);
}

/// The forward primitive of one shape and, made on first use, its backward.
struct NormEntry {
  dnnl::batch_normalization_forward::primitive_desc fwd_pd;
  dnnl::batch_normalization_forward fwd;
  std::optional<dnnl::batch_normalization_backward::primitive_desc> bwd_pd;
  std::optional<dnnl::batch_normalization_backward> bwd;
};

class NormCache {
 public:
  NormEntry& get(const NormKey& key, bool backward) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    const dnnl::primitive_attr attr = onednn::user_scratchpad();
    if (it == entries_.end()) {
      const auto prop = key[5] != 0 ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
      const dnnl::batch_normalization_forward::desc desc(prop, data_desc(key), eps_of(key), flags_of(key));
      dnnl::batch_normalization_forward::primitive_desc pd(desc, attr, onednn::engine());
      it = entries_.emplace(key, NormEntry{pd, dnnl::batch_normalization_forward(pd), {}, {}}).first;
    }
    NormEntry& e = it->second;
    if (backward && !e.bwd) {
      // prop_kind::backward also computes the scale and shift gradients.
      const auto prop = key[3] != 0 || key[4] != 0 ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
      const dnnl::batch_normalization_backward::desc desc(prop, data_desc(key), data_desc(key), eps_of(key),
                                                          flags_of(key));
      e.bwd_pd.emplace(desc, attr, onednn::engine(), e.fwd_pd);
      e.bwd.emplace(*e.bwd_pd);
    }
    return e;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<NormKey, NormEntry, onednn::KeyHash<7>> entries_;
};

NormCache& norm_cache() {
  static NormCache cache;
  return cache;
}

NormKey make_key(const BatchNormParams& p, const Tensor& x, bool scale, bool shift) {
  NormKey k{x.size(0), x.size(1), x.size(2), scale ? 1 : 0, shift ? 1 : 0, p.training ? 1 : 0, 0};
  std::memcpy(&k[6], &p.eps, sizeof p.eps);
  return k;
}

template <class F>
void with_onednn_errors(const Tensor& x, const F& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    detail::fail<Error>("[batch_norm] oneDNN failed (status {}): {}; input viewed as (N, C, S) = {}",
                        static_cast<int>(e.status), e.what(), x.shape());
  }
}

// --- loops, float64 -------------------------------------------------------------------------

/// Calls f(offset) for every element of channel c, offset into an (N, C, S) contiguous buffer.
template <class F>
void for_channel(const ChannelShape& s, std::int64_t c, const F& f) {
  for (std::int64_t b = 0; b < s.n; ++b) {
    const std::int64_t base = (b * s.c + c) * s.s;
    for (std::int64_t i = 0; i < s.s; ++i) f(base + i);
  }
}

template <class T>
void loop_forward(const BatchNormParams& p, const ChannelShape& s, const T* x, const T* w, const T* b, T* mean,
                  T* var, T* y) {
  const double count = static_cast<double>(s.n * s.s);
  cpu::parallel_for(0, s.c, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      if (p.training) {  // two passes: the centred sum of squares is exact where Σx² - (Σx)²/M is not
        double sum = 0, squares = 0;
        for_channel(s, c, [&](std::int64_t i) { sum += static_cast<double>(x[i]); });
        const double mu = sum / count;
        for_channel(s, c, [&](std::int64_t i) { squares += (x[i] - mu) * (x[i] - mu); });
        mean[c] = static_cast<T>(mu);
        var[c] = static_cast<T>(squares / count);
      }
      const auto affine = BatchNormAffine<T>::make(mean[c], var[c], w != nullptr ? w[c] : T(1),
                                                   b != nullptr ? b[c] : T(0), p.eps);
      for_channel(s, c, [&](std::int64_t i) { y[i] = affine(x[i]); });
    }
  });
}

template <class T>
void loop_backward(const BatchNormParams& p, const ChannelShape& s, const T* g, const T* x, const T* w,
                   const T* mean, const T* var, T* gx, T* gw, T* gb) {
  cpu::parallel_for(0, s.c, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      double sum_g = 0, sum_gx = 0;
      for_channel(s, c, [&](std::int64_t i) {
        sum_g += static_cast<double>(g[i]);
        sum_gx += static_cast<double>(g[i]) * (static_cast<double>(x[i]) - static_cast<double>(mean[c]));
      });
      if (gw != nullptr) gw[c] = static_cast<T>(kernels::batch_norm_weight_grad(sum_gx, var[c], p.eps));
      if (gb != nullptr) gb[c] = static_cast<T>(sum_g);
      if (gx == nullptr) continue;
      const auto grad = BatchNormInputGrad<T>::make(p, mean[c], var[c], w != nullptr ? w[c] : T(1), sum_g, sum_gx,
                                                    s.n * s.s);
      for_channel(s, c, [&](std::int64_t i) { gx[i] = grad(g[i], x[i]); });
    }
  });
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void CpuBackend::batch_norm(const BatchNormParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Tensor& mean, const Tensor& var, const Tensor& y) {
  if (x.numel() == 0) return;
  if (x.dtype() == DType::kFloat32) {
    const NormKey key = make_key(params, x, weight.defined(), bias.defined());
    with_onednn_errors(x, [&] {
      NormEntry& e = norm_cache().get(key, false);
      std::vector<std::pair<int, void*>> args{{DNNL_ARG_SRC, x.data_ptr()},
                                              {DNNL_ARG_DST, y.data_ptr()},
                                              {DNNL_ARG_MEAN, mean.data_ptr()},
                                              {DNNL_ARG_VARIANCE, var.data_ptr()}};
      if (weight.defined()) args.emplace_back(DNNL_ARG_SCALE, weight.data_ptr());
      if (bias.defined()) args.emplace_back(DNNL_ARG_SHIFT, bias.data_ptr());
      onednn::run(*this, e.fwd, e.fwd_pd, args);
    });
    return;
  }
  if (x.dtype() != DType::kFloat64) {
    detail::fail<DTypeError>("[batch_norm] batch normalisation needs float32 or float64, got {}", x.dtype());
  }
  loop_forward<double>(params, channel_shape(x), x.data_ptr<double>(), data_or_null<double>(weight),
                       data_or_null<double>(bias), mean.data_ptr<double>(), var.data_ptr<double>(),
                       y.data_ptr<double>());
}

void CpuBackend::batch_norm_backward(const BatchNormParams& params, const Tensor& grad_y, const Tensor& x,
                                     const Tensor& weight, const Tensor& mean, const Tensor& var,
                                     const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias) {
  if (x.numel() == 0) {
    for (const Tensor* t : {&grad_x, &grad_weight, &grad_bias}) {
      if (t->defined()) fill(*t, 0);
    }
    return;
  }
  if (x.dtype() == DType::kFloat32) {
    // oneDNN computes every gradient its flags name; unwanted ones land in scratch tensors.
    const bool scale = weight.defined(), shift = grad_bias.defined();
    const NormKey key = make_key(params, x, scale, shift);
    auto or_scratch = [&](const Tensor& t, const Shape& shape) {
      return t.defined() ? t : new_contiguous(*this, shape, DType::kFloat32, Device::cpu());
    };
    const Tensor gx = or_scratch(grad_x, x.shape());
    const Tensor gw = scale ? or_scratch(grad_weight, {x.size(1)}) : Tensor();
    const Tensor shift_input = shift ? new_contiguous(*this, {x.size(1)}, DType::kFloat32, Device::cpu()) : Tensor();
    with_onednn_errors(x, [&] {
      NormEntry& e = norm_cache().get(key, true);
      std::vector<std::pair<int, void*>> args{{DNNL_ARG_SRC, x.data_ptr()},
                                              {DNNL_ARG_DIFF_DST, grad_y.data_ptr()},
                                              {DNNL_ARG_MEAN, mean.data_ptr()},
                                              {DNNL_ARG_VARIANCE, var.data_ptr()},
                                              {DNNL_ARG_DIFF_SRC, gx.data_ptr()}};
      if (scale) {
        args.emplace_back(DNNL_ARG_SCALE, weight.data_ptr());
        args.emplace_back(DNNL_ARG_DIFF_SCALE, gw.data_ptr());
      }
      if (shift) {
        // oneDNN 2.x lists the shift as an input of the backward pass too, though no gradient
        // depends on it: any (C) buffer serves.
        args.emplace_back(DNNL_ARG_SHIFT, shift_input.data_ptr());
        args.emplace_back(DNNL_ARG_DIFF_SHIFT, grad_bias.data_ptr());
      }
      onednn::run(*this, *e.bwd, *e.bwd_pd, args);
    });
    return;
  }
  if (x.dtype() != DType::kFloat64) {
    detail::fail<DTypeError>("[batch_norm] batch normalisation needs float32 or float64, got {}", x.dtype());
  }
  loop_backward<double>(params, channel_shape(x), grad_y.data_ptr<double>(), x.data_ptr<double>(),
                        data_or_null<double>(weight), mean.data_ptr<double>(), var.data_ptr<double>(),
                        data_or_null<double>(grad_x), data_or_null<double>(grad_weight),
                        data_or_null<double>(grad_bias));
}

}  // namespace ignis::backend

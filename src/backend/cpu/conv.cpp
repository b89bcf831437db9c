// 2-D convolution on the CPU. float32 runs oneDNN's convolution primitives (forward, backward
// data, backward weights) on plain NCHW/OIHW memory; primitive descriptors and primitives are
// cached by shape and parameters, because creating them (implementation dispatch, JIT) costs far
// more than a small convolution. Primitives are created with format_tag::any so that oneDNN picks
// its blocked JIT kernels (plain NCHW memory selects the much slower gemm-based ones: W4 in
// docs/benchmarks.md); tensors are reordered in and out around each call. Scratchpads and
// reorder buffers are allocated per call from the CPU allocator (its cache makes that cheap), so
// cached primitives may run from several threads at once. float64 (what
// gradcheck needs; oneDNN has no f64 convolution) runs direct loops.
#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <optional>
#include <unordered_map>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "onednn.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using dnnl::memory;
using DnnlDims = memory::dims;

/// N C H W, O kH kW, OH OW, stride, pad_begin, pad_end, dilation, groups, has_bias.
using ConvKey = std::array<std::int64_t, 19>;

ConvKey make_key(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& out, bool bias) {
  return {x.size(0),      x.size(1),      x.size(2),     x.size(3),    w.size(0),
          w.size(2),      w.size(3),      out.size(2),   out.size(3),  p.stride[0],
          p.stride[1],    p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1],
          p.dilation[0],  p.dilation[1],  p.groups,      bias ? 1 : 0};
}

/// The three primitives of one convolution shape with their descriptors; backward ones are made
/// on first use.
struct ConvEntry {
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  std::optional<dnnl::convolution_backward_data::primitive_desc> bwd_data_pd;
  std::optional<dnnl::convolution_backward_data> bwd_data;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> bwd_weights_pd;
  std::optional<dnnl::convolution_backward_weights> bwd_weights;
};

/// Memory descriptors of one convolution: `plain` as ignis stores tensors (NCHW, OIHW/GOIHW),
/// `any` for creating primitives, so oneDNN picks its fastest (blocked) layouts; run_onednn
/// reorders between the two.
struct ConvDescs {
  memory::desc src, weights, bias, dst;
  memory::desc src_any, weights_any, dst_any;
  DnnlDims strides, dilates, pad_l, pad_r;
};

ConvDescs describe(const ConvKey& k) {
  const auto f32 = memory::data_type::f32;
  const auto any = memory::format_tag::any;
  const std::int64_t n = k[0], c = k[1], h = k[2], w = k[3], o = k[4], kh = k[5], kw = k[6], g = k[17];
  const DnnlDims src_dims{n, c, h, w}, dst_dims{n, o, k[7], k[8]};
  const DnnlDims w_dims = g == 1 ? DnnlDims{o, c, kh, kw} : DnnlDims{g, o / g, c / g, kh, kw};
  ConvDescs d;
  d.src = memory::desc(src_dims, f32, memory::format_tag::nchw);
  d.weights = memory::desc(w_dims, f32, g == 1 ? memory::format_tag::oihw : memory::format_tag::goihw);
  d.dst = memory::desc(dst_dims, f32, memory::format_tag::nchw);
  d.src_any = memory::desc(src_dims, f32, any);
  d.weights_any = memory::desc(w_dims, f32, any);
  d.dst_any = memory::desc(dst_dims, f32, any);
  if (k[18] != 0) d.bias = memory::desc({o}, f32, memory::format_tag::x);
  d.strides = {k[9], k[10]};
  d.pad_l = {k[11], k[12]};
  d.pad_r = {k[13], k[14]};
  d.dilates = {k[15] - 1, k[16] - 1};  // oneDNN counts dilation from 0
  return d;
}

enum class ConvPass { kForward, kBackwardData, kBackwardWeights };

/// The cached primitive for `pass` of the convolution `key`, and its descriptor.
std::pair<dnnl::primitive, dnnl::primitive_desc> conv_primitive(const ConvKey& key, ConvPass pass) {
  static onednn::PrimitiveCache<19, ConvEntry> cache;
  const ConvDescs d = describe(key);
  const auto make = [&] {
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                               d.src_any, d.weights_any, d.bias, d.dst_any, d.strides, d.dilates,
                                               d.pad_l, d.pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, onednn::user_scratchpad(), onednn::engine());
    return ConvEntry{pd, dnnl::convolution_forward(pd), {}, {}, {}, {}};
  };
  const auto complete = [&](ConvEntry& e) {
    if (pass == ConvPass::kBackwardData && !e.bwd_data) {
      const dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src_any, d.weights_any,
                                                       d.dst_any, d.strides, d.dilates, d.pad_l, d.pad_r);
      e.bwd_data_pd.emplace(desc, onednn::user_scratchpad(), onednn::engine(), e.fwd_pd);
      e.bwd_data.emplace(*e.bwd_data_pd);
    } else if (pass == ConvPass::kBackwardWeights && !e.bwd_weights) {
      const dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, d.src_any,
                                                          d.weights_any, d.dst_any, d.strides, d.dilates, d.pad_l,
                                                          d.pad_r);
      e.bwd_weights_pd.emplace(desc, onednn::user_scratchpad(), onednn::engine(), e.fwd_pd);
      e.bwd_weights.emplace(*e.bwd_weights_pd);
    }
  };
  const ConvEntry& e = cache.get(key, make, complete);
  switch (pass) {
    case ConvPass::kForward:
      return {e.fwd, e.fwd_pd};
    case ConvPass::kBackwardData:
      return {*e.bwd_data, *e.bwd_data_pd};
    case ConvPass::kBackwardWeights:
      return {*e.bwd_weights, *e.bwd_weights_pd};
  }
  detail::fail<Error>("[conv2d] unknown convolution pass");
}

/// One tensor argument of a pass: its DNNL_ARG_*, its plain layout and data, and whether the
/// pass writes it.
struct ConvArg {
  int id;
  memory::desc plain;
  void* data;
  bool output = false;
};

/// Runs one cached oneDNN pass. Arguments whose plain layout differs from the one the primitive
/// chose go through scratch buffers: inputs reordered in before, outputs reordered out after.
void run_onednn(CpuBackend& cpu, const ConvKey& key, ConvPass pass, const std::vector<ConvArg>& args) {
  try {
    auto [prim, pd] = conv_primitive(key, pass);
    dnnl::stream stream(onednn::engine());
    std::unordered_map<int, memory> mems;
    std::vector<std::pair<memory, memory>> write_back;  // (primitive's layout, plain)
    std::vector<Tensor> scratch;
    auto buffer = [&](const memory::desc& md) {
      scratch.push_back(new_contiguous(cpu, {static_cast<std::int64_t>(md.get_size())}, DType::kUInt8, Device::cpu()));
      return memory(md, onednn::engine(), scratch.back().data_ptr());
    };
    for (const ConvArg& arg : args) {
      memory plain(arg.plain, onednn::engine(), arg.data);
      const memory::desc chosen = pd.query_md(dnnl::query::exec_arg_md, arg.id);
      if (chosen == arg.plain) {
        mems.emplace(arg.id, plain);
        continue;
      }
      memory inner = buffer(chosen);
      if (arg.output) {
        write_back.emplace_back(inner, plain);
      } else {
        dnnl::reorder(plain, inner).execute(stream, plain, inner);
      }
      mems.emplace(arg.id, inner);
    }
    const memory::desc scratch_desc = pd.scratchpad_desc();
    if (scratch_desc.get_size() > 0) mems.emplace(DNNL_ARG_SCRATCHPAD, buffer(scratch_desc));
    prim.execute(stream, mems);
    for (auto& [inner, plain] : write_back) dnnl::reorder(inner, plain).execute(stream, inner, plain);
    stream.wait();
  } catch (const dnnl::error& e) {
    detail::fail<Error>("[conv2d] oneDNN failed (status {}): {}; input (N, C, H, W) = ({}, {}, {}, {}), weight "
                        "(O, kH, kW) = ({}, {}, {}), groups {}",
                        static_cast<int>(e.status), e.what(), key[0], key[1], key[2], key[3], key[4], key[5],
                        key[6], key[17]);
  }
}

/// Direct loops for dtypes oneDNN does not convolve. Each pass parallelises over an output
/// dimension so that no two threads write the same element.
template <class T>
struct DirectConv {
  const Conv2dParams& p;
  std::int64_t n, c, h, w, o, kh, kw, oh, ow, cg, og;

  DirectConv(const Conv2dParams& params, const Tensor& x_like, const Tensor& weight, const Tensor& out_like)
      : p(params),
        n(x_like.size(0)), c(x_like.size(1)), h(x_like.size(2)), w(x_like.size(3)),
        o(weight.size(0)), kh(weight.size(2)), kw(weight.size(3)),
        oh(out_like.size(2)), ow(out_like.size(3)),
        cg(c / params.groups), og(weight.size(0) / params.groups) {}

  /// Calls f(input index, weight index, output index) for every tap of output channel `oc` of
  /// sample `b` that falls inside the input.
  template <class F>
  void taps(std::int64_t b, std::int64_t oc, const F& f) const {
    const std::int64_t g = oc / og;
    for (std::int64_t y = 0; y < oh; ++y) {
      for (std::int64_t xx = 0; xx < ow; ++xx) {
        const std::int64_t out_index = ((b * o + oc) * oh + y) * ow + xx;
        for (std::int64_t ic = 0; ic < cg; ++ic) {
          const std::int64_t in_plane = (b * c + g * cg + ic) * h;
          for (std::int64_t i = 0; i < kh; ++i) {
            const std::int64_t iy = y * p.stride[0] - p.pad_begin[0] + i * p.dilation[0];
            if (iy < 0 || iy >= h) continue;
            for (std::int64_t j = 0; j < kw; ++j) {
              const std::int64_t ix = xx * p.stride[1] - p.pad_begin[1] + j * p.dilation[1];
              if (ix < 0 || ix >= w) continue;
              f((in_plane + iy) * w + ix, ((oc * cg + ic) * kh + i) * kw + j, out_index);
            }
          }
        }
      }
    }
  }

  void forward(const T* x, const T* wt, const T* bias, T* out) const {
    const std::int64_t plane = oh * ow;
    cpu::parallel_for(0, n * o, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const std::int64_t b = r / o, oc = r % o;
        T* dst = out + r * plane;
        for (std::int64_t i = 0; i < plane; ++i) dst[i] = bias != nullptr ? bias[oc] : T(0);
        taps(b, oc, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { out[oi] += x[xi] * wt[wi]; });
      }
    });
  }

  void backward_input(const T* grad_out, const T* wt, T* grad_x) const {
    cpu::parallel_for(0, n, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t b = begin; b < end; ++b) {
        std::fill(grad_x + b * c * h * w, grad_x + (b + 1) * c * h * w, T(0));
        for (std::int64_t oc = 0; oc < o; ++oc) {
          taps(b, oc, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { grad_x[xi] += grad_out[oi] * wt[wi]; });
        }
      }
    });
  }

  void backward_weight(const T* grad_out, const T* x, T* grad_w) const {
    cpu::parallel_for(0, o, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t oc = begin; oc < end; ++oc) {
        std::fill(grad_w + oc * cg * kh * kw, grad_w + (oc + 1) * cg * kh * kw, T(0));
        for (std::int64_t b = 0; b < n; ++b) {
          taps(b, oc, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { grad_w[wi] += grad_out[oi] * x[xi]; });
        }
      }
    });
  }
};

template <class F>
void with_direct(DType dtype, const F& f) {
  if (dtype == DType::kFloat64) {
    f(double{});
  } else {
    detail::fail<DTypeError>("[conv2d] the CPU backend convolves float32 and float64, got {}", dtype);
  }
}

}  // namespace

void CpuBackend::conv2d(const Conv2dParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const Tensor& out) {
  if (x.dtype() == DType::kFloat32) {
    const ConvKey key = make_key(params, x, weight, out, bias.defined());
    const ConvDescs d = describe(key);
    std::vector<ConvArg> args = {{DNNL_ARG_SRC, d.src, x.data_ptr()},
                                 {DNNL_ARG_WEIGHTS, d.weights, weight.data_ptr()},
                                 {DNNL_ARG_DST, d.dst, out.data_ptr(), true}};
    if (bias.defined()) args.push_back({DNNL_ARG_BIAS, d.bias, bias.data_ptr()});
    run_onednn(*this, key, ConvPass::kForward, args);
    return;
  }
  with_direct(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    DirectConv<T>(params, x, weight, out)
        .forward(x.data_ptr<T>(), weight.data_ptr<T>(), bias.defined() ? bias.data_ptr<T>() : nullptr,
                 out.data_ptr<T>());
  });
}

void CpuBackend::conv2d_backward_input(const Conv2dParams& params, const Tensor& grad_out, const Tensor& weight,
                                       const Tensor& grad_x) {
  if (grad_x.dtype() == DType::kFloat32) {
    const ConvKey key = make_key(params, grad_x, weight, grad_out, false);
    const ConvDescs d = describe(key);
    run_onednn(*this, key, ConvPass::kBackwardData,
               {{DNNL_ARG_DIFF_DST, d.dst, grad_out.data_ptr()},
                {DNNL_ARG_WEIGHTS, d.weights, weight.data_ptr()},
                {DNNL_ARG_DIFF_SRC, d.src, grad_x.data_ptr(), true}});
    return;
  }
  with_direct(grad_x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    DirectConv<T>(params, grad_x, weight, grad_out)
        .backward_input(grad_out.data_ptr<T>(), weight.data_ptr<T>(), grad_x.data_ptr<T>());
  });
}

void CpuBackend::conv2d_backward_weight(const Conv2dParams& params, const Tensor& grad_out, const Tensor& x,
                                        const Tensor& grad_weight) {
  if (x.dtype() == DType::kFloat32) {
    const ConvKey key = make_key(params, x, grad_weight, grad_out, false);
    const ConvDescs d = describe(key);
    run_onednn(*this, key, ConvPass::kBackwardWeights,
               {{DNNL_ARG_SRC, d.src, x.data_ptr()},
                {DNNL_ARG_DIFF_DST, d.dst, grad_out.data_ptr()},
                {DNNL_ARG_DIFF_WEIGHTS, d.weights, grad_weight.data_ptr(), true}});
    return;
  }
  with_direct(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    DirectConv<T>(params, x, grad_weight, grad_out)
        .backward_weight(grad_out.data_ptr<T>(), x.data_ptr<T>(), grad_weight.data_ptr<T>());
  });
}

}  // namespace ignis::backend

// Batch normalisation on the CPU: per-channel loops (channels split across threads) over the
// shared math of kernels/batch_norm_functors.hpp, the same the CUDA kernels use; sums in
// double, variance in two passes.
//
// Not oneDNN: its batch_normalization primitives were this file's first float32 path and were
// measured slower on ignis's plain NCHW tensors. BatchNorm2d(32) forward + backward of a
// (64, 32, 28, 28) batch (with the y * g and sum around it): oneDNN 2.6 (ncsp_bnorm: 2.6 ms
// forward, 3.2 ms backward) 7.2 ms at 1 thread / 3.8 ms at 2; these loops 5.4 / 2.8 ms;
// PyTorch 2.15 5.8 / 3.4 ms (docs/architecture.md).
#include "backend/floating_dispatch.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using kernels::BatchNormAffine;
using kernels::BatchNormInputGrad;

/// x viewed as (N, C, S).
struct ChannelShape {
  std::int64_t n, c, s;
};

ChannelShape channel_shape(const Tensor& x) { return {x.size(0), x.size(1), x.size(2)}; }

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
  with_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    loop_forward<T>(params, channel_shape(x), x.data_ptr<T>(), data_or_null<T>(weight), data_or_null<T>(bias),
                    mean.data_ptr<T>(), var.data_ptr<T>(), y.data_ptr<T>());
  });
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
  with_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    loop_backward<T>(params, channel_shape(x), grad_y.data_ptr<T>(), x.data_ptr<T>(), data_or_null<T>(weight),
                     mean.data_ptr<T>(), var.data_ptr<T>(), data_or_null<T>(grad_x), data_or_null<T>(grad_weight),
                     data_or_null<T>(grad_bias));
  });
}

}  // namespace ignis::backend

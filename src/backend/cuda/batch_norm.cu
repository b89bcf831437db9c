// Batch normalisation on the GPU: one block per channel walks the channel's N·S values of the
// (N, C, S) input, reduces its sums in double (block_reduce), and applies the shared math of
// kernels/batch_norm_functors.hpp per element, as the CPU's float64 loops do. One block per
// channel keeps the kernels simple and deterministic; few channels on a large GPU leave SMs idle
// (a split reduction would fill them; not needed by the models this serves yet).
//
// NOT YET RUN ON A GPU: compiled and linked only; tests/nn/batch_norm_test.cpp (device cases,
// part of scripts/gpu-check) compares it with the CPU.
#include <string>

#include "backend/floating_dispatch.hpp"
#include "block_reduce.cuh"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "ignis/core/error.hpp"
#include "kernels/batch_norm_functors.hpp"
#include "launch.cuh"

// Messages are built without fmt here: nvcc cannot compile fmt's compile-time format checks.
namespace ignis::backend {

namespace {

using cuda_detail::block_reduce;
using cuda_detail::launch;
using kernels::BatchNormAffine;
using kernels::BatchNormInputGrad;

constexpr int kThreads = 256;

struct Channels {
  std::int64_t n, c, s;

  __device__ std::int64_t count() const { return n * s; }
  /// Offset of the i-th value (0 <= i < n * s) of channel ch.
  __device__ std::int64_t offset(std::int64_t ch, std::int64_t i) const { return (i / s * c + ch) * s + i % s; }
};

__device__ double block_sum(double v, double* scratch) {
  return block_reduce<double>(v, 0.0, [](double a, double b) { return a + b; }, scratch);
}

template <class T>
__global__ void forward_kernel(kernels::BatchNormParams p, Channels sh, const T* __restrict__ x,
                               const T* __restrict__ weight, const T* __restrict__ bias, T* __restrict__ mean,
                               T* __restrict__ var, T* __restrict__ y) {
  __shared__ double scratch[32];
  for (std::int64_t ch = blockIdx.x; ch < sh.c; ch += gridDim.x) {
    T m, v;
    if (p.training) {  // two passes, as the CPU: the centred sum of squares
      double sum = 0;
      for (std::int64_t i = threadIdx.x; i < sh.count(); i += blockDim.x) sum += static_cast<double>(x[sh.offset(ch, i)]);
      const double mu = block_sum(sum, scratch) / static_cast<double>(sh.count());
      double squares = 0;
      for (std::int64_t i = threadIdx.x; i < sh.count(); i += blockDim.x) {
        const double d = static_cast<double>(x[sh.offset(ch, i)]) - mu;
        squares += d * d;
      }
      m = static_cast<T>(mu);
      v = static_cast<T>(block_sum(squares, scratch) / static_cast<double>(sh.count()));
      if (threadIdx.x == 0) {
        mean[ch] = m;
        var[ch] = v;
      }
    } else {
      m = mean[ch];
      v = var[ch];
    }
    const auto affine = BatchNormAffine<T>::make(m, v, weight != nullptr ? weight[ch] : T(1),
                                                 bias != nullptr ? bias[ch] : T(0), p.eps);
    for (std::int64_t i = threadIdx.x; i < sh.count(); i += blockDim.x) {
      const std::int64_t o = sh.offset(ch, i);
      y[o] = affine(x[o]);
    }
  }
}

template <class T>
__global__ void backward_kernel(kernels::BatchNormParams p, Channels sh, const T* __restrict__ g,
                                const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ mean,
                                const T* __restrict__ var, T* __restrict__ gx, T* __restrict__ gw,
                                T* __restrict__ gb) {
  __shared__ double scratch[32];
  for (std::int64_t ch = blockIdx.x; ch < sh.c; ch += gridDim.x) {
    const double mu = static_cast<double>(mean[ch]);
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t i = threadIdx.x; i < sh.count(); i += blockDim.x) {
      const std::int64_t o = sh.offset(ch, i);
      sum_g += static_cast<double>(g[o]);
      sum_gx += static_cast<double>(g[o]) * (static_cast<double>(x[o]) - mu);
    }
    sum_g = block_sum(sum_g, scratch);
    sum_gx = block_sum(sum_gx, scratch);
    if (threadIdx.x == 0) {
      if (gw != nullptr) gw[ch] = static_cast<T>(kernels::batch_norm_weight_grad(sum_gx, var[ch], p.eps));
      if (gb != nullptr) gb[ch] = static_cast<T>(sum_g);
    }
    if (gx == nullptr) continue;
    const auto grad = BatchNormInputGrad<T>::make(p, mean[ch], var[ch], weight != nullptr ? weight[ch] : T(1),
                                                  sum_g, sum_gx, sh.count());
    for (std::int64_t i = threadIdx.x; i < sh.count(); i += blockDim.x) {
      const std::int64_t o = sh.offset(ch, i);
      gx[o] = grad(g[o], x[o]);
    }
  }
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

unsigned blocks_for(std::int64_t channels) {
  return static_cast<unsigned>(channels < 65535 ? (channels > 0 ? channels : 1) : 65535);
}

}  // namespace

void CudaBackend::batch_norm(const BatchNormParams& params, const Tensor& x, const Tensor& weight,
                             const Tensor& bias, const Tensor& mean, const Tensor& var, const Tensor& y) {
  if (x.numel() == 0) return;
  OpDevice d(x);
  const Channels sh{x.size(0), x.size(1), x.size(2)};
  with_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    launch(forward_kernel<T>, {blocks_for(sh.c), kThreads}, params, sh, x.data_ptr<T>(),
           data_or_null<T>(weight), data_or_null<T>(bias), mean.data_ptr<T>(), var.data_ptr<T>(),
           y.data_ptr<T>());
  });
  IGNIS_CUDA_CHECK_LAUNCH("batch_norm");
}

void CudaBackend::batch_norm_backward(const BatchNormParams& params, const Tensor& grad_y, const Tensor& x,
                                      const Tensor& weight, const Tensor& mean, const Tensor& var,
                                      const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias) {
  OpDevice d(x);
  if (x.numel() == 0) {
    for (const Tensor* t : {&grad_x, &grad_weight, &grad_bias}) {
      if (t->defined()) fill(*t, 0);
    }
    return;
  }
  const Channels sh{x.size(0), x.size(1), x.size(2)};
  with_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    launch(backward_kernel<T>, {blocks_for(sh.c), kThreads}, params, sh, grad_y.data_ptr<T>(),
           x.data_ptr<T>(), data_or_null<T>(weight), mean.data_ptr<T>(), var.data_ptr<T>(),
           data_or_null<T>(grad_x), data_or_null<T>(grad_weight), data_or_null<T>(grad_bias));
  });
  IGNIS_CUDA_CHECK_LAUNCH("batch_norm_backward");
}

}  // namespace ignis::backend

// Layer normalisation on the GPU: one block per row (grid-stride over rows) reduces the row's
// sums in double (block_reduce) and applies the shared math of kernels/layer_norm_functors.hpp
// per element, as the CPU's loops do. The weight and bias gradients are sums over rows: one
// thread per column walks every row (adjacent threads read adjacent columns), in double, in row
// order, so they are deterministic.
//
// NOT YET RUN ON A GPU: compiled, and run on the simulated device; tests/ops/normalization_test.cpp
// (device cases, part of scripts/gpu-check) compares it with the CPU.
#include <string>

#include "backend/floating_dispatch.hpp"
#include "block_reduce.cuh"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "ignis/core/error.hpp"
#include "kernels/layer_norm_functors.hpp"
#include "launch.cuh"

namespace ignis::backend {

namespace {

using cuda_detail::block_reduce;
using cuda_detail::launch;
using kernels::LayerNormApply;
using kernels::LayerNormInputGrad;

constexpr int kThreads = 256;

__device__ double block_sum(double v, double* scratch) {
  return block_reduce<double>(v, 0.0, [](double a, double b) { return a + b; }, scratch);
}

template <class T>
__global__ void forward_kernel(double eps, std::int64_t rows, std::int64_t n, const T* __restrict__ x,
                               const T* __restrict__ weight, const T* __restrict__ bias, T* __restrict__ y,
                               T* __restrict__ mean, T* __restrict__ rstd) {
  __shared__ double scratch[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    double sum = 0;
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += static_cast<double>(xr[j]);
    const double mu = block_sum(sum, scratch) / static_cast<double>(n);
    double squares = 0;
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const double d = static_cast<double>(xr[j]) - mu;
      squares += d * d;
    }
    const T m = static_cast<T>(mu);
    const T s = static_cast<T>(kernels::layer_norm_rstd(block_sum(squares, scratch) / static_cast<double>(n), eps));
    if (threadIdx.x == 0) {
      mean[r] = m;
      rstd[r] = s;
    }
    const LayerNormApply<T> apply{m, s};
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      y[r * n + j] = apply(xr[j], weight != nullptr ? weight[j] : T(1), bias != nullptr ? bias[j] : T(0));
    }
  }
}

template <class T>
__global__ void input_grad_kernel(std::int64_t rows, std::int64_t n, const T* __restrict__ g, const T* __restrict__ x,
                                  const T* __restrict__ weight, const T* __restrict__ mean,
                                  const T* __restrict__ rstd, T* __restrict__ gx) {
  __shared__ double scratch[32];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* gr = g + r * n;
    const T* xr = x + r * n;
    const T m = mean[r], s = rstd[r];
    double sum_gw = 0, sum_gw_xc = 0;
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const double gw = static_cast<double>(weight != nullptr ? gr[j] * weight[j] : gr[j]);
      sum_gw += gw;
      sum_gw_xc += gw * (static_cast<double>(xr[j]) - static_cast<double>(m));
    }
    sum_gw = block_sum(sum_gw, scratch);
    sum_gw_xc = block_sum(sum_gw_xc, scratch);
    const auto grad = LayerNormInputGrad<T>::make(m, s, sum_gw, sum_gw_xc * static_cast<double>(s), n);
    for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      gx[r * n + j] = grad(weight != nullptr ? gr[j] * weight[j] : gr[j], xr[j]);
    }
  }
}

template <class T>
__global__ void param_grad_kernel(std::int64_t rows, std::int64_t n, const T* __restrict__ g,
                                  const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ rstd,
                                  T* __restrict__ gw, T* __restrict__ gb) {
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double sw = 0, sb = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const T gv = g[r * n + j];
      sw += static_cast<double>(gv * ((x[r * n + j] - mean[r]) * rstd[r]));
      sb += static_cast<double>(gv);
    }
    if (gw != nullptr) gw[j] = static_cast<T>(sw);
    if (gb != nullptr) gb[j] = static_cast<T>(sb);
  }
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

unsigned blocks_for(std::int64_t count) {
  return static_cast<unsigned>(count < 65535 ? (count > 0 ? count : 1) : 65535);
}

}  // namespace

void CudaBackend::layer_norm(double eps, const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& y,
                             const Tensor& mean, const Tensor& rstd) {
  const std::int64_t rows = x.size(0), n = x.size(1);
  if (rows == 0 || n == 0) return;
  OpDevice d(x);
  with_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    launch(forward_kernel<T>, {blocks_for(rows), kThreads}, eps, rows, n, x.data_ptr<T>(), data_or_null<T>(weight),
           data_or_null<T>(bias), y.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>());
  });
  IGNIS_CUDA_CHECK_LAUNCH("layer_norm");
}

void CudaBackend::layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight,
                                      const Tensor& mean, const Tensor& rstd, const Tensor& grad_x,
                                      const Tensor& grad_weight, const Tensor& grad_bias) {
  OpDevice d(x);
  if (x.numel() == 0) {
    for (const Tensor* t : {&grad_x, &grad_weight, &grad_bias}) {
      if (t->defined()) fill(*t, 0);
    }
    return;
  }
  const std::int64_t rows = x.size(0), n = x.size(1);
  with_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    if (grad_x.defined()) {
      launch(input_grad_kernel<T>, {blocks_for(rows), kThreads}, rows, n, grad_y.data_ptr<T>(), x.data_ptr<T>(),
             data_or_null<T>(weight), mean.data_ptr<T>(), rstd.data_ptr<T>(), grad_x.data_ptr<T>());
      IGNIS_CUDA_CHECK_LAUNCH("layer_norm_backward");
    }
    if (grad_weight.defined() || grad_bias.defined()) {
      launch(param_grad_kernel<T>, {blocks_for((n + kThreads - 1) / kThreads), kThreads}, rows, n,
             grad_y.data_ptr<T>(), x.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>(),
             data_or_null<T>(grad_weight), data_or_null<T>(grad_bias));
      IGNIS_CUDA_CHECK_LAUNCH("layer_norm_backward");
    }
  });
}

}  // namespace ignis::backend

// 2-D pooling on the GPU: one thread per output element, over the window math of
// kernels/conv_params.hpp that the CPU loops use too. Backward passes scatter into a zeroed
// gradient with atomicAdd (windows may overlap).
//
// NOT YET RUN ON A GPU: compiled and linked only; tests/ops/conv_test.cpp (ConvDevice, part of
// scripts/gpu-check) compares it with the CPU.
#include <string>
#include <type_traits>

#include "backend/floating_dispatch.hpp"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "ignis/core/error.hpp"
#include "kernels/conv_params.hpp"
#include "launch.cuh"

// Messages are built without fmt here: nvcc cannot compile fmt's compile-time format checks.
namespace ignis::backend {

namespace {

using cuda_detail::grid_for;
using cuda_detail::launch;
using kernels::AvgWindow2d;

struct Planes {
  std::int64_t planes, h, w, oh, ow;
};

template <class T>
__global__ void max_forward(Pool2dParams p, Planes s, const T* __restrict__ in, T* __restrict__ out,
                            std::int64_t* __restrict__ indices) {
  const std::int64_t n = s.planes * s.oh * s.ow;
  for (std::int64_t o = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; o < n;
       o += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t plane = o / (s.oh * s.ow), y = (o / s.ow) % s.oh, x = o % s.ow;
    T best = 0;
    indices[o] = kernels::max_pool_at(in + plane * s.h * s.w, s.h, s.w, p, y, x, &best);
    out[o] = best;
  }
}

template <class T>
__global__ void avg_forward(PoolOp op, Pool2dParams p, Planes s, const T* __restrict__ in, T* __restrict__ out) {
  const std::int64_t n = s.planes * s.oh * s.ow;
  for (std::int64_t o = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; o < n;
       o += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t plane = o / (s.oh * s.ow), y = (o / s.ow) % s.oh, x = o % s.ow;
    const AvgWindow2d win = kernels::avg_window_2d(op, p, s.h, s.w, s.oh, s.ow, y, x);
    const T* src = in + plane * s.h * s.w;
    T sum = 0;
    for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
      for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) sum += src[iy * s.w + ix];
    }
    const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
    out[o] = divisor > 0 ? sum / static_cast<T>(divisor) : T(0);
  }
}

template <class T>
__global__ void max_backward(Planes s, const T* __restrict__ grad_out, const std::int64_t* __restrict__ indices,
                             T* __restrict__ grad_in) {
  const std::int64_t n = s.planes * s.oh * s.ow;
  for (std::int64_t o = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; o < n;
       o += std::int64_t{gridDim.x} * blockDim.x) {
    if (indices[o] >= 0) atomicAdd(grad_in + (o / (s.oh * s.ow)) * s.h * s.w + indices[o], grad_out[o]);
  }
}

template <class T>
__global__ void avg_backward(PoolOp op, Pool2dParams p, Planes s, const T* __restrict__ grad_out,
                             T* __restrict__ grad_in) {
  const std::int64_t n = s.planes * s.oh * s.ow;
  for (std::int64_t o = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; o < n;
       o += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t plane = o / (s.oh * s.ow), y = (o / s.ow) % s.oh, x = o % s.ow;
    const AvgWindow2d win = kernels::avg_window_2d(op, p, s.h, s.w, s.oh, s.ow, y, x);
    const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
    if (divisor <= 0) continue;
    const T g = grad_out[o] / static_cast<T>(divisor);
    T* dst = grad_in + plane * s.h * s.w;
    for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
      for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) atomicAdd(dst + iy * s.w + ix, g);
    }
  }
}

Planes planes_of(const Tensor& x_like, const Tensor& out_like) {
  return {x_like.size(0) * x_like.size(1), x_like.size(2), x_like.size(3), out_like.size(2), out_like.size(3)};
}

}  // namespace

void CudaBackend::pool2d(PoolOp op, const Pool2dParams& params, const Tensor& x, const Tensor& out,
                         const Tensor& indices) {
  if (out.numel() == 0) return;
  OpDevice d(x);
  const Planes s = planes_of(x, out);
  const unsigned grid = grid_for(out.numel());
  with_floating(x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      launch(max_forward<T>, {grid, 256}, params, s, x.data_ptr<T>(), out.data_ptr<T>(),
             indices.data_ptr<std::int64_t>());
    } else {
      launch(avg_forward<T>, {grid, 256}, op, params, s, x.data_ptr<T>(), out.data_ptr<T>());
    }
  });
  IGNIS_CUDA_CHECK_LAUNCH("pool2d");
}

void CudaBackend::pool2d_backward(PoolOp op, const Pool2dParams& params, const Tensor& grad_out,
                                  const Tensor& indices, const Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  OpDevice d(grad_x);
  fill(grad_x, 0);
  if (grad_out.numel() == 0) return;
  const Planes s = planes_of(grad_x, grad_out);
  const unsigned grid = grid_for(grad_out.numel());
  with_floating(grad_x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      launch(max_backward<T>, {grid, 256}, s, grad_out.data_ptr<T>(),
             indices.data_ptr<std::int64_t>(), grad_x.data_ptr<T>());
    } else {
      launch(avg_backward<T>, {grid, 256}, op, params, s, grad_out.data_ptr<T>(),
             grad_x.data_ptr<T>());
    }
  });
  IGNIS_CUDA_CHECK_LAUNCH("pool2d_backward");
}

}  // namespace ignis::backend

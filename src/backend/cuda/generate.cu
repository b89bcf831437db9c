// Generated and random tensors on the GPU: thread e computes element e (or Philox block e) with
// the shared functors, so the values match the CPU backend's element for element.
#include <string>
#include <type_traits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "ignis/core/error.hpp"
#include "kernels/generate_functors.hpp"
#include "kernels/philox.hpp"
#include "launch.cuh"

// Messages are built without fmt here: nvcc cannot compile fmt's compile-time format checks.
namespace ignis::backend {

namespace {

using cuda_detail::grid_for;
using cuda_detail::launch;

template <class Fn, class T>
__global__ void generate_kernel(Fn fn, T* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    out[i] = fn.template at<T>(i);
  }
}

template <class T>
__global__ void random_kernel(kernels::RandomFromBlock fn, PhiloxState state, T* out, std::int64_t n,
                              std::int64_t blocks) {
  const std::int64_t per = kernels::RandomFromBlock::per_block<T>(fn.op);
  for (std::int64_t blk = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; blk < blocks;
       blk += std::int64_t{gridDim.x} * blockDim.x) {
    T values[4];
    fn(kernels::philox_block(state.seed, state.offset + static_cast<std::uint64_t>(blk)), values);
    const std::int64_t first = blk * per;
    const std::int64_t count = per < n - first ? per : n - first;
    for (std::int64_t j = 0; j < count; ++j) out[first + j] = values[j];
  }
}

}  // namespace

void CudaBackend::generate(GenerateOp op, const GenerateParams& params, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  OpDevice d(out);
  visit_dtype(out.dtype(), "generate", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());
    switch (op) {  // the host-side twin of kernels::visit_generate
      case GenerateOp::kArange:
        launch(generate_kernel<kernels::Arange, T>, {grid_for(n), 256}, kernels::Arange{params}, o,
               n);
        break;
      case GenerateOp::kLinspace:
        launch(generate_kernel<kernels::Linspace, T>, {grid_for(n), 256}, kernels::Linspace{params},
               o, n);
        break;
      case GenerateOp::kEye:
        launch(generate_kernel<kernels::Eye, T>, {grid_for(n), 256}, kernels::Eye{params}, o, n);
        break;
    }
    IGNIS_CUDA_CHECK_LAUNCH("generate");
  });
}

void CudaBackend::random(RandomOp op, const RandomParams& params, PhiloxState state, const Tensor& out) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  OpDevice d(out);
  visit_dtype(out.dtype(), "random", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      throw DTypeError("[random] bool tensors cannot be filled with random values");
    } else {
      const std::int64_t per = kernels::RandomFromBlock::per_block<T>(op);
      const std::int64_t blocks = (n + per - 1) / per;
      launch(random_kernel<T>, {grid_for(blocks), 256}, kernels::RandomFromBlock{op, params}, state,
             static_cast<T*>(out.data_ptr()), n, blocks);
      IGNIS_CUDA_CHECK_LAUNCH("random");
    }
  });
}

}  // namespace ignis::backend

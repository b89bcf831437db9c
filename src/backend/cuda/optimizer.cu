// Optimizer updates on the GPU: the shared functors of kernels/optim_functors.hpp, one thread
// per element, fused over param, grad and the state tensors.
#include <string>
#include <type_traits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "ignis/core/error.hpp"
#include "kernels/optim_functors.hpp"
#include "launch.cuh"

// Messages are built without fmt here: nvcc cannot compile fmt's compile-time format checks.
namespace ignis::backend {

namespace {

using cuda_detail::grid_for;
using cuda_detail::launch;

/// N state tensors are used; unused slots get a register.
template <int N, class Step, class T>
__global__ void update_kernel(Step step, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ s0,
                              T* __restrict__ s1, T* __restrict__ s2, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    T unused0 = 0, unused1 = 0, unused2 = 0;
    step(p[i], g[i], N > 0 ? s0[i] : unused0, N > 1 ? s1[i] : unused1, N > 2 ? s2[i] : unused2);
  }
}

template <class Step, class T>
void launch_update(const Step& step, std::size_t states, T* p, const T* g, T* const* s, std::int64_t n) {
  const unsigned grid = grid_for(n);
  switch (states) {
    case 0:
      launch(update_kernel<0, Step, T>, {grid, 256}, step, p, g, s[0], s[1], s[2], n);
      break;
    case 1:
      launch(update_kernel<1, Step, T>, {grid, 256}, step, p, g, s[0], s[1], s[2], n);
      break;
    case 2:
      launch(update_kernel<2, Step, T>, {grid, 256}, step, p, g, s[0], s[1], s[2], n);
      break;
    default:
      launch(update_kernel<3, Step, T>, {grid, 256}, step, p, g, s[0], s[1], s[2], n);
      break;
  }
  IGNIS_CUDA_CHECK_LAUNCH("optimizer_step");
}

}  // namespace

void CudaBackend::optimizer_step(OptimizerOp op, const OptimizerStepParams& params, const Tensor& param,
                                 const Tensor& grad, const std::vector<Tensor>& state) {
  if (state.size() > 3) {
    throw ValueError(std::string("[optimizer_step] at most 3 state tensors, got ") + std::to_string(state.size()));
  }
  const std::int64_t n = param.numel();
  if (n == 0) return;
  OpDevice d(param);
  visit_dtype(param.dtype(), "optimizer_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* p = param.data_ptr<T>();
      const T* g = grad.data_ptr<T>();
      T* s[3] = {nullptr, nullptr, nullptr};
      for (std::size_t k = 0; k < state.size(); ++k) s[k] = state[k].data_ptr<T>();
      switch (op) {  // the host-side twin of kernels::visit_optimizer
        case OptimizerOp::kSgd: launch_update(kernels::SgdStep{params}, state.size(), p, g, s, n); break;
        case OptimizerOp::kAdam: launch_update(kernels::AdamStep{params}, state.size(), p, g, s, n); break;
        case OptimizerOp::kRmsprop: launch_update(kernels::RmspropStep{params}, state.size(), p, g, s, n); break;
      }
    } else {
      throw DTypeError(std::string("[optimizer_step] parameters must be floating point, got ") +
                       std::string(name(param.dtype())));
    }
  });
}

}  // namespace ignis::backend

// Optimizer updates on the CPU: the shared functors of kernels/optim_functors.hpp in a loop.
#include <type_traits>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

void CpuBackend::optimizer_step(OptimizerOp op, const OptimizerStepParams& params, const Tensor& param,
                                const Tensor& grad, const std::vector<Tensor>& state) {
  if (state.size() > 3) detail::fail<ValueError>("[optimizer_step] at most 3 state tensors, got {}", state.size());
  visit_dtype(param.dtype(), "optimizer_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      T* p = param.data_ptr<T>();
      const T* g = grad.data_ptr<T>();
      T* s[3] = {nullptr, nullptr, nullptr};
      for (std::size_t k = 0; k < state.size(); ++k) s[k] = state[k].data_ptr<T>();
      const int n_state = static_cast<int>(state.size());
      kernels::visit_optimizer(op, params, [&](auto step) {
        cpu::parallel_for(0, param.numel(), cpu::kGrain, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t i = b; i < e; ++i) {
            T values[3] = {};
            for (int k = 0; k < n_state; ++k) values[k] = s[k][i];
            step(p[i], g[i], values);
            for (int k = 0; k < n_state; ++k) s[k][i] = values[k];
          }
        });
      });
    } else {
      detail::fail<DTypeError>("[optimizer_step] parameters must be floating point, got {}", param.dtype());
    }
  });
}

}  // namespace ignis::backend

// Optimizer updates on the CPU: the shared functors of kernels/optim_functors.hpp in a loop.
#include <type_traits>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

/// The update loop for exactly N state tensors (unused state slots get a scratch value), so that
/// each variant is a plain loop the compiler vectorises (with -fno-math-errno for the sqrt).
template <int N, class T, class Step>
void update_loop(const Step& step, T* __restrict p, const T* __restrict g, T* const* s, std::int64_t begin,
                 std::int64_t end) {
  T* __restrict s0 = s[0];
  T* __restrict s1 = s[1];
  T* __restrict s2 = s[2];
  T unused0 = 0, unused1 = 0, unused2 = 0;
  for (std::int64_t i = begin; i < end; ++i) {
    step(p[i], g[i], N > 0 ? s0[i] : unused0, N > 1 ? s1[i] : unused1, N > 2 ? s2[i] : unused2);
  }
}

}  // namespace

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
      kernels::visit_optimizer(op, params, [&](auto step) {
        cpu::parallel_for(0, param.numel(), cpu::kGrain, [&](std::int64_t b, std::int64_t e) {
          switch (state.size()) {
            case 0: update_loop<0>(step, p, g, s, b, e); break;
            case 1: update_loop<1>(step, p, g, s, b, e); break;
            case 2: update_loop<2>(step, p, g, s, b, e); break;
            default: update_loop<3>(step, p, g, s, b, e); break;
          }
        });
      });
    } else {
      detail::fail<DTypeError>("[optimizer_step] parameters must be floating point, got {}", param.dtype());
    }
  });
}

}  // namespace ignis::backend

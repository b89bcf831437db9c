// Generated and random tensors on the CPU: element i (or Philox block b) depends on i (b) only,
// so the loops split freely across threads and the streams match other devices.
#include <algorithm>
#include <type_traits>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "kernels/generate_functors.hpp"
#include "kernels/philox.hpp"
#include "parallel.hpp"

namespace ignis::backend {

void CpuBackend::generate(GenerateOp op, const GenerateParams& params, const Tensor& out) {
  visit_dtype(out.dtype(), "generate", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());
    kernels::visit_generate(op, params, [&](auto fn) {
      cpu::parallel_for(0, out.numel(), cpu::kGrain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) o[i] = fn.template at<T>(i);
      });
    });
  });
}

void CpuBackend::random(RandomOp op, const RandomParams& params, PhiloxState state, const Tensor& out) {
  visit_dtype(out.dtype(), "random", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      detail::fail<DTypeError>("[random] bool tensors cannot be filled with random values");
    } else {
      const kernels::RandomFromBlock fn{op, params};
      const std::int64_t per = kernels::RandomFromBlock::per_block<T>(op);
      const std::int64_t n = out.numel();
      const std::int64_t blocks = (n + per - 1) / per;
      T* o = static_cast<T*>(out.data_ptr());
      cpu::parallel_for(0, blocks, cpu::kGrain / 4, [&](std::int64_t b, std::int64_t e) {
        T values[4];
        for (std::int64_t blk = b; blk < e; ++blk) {
          fn(kernels::philox_block(state.seed, state.offset + static_cast<std::uint64_t>(blk)), values);
          const std::int64_t first = blk * per;
          const std::int64_t count = std::min(per, n - first);
          for (std::int64_t j = 0; j < count; ++j) o[first + j] = values[j];
        }
      });
    }
  });
}

}  // namespace ignis::backend

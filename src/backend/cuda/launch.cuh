#pragma once
// launch(): every kernel launch of the CUDA backend goes through here instead of a raw <<<>>>,
// so the same call sites run on a GPU (nvcc: the <<<>>> launch) and on the simulated device (a
// host compiler: the block scheduler of sim/kernel_runtime, in test builds only). Each launch is
// followed by IGNIS_CUDA_CHECK_LAUNCH at the call site, as before.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <utility>

#include "ignis/core/error.hpp"

#if !defined(__CUDACC__)
#include <tuple>
#include <type_traits>

#include "backend/cuda/sim/launch_entry.hpp"
#endif

/// Declares `name`, the launch's dynamic shared memory as T[] (LaunchShape::shared_bytes long).
#if defined(__CUDACC__)
#define IGNIS_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#else
#define IGNIS_DYNAMIC_SHARED(T, name) T* const name = static_cast<T*>(::ignis::cuda_sim::dynamic_shared())
#endif

namespace ignis::backend::cuda_detail {

/// The most threads a block of this backend may have. scripts/check-kernels proves that every
/// kernel fits the register file at this size (registers × threads ≤ 65,536, for every
/// architecture built), and launch() refuses a larger block, so the two cannot drift apart.
/// Raising it means rerunning that check (ctest -R KernelResources).
inline constexpr unsigned kMaxBlockThreads = 256;

/// A launch's configuration: grid and block shapes, dynamic shared memory, stream.
struct LaunchShape {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes = 0;
  cudaStream_t stream = nullptr;
};

template <class... Params, class... Args>
void launch(void (*kernel)(Params...), const LaunchShape& shape, Args&&... args) {
  if (const unsigned long long threads = 1ull * shape.block.x * shape.block.y * shape.block.z;
      threads > kMaxBlockThreads) {
    throw CudaError("[cuda launch] a block of " + std::to_string(threads) + " threads exceeds kMaxBlockThreads (" +
                    std::to_string(kMaxBlockThreads) + ", src/backend/cuda/launch.cuh), the size the kernels' " +
                    "register use is checked for");
  }
#if defined(__CUDACC__)
  kernel<<<shape.grid, shape.block, shape.shared_bytes, shape.stream>>>(
      std::forward<Args>(args)...);
#else
  // The arguments are copied once, as CUDA copies them to the kernel's parameter space; every
  // thread then gets its own copies, as on a GPU.
  struct Call {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  } call{kernel, {std::forward<Args>(args)...}};
  cuda_sim::launch(
      reinterpret_cast<const void*>(kernel), shape.grid, shape.block, shape.shared_bytes,
      shape.stream,
      [](void* context) {
        Call& c = *static_cast<Call*>(context);
        std::apply(c.kernel, c.params);
      },
      &call);
#endif
}

}  // namespace ignis::backend::cuda_detail

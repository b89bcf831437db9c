#pragma once
// The simulated device's counterpart of a <<<>>> launch (see backend/cuda/launch.cuh): checks the
// stream and the sticky error, opens device memory to the kernel, runs it (kernel_runtime) and
// records the result for cudaGetLastError, as the CUDA runtime does.
#include <cuda_runtime_api.h>

#include <cstddef>

#include "backend/cuda/sim/kernel_runtime.hpp"

namespace ignis::cuda_sim {

/// `kernel` identifies the kernel in messages (its symbol is looked up).
void launch(const void* kernel, dim3 grid, dim3 block, std::size_t shared_bytes,
            cudaStream_t stream, KernelBody body, void* context);

}  // namespace ignis::cuda_sim

#pragma once
// The simulated device's kernel runtime: runs a kernel launch on the host with CUDA's execution
// semantics, for the CUDA backend's kernels compiled by the host compiler (test builds only; see
// docs/architecture.md, "The simulated CUDA device").
//
// Blocks run one after another; the threads of a block are fibers on one OS thread. A thread runs
// until it finishes or waits (__syncthreads, a warp collective), so a barrier really waits and a
// missing one shows as a wrong result. Blocks alternate between running their threads in forward
// and in reverse order (IGNIS_CUDA_SIM_ORDER=forward|reverse|alternate), so a race that one order
// hides the other shows. Misuse that is undefined on a GPU (a warp collective whose mask names a
// lane that is absent, has exited or waits elsewhere; a barrier that can never complete) ends the
// launch with a fault: the context is then poisoned with cudaErrorLaunchFailure, as on a GPU, and
// the reason is printed.
#include <vector_types.h>

#include <cstddef>
#include <string>

namespace ignis::cuda_sim {

/// The kernel's body for one thread: calls the kernel with the launch's arguments.
using KernelBody = void (*)(void* context);

/// Launch limits of the stated device (an sm_90 part), checked as the driver checks them.
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr unsigned kMaxBlockDimZ = 64;
inline constexpr unsigned kMaxGridDimX = 2147483647u;
inline constexpr unsigned kMaxGridDimYZ = 65535;
inline constexpr std::size_t kDefaultSharedBytes = 48 * 1024;
inline constexpr unsigned kWarpSize = 32;

/// "kernel <its name>" for a message (from the dynamic symbols, else the module's static symbol
/// table), or "a kernel" when neither has it (a stripped module).
std::string kernel_name(const void* kernel);

/// Runs one launch to completion (`kernel` names it in messages). Returns cudaSuccess, cudaErrorInvalidConfiguration (bad
/// shape: nothing ran) or cudaErrorLaunchFailure (a fault, described on stderr). The caller
/// (the runtime API's launch entry) records the result as CUDA does.
int run_kernel(const void* kernel, dim3 grid, dim3 block, std::size_t dynamic_shared_bytes,
               KernelBody body, void* context);

/// The order in which a block's threads are started and resumed. kAlternate (the default, or
/// IGNIS_CUDA_SIM_ORDER) runs every other block, and every other launch, in reverse.
enum class ThreadOrder { kForward, kReverse, kAlternate };
void set_thread_order(ThreadOrder order);

/// The builtins of the running thread (read by threadIdx & co., see device_builtins.hpp).
struct ThreadCoordinates {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
const ThreadCoordinates& coordinates();

/// __syncthreads(): waits until every thread of the block that has not exited arrives.
void sync_threads();

/// The warp collectives' common step: deposits this lane's `size` bytes (≤ 16), waits until every
/// lane of `mask` has deposited for the same collective, and returns the warp's 32 deposits
/// (16 bytes each), valid until this lane's next collective. `what` names the intrinsic in faults.
const unsigned char* warp_exchange(unsigned mask, const void* value, std::size_t size,
                                   const char* what);

/// Ends the launch with a fault (the thread does not continue).
[[noreturn]] void fault(const char* message);

/// The launch's dynamic shared memory (exactly the launch's byte count, so an overrun is an
/// AddressSanitizer error), or null if the launch asked for none.
void* dynamic_shared();

}  // namespace ignis::cuda_sim

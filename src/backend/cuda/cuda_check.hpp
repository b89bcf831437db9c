#pragma once
// Every CUDA runtime and cuBLAS call goes through these checks: a failure becomes a CudaError
// naming the call, the code and its name. Errors that poison the CUDA context (illegal address,
// launch failure, device-side assert, ...) mark the device unusable: later calls fail at once with
// the first cause instead of with confusing follow-on errors.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

namespace ignis::backend::cuda_detail {

/// Throws CudaError for `status` from `call` (a no-op for cudaSuccess).
void check(cudaError_t status, const char* call, const char* file, int line);
void check_cublas(cublasStatus_t status, const char* call, const char* file, int line);
/// Throws the poisoning error if an earlier call poisoned the current device's context.
void check_not_poisoned();
/// After a kernel launch: launch errors, and with IGNIS_SYNC_DEBUG=1 a synchronisation so that a
/// failing kernel is named by the op that launched it.
void check_launch(const char* op, const char* file, int line);

}  // namespace ignis::backend::cuda_detail

#define IGNIS_CUDA_CHECK(call) ::ignis::backend::cuda_detail::check((call), #call, __FILE__, __LINE__)
#define IGNIS_CUBLAS_CHECK(call) ::ignis::backend::cuda_detail::check_cublas((call), #call, __FILE__, __LINE__)
#define IGNIS_CUDA_CHECK_LAUNCH(op) ::ignis::backend::cuda_detail::check_launch((op), __FILE__, __LINE__)

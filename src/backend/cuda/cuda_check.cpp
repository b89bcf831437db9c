#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "cuda_check.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend::cuda_detail {

namespace {

std::mutex poison_mutex;
std::string poison_message;  // the first context-poisoning error, empty if none

bool poisons_context(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
      return true;
    default:
      return false;
  }
}

bool sync_debug() {
  static const bool on = [] {
    const char* v = std::getenv("IGNIS_SYNC_DEBUG");
    return v != nullptr && v[0] == '1';
  }();
  return on;
}

}  // namespace

void check_not_poisoned() {
  std::lock_guard lock(poison_mutex);
  if (!poison_message.empty()) {
    throw CudaError(fmt::format("the CUDA device is unusable after an earlier error ({}); restart the process",
                                poison_message));
  }
}

void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  std::string message = fmt::format("[cuda] {} failed: {} ({}): {} at {}:{}", call, cudaGetErrorName(status),
                                    static_cast<int>(status), cudaGetErrorString(status), file, line);
  if (status == cudaErrorMemoryAllocation) throw OutOfMemoryError(message);
  if (poisons_context(status)) {
    std::lock_guard lock(poison_mutex);
    if (poison_message.empty()) poison_message = message;
  }
  throw CudaError(message);
}

void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError(fmt::format("[cublas] {} failed: {} ({}) at {}:{}", call, cublasGetStatusName(status),
                              static_cast<int>(status), file, line));
}

void check_launch(const char* op, const char* file, int line) {
  check(cudaGetLastError(), op, file, line);
  if (sync_debug()) check(cudaDeviceSynchronize(), op, file, line);
}

}  // namespace ignis::backend::cuda_detail

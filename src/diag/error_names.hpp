#pragma once
// Names of the CUDA driver API and NVML return codes the doctor reasons about (the values are
// fixed by cuda.h and nvml.h; libignis includes neither). Internal to the diag layer.
#include <string>

namespace ignis::diag::detail {

// CUresult (cuda.h).
inline constexpr int kCudaSuccess = 0;
inline constexpr int kCudaErrorNotInitialized = 3;
inline constexpr int kCudaErrorStubLibrary = 34;
inline constexpr int kCudaErrorDeviceUnavailable = 46;
inline constexpr int kCudaErrorNoDevice = 100;
inline constexpr int kCudaErrorOperatingSystem = 304;
inline constexpr int kCudaErrorSystemNotReady = 802;
inline constexpr int kCudaErrorSystemDriverMismatch = 803;
inline constexpr int kCudaErrorCompatNotSupportedOnDevice = 804;
inline constexpr int kCudaErrorUnknown = 999;

// nvmlReturn_t (nvml.h).
inline constexpr int kNvmlSuccess = 0;
inline constexpr int kNvmlErrorNoPermission = 4;
inline constexpr int kNvmlErrorInsufficientSize = 7;
inline constexpr int kNvmlErrorDriverNotLoaded = 9;
inline constexpr int kNvmlErrorLibRmVersionMismatch = 18;

/// "CUDA_ERROR_STUB_LIBRARY" for 34; "CUresult 12345" for codes not listed.
std::string cuda_error_name(int code);
/// "NVML_ERROR_LIB_RM_VERSION_MISMATCH" for 18; "nvmlReturn_t 12345" for codes not listed.
std::string nvml_error_name(int code);
/// "34 (CUDA_ERROR_STUB_LIBRARY)".
std::string cuda_result(int code);

}  // namespace ignis::diag::detail

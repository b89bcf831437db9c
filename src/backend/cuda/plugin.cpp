// Entry points of the CUDA backend plugin (see backend/cuda_plugin.hpp for the contract): the
// backend when at least one device is usable, otherwise null with the reason, classified so that
// `ignis::cuda::unavailable_reason()` and `ignis doctor` can say what to do.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cuda_backend.hpp"
#include "cudnn_probe.hpp"
#include "driver_library.hpp"
#include "ignis/backend/cuda.hpp"

namespace {

using ignis::cuda::UnavailableKind;

int runtime_version() {
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = CUDART_VERSION;
  return runtime;
}

/// The reason for a failed cudaGetDeviceCount, in the user's terms.
UnavailableKind classify(cudaError_t status) {
  switch (status) {
    case cudaErrorInsufficientDriver: return UnavailableKind::kDriverTooOld;
    case cudaErrorStubLibrary: return UnavailableKind::kStubDriver;
    case cudaErrorNoDevice: return UnavailableKind::kNoDevice;
    default: return UnavailableKind::kOther;
  }
}

/// What the user can do about it.
std::string what_to_do(UnavailableKind kind, int runtime_major, int runtime_minor) {
  char buffer[256];
  switch (kind) {
    case UnavailableKind::kNoDriver:
      return "install the NVIDIA driver (`nvidia-smi` must list the GPU); in a container, start it with "
             "`--gpus all`";
    case UnavailableKind::kStubDriver:
      return "the CUDA toolkit's stub libcuda.so (lib64/stubs) was loaded instead of the driver's: remove the "
             "stubs directory from LD_LIBRARY_PATH";
    case UnavailableKind::kDriverTooOld:
      std::snprintf(buffer, sizeof buffer, "update the NVIDIA driver to one that supports CUDA %d.%d or newer",
                    runtime_major, runtime_minor);
      return buffer;
    case UnavailableKind::kNoDevice: {
      const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
      std::snprintf(buffer, sizeof buffer, "check that `nvidia-smi` lists a GPU and that CUDA_VISIBLE_DEVICES (%s) "
                    "names it", visible ? visible : "unset");
      return buffer;
    }
    default: return "run `ignis doctor` for a diagnosis";
  }
}

}  // namespace

extern "C" int ignis_cuda_plugin_abi_version() { return ignis::backend::kPluginAbiVersion; }

// Probes cuDNN now, at load, independently of any GPU: the loader records the result even when
// create() declines, so `ignis info` shows it on every machine.
extern "C" int ignis_cuda_plugin_cudnn(char* message, unsigned long message_size, int* version) {
  const ignis::backend::cuda_detail::CudnnProbe& probe = ignis::backend::cuda_detail::cudnn_probe();
  std::snprintf(message, message_size, "%s", probe.message.c_str());
  *version = probe.version;
  return static_cast<int>(probe.state);
}

extern "C" ignis::backend::Backend* ignis_cuda_plugin_create(char* error, unsigned long error_size, int* kind,
                                                             int* cuda_error) {
  const int runtime = runtime_version();
  const int major = runtime / 1000, minor = (runtime % 1000) / 10;
  // The driver library first: without it the runtime reports a generic error.
  if (std::string why; !ignis::backend::cuda_detail::driver_library_loads(&why)) {
    std::snprintf(error, error_size,
                  "no NVIDIA driver: libcuda.so.1 cannot be loaded (%s); this ignis was built with "
                  "CUDA %d.%d. "
                  "What to do: %s",
                  why.c_str(), major, minor,
                  what_to_do(UnavailableKind::kNoDriver, major, minor).c_str());
    *kind = static_cast<int>(UnavailableKind::kNoDriver);
    return nullptr;
  }
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const cudaError_t code = status != cudaSuccess ? status : cudaErrorNoDevice;
    int driver = 0;
    cudaDriverGetVersion(&driver);
    const UnavailableKind why = classify(code);
    char driver_text[64] = "the driver's CUDA version is unknown";
    if (driver > 0) {
      std::snprintf(driver_text, sizeof driver_text, "the driver supports CUDA %d.%d", driver / 1000,
                    (driver % 1000) / 10);
    }
    std::snprintf(error, error_size, "cudaGetDeviceCount failed: %s (%s, code %d); %s, this ignis was built with "
                  "CUDA %d.%d. What to do: %s",
                  cudaGetErrorString(code), cudaGetErrorName(code), static_cast<int>(code), driver_text, major,
                  minor, what_to_do(why, major, minor).c_str());
    *kind = static_cast<int>(why);
    *cuda_error = static_cast<int>(code);
    return nullptr;
  }
  try {
    return new ignis::backend::CudaBackend(count);
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "the CUDA backend could not start: %s", e.what());
    *kind = static_cast<int>(UnavailableKind::kOther);
    return nullptr;
  }
}

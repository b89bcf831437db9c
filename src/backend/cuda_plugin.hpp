#pragma once
// Loading the CUDA backend plugin (libignis_cuda.so) with dlopen, once, on first use.
// The outcome is kept, with the reason when it failed, for `ignis info` and `ignis doctor`.
#include <string>

#include "backend.hpp"
#include "ignis/backend/cuda.hpp"

namespace ignis::backend {

struct CudaPluginStatus {
  enum class State { kNotBuilt, kLoadFailed, kCreateFailed, kLoaded };
  State state = State::kNotBuilt;
  std::string path;    // where the plugin was looked for
  std::string reason;  // why it is not usable (dlerror text, the plugin's own message, ...)
  Backend* backend = nullptr;
  /// The plugin's classification when it declined (a cuda::UnavailableKind value) and the
  /// cudaError_t code behind it.
  int unavailable_kind = 0;
  int cuda_error = 0;
  /// The plugin's cuDNN probe, made when it loads (before create, so known without a GPU): a
  /// cuda::CudnnState value, cudnnGetVersion() of the library found, and why it is not usable.
  cuda::CudnnState cudnn_state = cuda::CudnnState::kNoPlugin;
  int cudnn_version = 0;
  std::string cudnn_message;
};

/// Loads the plugin on the first call (thread-safe) and returns the outcome. The plugin is
/// libignis_cuda.so beside libignis, or the file named by $IGNIS_CUDA_PLUGIN.
const CudaPluginStatus& cuda_plugin_status();

/// Loads the plugin at `path` now (uncached; the library stays loaded if it is a plugin).
CudaPluginStatus load_cuda_plugin(const std::string& path);

/// Symbols the plugin exports (extern "C").
inline constexpr const char* kPluginAbiSymbol = "ignis_cuda_plugin_abi_version";
inline constexpr const char* kPluginCreateSymbol = "ignis_cuda_plugin_create";
inline constexpr const char* kPluginCudnnSymbol = "ignis_cuda_plugin_cudnn";
/// int ignis_cuda_plugin_abi_version();
using PluginAbiFn = int (*)();
/// Backend* ignis_cuda_plugin_create(char* error, size_t error_size, int* kind, int* cuda_error):
/// the backend, or null with a message in error, a cuda::UnavailableKind in *kind and the CUDA
/// error code in *cuda_error.
using PluginCreateFn = Backend* (*)(char* error, unsigned long error_size, int* kind, int* cuda_error);
/// int ignis_cuda_plugin_cudnn(char* message, size_t message_size, int* version) (since ABI 5): the
/// cuda::CudnnState of the plugin's cuDNN probe, its message and the version found.
using PluginCudnnFn = int (*)(char* message, unsigned long message_size, int* version);

}  // namespace ignis::backend

#include "cuda_plugin.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "ignis/core/build_info.hpp"

namespace ignis::backend {

namespace {

/// The directory libignis was loaded from: the plugin is installed beside it.
std::filesystem::path library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuda_plugin_status), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  return std::filesystem::path(info.dli_fname).parent_path();
}

CudaPluginStatus load_default() {
  if (const char* override_path = std::getenv("IGNIS_CUDA_PLUGIN"); override_path && *override_path) {
    return load_cuda_plugin(override_path);
  }
  if (!build_info::kCudaBuilt) {
    CudaPluginStatus status;
    status.state = CudaPluginStatus::State::kNotBuilt;
    status.reason = fmt::format("ignis was built without CUDA ({})", build_info::kCudaNotBuiltReason);
    return status;
  }
  return load_cuda_plugin((library_directory() / build_info::kCudaPluginName).string());
}

}  // namespace

CudaPluginStatus load_cuda_plugin(const std::string& path) {
  CudaPluginStatus status;
  status.path = path;
  void* handle = dlopen(status.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    status.state = CudaPluginStatus::State::kLoadFailed;
    const char* err = dlerror();
    status.reason = fmt::format("could not load the CUDA plugin {}: {}", status.path,
                                err ? err : "unknown dlopen error");
    return status;
  }
  auto abi = reinterpret_cast<PluginAbiFn>(dlsym(handle, kPluginAbiSymbol));
  auto create = reinterpret_cast<PluginCreateFn>(dlsym(handle, kPluginCreateSymbol));
  if (abi == nullptr || create == nullptr) {
    dlclose(handle);
    status.state = CudaPluginStatus::State::kLoadFailed;
    status.reason = fmt::format("{} is not an ignis CUDA plugin (missing {} or {})", status.path,
                                kPluginAbiSymbol, kPluginCreateSymbol);
    return status;
  }
  if (const int plugin_abi = abi(); plugin_abi != kPluginAbiVersion) {
    dlclose(handle);
    status.state = CudaPluginStatus::State::kLoadFailed;
    status.reason = fmt::format("{} speaks plugin ABI {} but this libignis expects {}; rebuild "
                                "ignis so both come from the same build",
                                status.path, plugin_abi, kPluginAbiVersion);
    return status;
  }
  auto cudnn = reinterpret_cast<PluginCudnnFn>(dlsym(handle, kPluginCudnnSymbol));
  if (cudnn == nullptr) {
    dlclose(handle);
    status.state = CudaPluginStatus::State::kLoadFailed;
    status.reason = fmt::format("{} claims plugin ABI {} but lacks {}; rebuild ignis so both come from the same build",
                                status.path, kPluginAbiVersion, kPluginCudnnSymbol);
    return status;
  }
  char cudnn_message[1024] = {};
  const int cudnn_state = cudnn(cudnn_message, sizeof(cudnn_message), &status.cudnn_version);
  status.cudnn_message = cudnn_message;
  status.cudnn_state = cudnn_state >= 0 && cudnn_state <= static_cast<int>(cuda::CudnnState::kIncomplete)
                           ? static_cast<cuda::CudnnState>(cudnn_state)
                           : cuda::CudnnState::kNotFound;
  if (status.cudnn_state != cuda::CudnnState::kAvailable && status.cudnn_message.empty()) {
    status.cudnn_message = fmt::format("the CUDA plugin reported cuDNN state {} without a reason", cudnn_state);
  }
  char error[1024] = {};
  status.backend = create(error, sizeof(error), &status.unavailable_kind, &status.cuda_error);
  if (status.backend == nullptr) {
    status.state = CudaPluginStatus::State::kCreateFailed;
    status.reason = error[0] ? error : "the CUDA plugin returned no backend and no reason";
    return status;
  }
  status.state = CudaPluginStatus::State::kLoaded;
  return status;  // the handle stays open for the life of the process
}

const CudaPluginStatus& cuda_plugin_status() {
  static const CudaPluginStatus status = load_default();  // thread-safe initialisation
  return status;
}

}  // namespace ignis::backend

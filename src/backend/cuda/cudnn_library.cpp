#include "cudnn_library.hpp"

#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <exception>

#include "cudnn_probe.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend::cuda_detail {

namespace {

using cuda::CudnnState;

/// cuDNN 9's legacy convolution API (still shipped in libcudnn_cnn) is what this file calls.
constexpr std::size_t kMinVersion = 90000;

struct Loaded {
  CudnnApi api{};
  CudnnProbe probe;
};

std::string what_to_do() {
  const int cuda_major = CUDART_VERSION / 1000;
  return fmt::format("What to do: install cuDNN 9 for CUDA {0} (the cudnn9-cuda-{0} package of NVIDIA's "
                     "repository, or the tarball's lib folder on the loader path; IGNIS_CUDNN_LIBRARY=path picks "
                     "a library explicitly). Without it CUDA still runs everything but convolutions: keep "
                     "convolutional models on the CPU (model.to(ignis::Device::cpu()))",
                     cuda_major);
}

/// Where a loaded symbol's library lives (for the messages), or `fallback`.
std::string library_path(void* symbol, const std::string& fallback) {
  Dl_info info{};
  if (symbol != nullptr && dladdr(symbol, &info) != 0 && info.dli_fname != nullptr) return info.dli_fname;
  return fallback;
}

Loaded load() {
  Loaded r;
  CudnnProbe& probe = r.probe;
  void* lib = nullptr;
  std::string tried;
  if (const char* chosen = std::getenv("IGNIS_CUDNN_LIBRARY"); chosen != nullptr && *chosen != '\0') {
    tried = chosen;
    lib = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
  } else {
    for (const char* name : {"libcudnn.so.9", "libcudnn.so"}) {
      tried = name;
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
    }
  }
  if (lib == nullptr) {
    const char* why = dlerror();
    probe.state = CudnnState::kNotFound;
    probe.message = fmt::format("cuDNN could not be loaded ({}). {}", why != nullptr ? why : tried + ": not found",
                                what_to_do());
    return r;
  }
  std::string missing;
  auto bind = [&](auto& fn, const char* symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
    if (fn == nullptr) missing += std::string(missing.empty() ? "" : ", ") + symbol;
  };
  CudnnApi& a = r.api;
  // The version first: a too-old cuDNN is named as such, not by the entry points it lacks.
  bind(a.GetVersion, "cudnnGetVersion");
  const std::string path = library_path(reinterpret_cast<void*>(a.GetVersion), tried);
  if (a.GetVersion != nullptr) {
    const std::size_t version = a.GetVersion();
    probe.version = static_cast<int>(version);
    if (version < kMinVersion) {
      probe.state = CudnnState::kTooOld;
      probe.message = fmt::format("cuDNN {} ({}) is too old: ignis needs cuDNN 9 or newer. {}",
                                  cuda::cudnn_version_text(static_cast<int>(version)),
                                  path, what_to_do());
      return r;
    }
  }
  bind(a.GetErrorString, "cudnnGetErrorString");
  bind(a.Create, "cudnnCreate");
  bind(a.CreateTensorDescriptor, "cudnnCreateTensorDescriptor");
  bind(a.SetTensor4dDescriptor, "cudnnSetTensor4dDescriptor");
  bind(a.DestroyTensorDescriptor, "cudnnDestroyTensorDescriptor");
  bind(a.CreateFilterDescriptor, "cudnnCreateFilterDescriptor");
  bind(a.SetFilter4dDescriptor, "cudnnSetFilter4dDescriptor");
  bind(a.DestroyFilterDescriptor, "cudnnDestroyFilterDescriptor");
  bind(a.CreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor");
  bind(a.SetConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor");
  bind(a.SetConvolutionGroupCount, "cudnnSetConvolutionGroupCount");
  bind(a.SetConvolutionMathType, "cudnnSetConvolutionMathType");
  bind(a.DestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor");
  bind(a.GetConvolutionForwardAlgorithm_v7, "cudnnGetConvolutionForwardAlgorithm_v7");
  bind(a.GetConvolutionForwardWorkspaceSize, "cudnnGetConvolutionForwardWorkspaceSize");
  bind(a.ConvolutionForward, "cudnnConvolutionForward");
  bind(a.GetConvolutionBackwardDataAlgorithm_v7, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  bind(a.GetConvolutionBackwardDataWorkspaceSize, "cudnnGetConvolutionBackwardDataWorkspaceSize");
  bind(a.ConvolutionBackwardData, "cudnnConvolutionBackwardData");
  bind(a.GetConvolutionBackwardFilterAlgorithm_v7, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  bind(a.GetConvolutionBackwardFilterWorkspaceSize, "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  bind(a.ConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter");
  bind(a.AddTensor, "cudnnAddTensor");
  if (!missing.empty()) {
    probe.state = CudnnState::kIncomplete;
    probe.message = fmt::format("the cuDNN library {} lacks {} (a partial or mismatched install). {}", path, missing,
                                what_to_do());
    return r;
  }
  probe.state = CudnnState::kAvailable;
  return r;
}

const Loaded& loaded() noexcept {
  static const Loaded l = [] {
    try {
      return load();
    } catch (const std::exception& e) {  // fmt or an allocation; keep the plugin loading
      Loaded failed;
      failed.probe.state = CudnnState::kNotFound;
      failed.probe.message = std::string("cuDNN could not be probed: ") + e.what();
      return failed;
    }
  }();
  return l;
}

}  // namespace

const CudnnProbe& cudnn_probe() noexcept { return loaded().probe; }

const CudnnApi& cudnn(const char* op) {
  const Loaded& l = loaded();
  if (l.probe.state != CudnnState::kAvailable) {
    throw BackendUnavailableError(
        fmt::format("[{}] cannot run on CUDA without a usable cuDNN: {}", op, l.probe.message));
  }
  return l.api;
}

void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  const char* text = cudnn("cudnn").GetErrorString(status);
  throw CudaError(fmt::format("[cudnn] {} failed: {} ({}) at {}:{}", call, text != nullptr ? text : "?",
                              static_cast<int>(status), file, line));
}

}  // namespace ignis::backend::cuda_detail

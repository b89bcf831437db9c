#include "cudnn_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <mutex>

#include "ignis/core/error.hpp"

namespace ignis::backend::cuda_detail {

namespace {

/// cuDNN 9's legacy convolution API (still shipped in libcudnn_cnn) is what this file calls.
constexpr std::size_t kMinVersion = 90000;

struct Loaded {
  CudnnApi api{};
  std::string error;  // empty when loaded
};

Loaded load() {
  Loaded r;
  void* lib = nullptr;
  for (const char* name : {"libcudnn.so.9", "libcudnn.so"}) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
  }
  if (lib == nullptr) {
    const char* why = dlerror();
    r.error = fmt::format("cuDNN could not be loaded ({}); install cuDNN 9 for this CUDA version (e.g. the "
                          "cudnn9-cuda-13 package) or keep convolutional models on the CPU",
                          why != nullptr ? why : "libcudnn.so.9 not found");
    return r;
  }
  std::string missing;
  auto bind = [&](auto& fn, const char* symbol) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol));
    if (fn == nullptr) missing += std::string(missing.empty() ? "" : ", ") + symbol;
  };
  CudnnApi& a = r.api;
  bind(a.GetVersion, "cudnnGetVersion");
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
    r.error = fmt::format("the loaded cuDNN lacks {}; install cuDNN 9", missing);
    return r;
  }
  const std::size_t version = a.GetVersion();
  if (version < kMinVersion) {
    r.error = fmt::format("cuDNN {}.{}.{} is too old: ignis needs cuDNN 9 or newer", version / 10000,
                          (version / 100) % 100, version % 100);
  }
  return r;
}

}  // namespace

const CudnnApi& cudnn(const char* op) {
  static const Loaded loaded = load();  // once, thread-safe
  if (!loaded.error.empty()) throw BackendUnavailableError(fmt::format("[{}] {}", op, loaded.error));
  return loaded.api;
}

void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  const char* text = cudnn("cudnn").GetErrorString(status);
  throw CudaError(fmt::format("[cudnn] {} failed: {} ({}) at {}:{}", call, text != nullptr ? text : "?",
                              static_cast<int>(status), file, line));
}

}  // namespace ignis::backend::cuda_detail

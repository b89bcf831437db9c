#pragma once
// The plugin's cuDNN probe, run once when the plugin loads (cudnnGetVersion needs no GPU) and
// kept: `ignis::cuda::cudnn_status()` and `ignis info` report it, and a convolution on CUDA
// without a usable cuDNN throws its message. Free of cudnn.h, so plugin.cpp and the build
// without cuDNN's headers (conv_no_cudnn.cpp) share it. Host-only.
#include <string>

#include "ignis/backend/cuda.hpp"

namespace ignis::backend::cuda_detail {

struct CudnnProbe {
  cuda::CudnnState state = cuda::CudnnState::kNotFound;
  int version = 0;      // cudnnGetVersion() of the library found (90100 = 9.1.0), 0 when none
  std::string message;  // why it cannot be used, ending in "What to do: ..."; empty when usable
};

/// The probe of the library convolutions use: $IGNIS_CUDNN_LIBRARY when set, else libcudnn.so.9
/// (then libcudnn.so) on the loader's path. Runs on the first call, thread-safe; never throws.
const CudnnProbe& cudnn_probe() noexcept;

}  // namespace ignis::backend::cuda_detail

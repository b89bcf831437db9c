// Stand-ins for libignis_cuda.so that exercise the loader's contract on any machine:
//   FAKE_PLUGIN_ABI       the ABI version it claims (a wrong one must be refused)
//   FAKE_PLUGIN_DECLINES  create() declines like the real plugin on a machine whose driver is
//                         too old: a message, UnavailableKind::kDriverTooOld and cudaError 35;
//                         its cuDNN probe reports a too-old cuDNN 8.9.7.
//   FAKE_PLUGIN_NO_CUDNN  no ignis_cuda_plugin_cudnn although it claims the current ABI.
#include "backend/backend.hpp"
#include "ignis/backend/cuda.hpp"

#include <cstdio>

extern "C" int ignis_cuda_plugin_abi_version() { return FAKE_PLUGIN_ABI; }

#ifndef FAKE_PLUGIN_NO_CUDNN
// Its cuDNN probe found a cuDNN 8.9.7: the loader must keep it even though create() declines.
extern "C" int ignis_cuda_plugin_cudnn(char* message, unsigned long message_size, int* version) {
  std::snprintf(message, message_size, "fake plugin: cuDNN 8.9.7 is too old. What to do: install cuDNN 9");
  *version = 8907;  // cuDNN 8's encoding: major * 1000 + minor * 100 + patch
  return static_cast<int>(ignis::cuda::CudnnState::kTooOld);
}
#endif

extern "C" ignis::backend::Backend* ignis_cuda_plugin_create(char* error, unsigned long error_size, int* kind,
                                                             int* cuda_error) {
  std::snprintf(error, error_size, "fake plugin: the driver supports CUDA 12.2, this ignis was built with CUDA 13.0");
  *kind = static_cast<int>(ignis::cuda::UnavailableKind::kDriverTooOld);
  *cuda_error = 35;  // cudaErrorInsufficientDriver
  return nullptr;
}

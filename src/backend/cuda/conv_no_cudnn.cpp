// Convolution on CUDA without cuDNN: this file is built instead of cudnn_conv.cpp when CMake
// // found no cuDNN headers. Each entry throws BackendUnavailableError naming the op and the way out.
#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

namespace {
[[noreturn]] void not_on_cuda(const char* op) {
  throw BackendUnavailableError(
      fmt::format("[{}] this CUDA plugin was built without cuDNN, so it cannot run {}; install cuDNN 9 "
                  "(scripts/gpu-deps) and rebuild, or keep convolutional models on the CPU: "
                  "model.to(ignis::Device::cpu())",
                  op, op));
}
}  // namespace

void CudaBackend::conv2d(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("conv2d");
}
void CudaBackend::conv2d_backward_input(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("conv2d");
}
void CudaBackend::conv2d_backward_weight(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("conv2d");
}

}  // namespace ignis::backend

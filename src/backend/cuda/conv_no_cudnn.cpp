// Convolution on CUDA without cuDNN: this file is built instead of cudnn_conv.cpp and
// cudnn_library.cpp when CMake found no cuDNN headers. The probe says so (kNotBuilt), and each
// entry throws BackendUnavailableError naming the op with the probe's message.
#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "cudnn_probe.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

namespace cuda_detail {
const CudnnProbe& cudnn_probe() noexcept {
  static const CudnnProbe probe{
      cuda::CudnnState::kNotBuilt, 0,
      "this CUDA plugin was built without cuDNN's headers. What to do: install cuDNN 9 for this CUDA version "
      "and rebuild ignis (CMake finds cudnn_version.h), or keep convolutional models on the CPU "
      "(model.to(ignis::Device::cpu()))"};
  return probe;
}
}  // namespace cuda_detail

namespace {
[[noreturn]] void not_on_cuda(const char* op) {
  throw BackendUnavailableError(
      fmt::format("[{}] cannot run on CUDA without a usable cuDNN: {}", op, cuda_detail::cudnn_probe().message));
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

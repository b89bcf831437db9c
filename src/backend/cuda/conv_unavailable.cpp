// Convolution and pooling on CUDA are not implemented yet: the cuDNN half of issue #7 has not
// landed. Each entry throws BackendUnavailableError naming the op and the way out (run the
// model on the CPU), so a CNN moved to cuda:0 fails at its first layer with a clear message
// rather than a wrong result.
#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

namespace {
[[noreturn]] void not_on_cuda(const char* op) {
  throw BackendUnavailableError(
      fmt::format("[{}] the CUDA backend has no {} yet (the cuDNN part of issue #7 is not implemented); keep "
                  "convolutional models on the CPU: model.to(ignis::Device::cpu())",
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
void CudaBackend::pool2d(PoolOp, const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("pool2d");
}
void CudaBackend::pool2d_backward(PoolOp, const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("pool2d");
}

}  // namespace ignis::backend

// Pooling on CUDA is not implemented yet (no kernels; cuDNN's pooling would need its own
// argmax convention). Each entry throws BackendUnavailableError naming the op and the way out,
// so a CNN moved to cuda:0 fails at its first pooling layer with a clear message rather than a
// wrong result.
#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

namespace {
[[noreturn]] void not_on_cuda(const char* op) {
  throw BackendUnavailableError(
      fmt::format("[{}] the CUDA backend has no {} yet (its CUDA kernels are not written yet, issue #7); keep "
                  "convolutional models on the CPU: model.to(ignis::Device::cpu())",
                  op, op));
}
}  // namespace

void CudaBackend::pool2d(PoolOp, const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("pool2d");
}
void CudaBackend::pool2d_backward(PoolOp, const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_on_cuda("pool2d");
}

}  // namespace ignis::backend

// Maps a device to its backend. Explicit, no static self-registration.
#include <fmt/format.h>

#include "backend.hpp"
#include "cpu/cpu_backend.hpp"
#include "cuda_plugin.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

Tensor new_contiguous(Backend& backend, const Shape& shape, DType dtype, Device device) {
  const auto nbytes = static_cast<std::size_t>(numel(shape)) * item_size(dtype);
  auto storage = std::make_shared<Storage>(backend.allocator(device).allocate(nbytes), nbytes);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Backend& for_device(Device device) {
  if (device.is_cpu()) return cpu_backend();
  const CudaPluginStatus& status = cuda_plugin_status();
  if (status.backend == nullptr) {
    throw BackendUnavailableError(fmt::format(
        "CUDA is not available: {}. Use device \"cpu\", or run `ignis doctor` for a diagnosis",
        status.reason));
  }
  return *status.backend;
}

}  // namespace ignis::backend

// Copies and conversions (no autograd), and the Tensor methods that write or read values:
// fill_, copy_, item, element.
#include "ignis/ops/copy.hpp"

#include "backend/cuda_plugin.hpp"
#include "backend/device_runtime.hpp"
#include "op_utils.hpp"

namespace ignis {

using namespace ops_detail;

namespace ops {

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor clone(const Tensor& t) {
  check_defined(t, "clone");
  Tensor out = new_tensor(t.shape(), t.dtype(), t.device());
  backend_of(t).copy(t, out);
  return out;
}

Tensor to(const Tensor& t, Device target) {
  check_defined(t, "to");
  check_supported(t, "to");
  const Device here = t.device();
  if (target == here || (target.is_cuda() && here.is_cuda() && !target.has_index())) return t;
  Tensor out = new_tensor(t.shape(), t.dtype(), target);
  // The device backend copies between its device and the CPU in both directions.
  backend::Backend& b = here.is_cpu() ? backend::for_device(target) : backend::for_device(here);
  b.copy(t, out);
  return out;
}

bool is_pinned(const Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || t.storage() == nullptr) return false;
  const backend::CudaPluginStatus& cuda = backend::cuda_plugin_status();
  return cuda.backend != nullptr && cuda.backend->device_runtime()->is_pinned(t.storage()->data());
}

Tensor pin_memory(const Tensor& t) {
  check_defined(t, "pin_memory");
  if (!t.device().is_cpu()) {
    detail::fail<DeviceError>("[pin_memory] only CPU tensors can be pinned, this one is on {}", t.device());
  }
  if (is_pinned(t)) return t;
  const backend::CudaPluginStatus& cuda = backend::cuda_plugin_status();
  if (cuda.backend == nullptr) {
    detail::fail<BackendUnavailableError>(
        "[pin_memory] pinned memory needs CUDA, which is not available: {}. Leave pin_memory off on this "
        "machine",
        cuda.reason);
  }
  const auto nbytes = static_cast<std::size_t>(t.numel()) * item_size(t.dtype());
  auto storage = std::make_shared<Storage>(cuda.backend->device_runtime()->pinned_allocator().allocate(nbytes), nbytes);
  Tensor out(std::move(storage), t.shape(), contiguous_strides(t.shape()), 0, t.dtype());
  backend::cpu_backend().copy(t, out);
  return out;
}

Tensor to(const Tensor& t, DType target) {
  check_defined(t, "to");
  check_supported(t, "to");
  if (!is_supported(target)) throw_unsupported_dtype(target, "to");
  if (target == t.dtype()) return t;
  Tensor out = new_tensor(t.shape(), target, t.device());
  backend_of(t).copy(t, out);
  return out;
}

Tensor reshape(const Tensor& t, const Shape& shape) {
  check_defined(t, "reshape");
  if (auto view = layout::try_view(t, shape)) return *view;
  return layout::view(clone(t), shape);
}

}  // namespace ops

Tensor& Tensor::fill_(const Scalar& value) {
  check_supported(*this, "fill_");
  backend_of(*this).fill(*this, value);
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined(src, "copy_", "source");
  check_supported(*this, "copy_");
  check_supported(src, "copy_");
  const Tensor expanded = layout::expand(src, shape());
  if (src.device() == device()) {
    backend_of(*this).copy(expanded, *this);
  } else if (src.device().is_cpu() || device().is_cpu()) {
    backend::for_device(device().is_cpu() ? src.device() : device()).copy(expanded, *this);
  } else {
    copy_(ops::to(expanded, Device::cpu()));  // between two GPUs: through the host
  }
  return *this;
}

Scalar Tensor::item() const {
  if (numel() != 1) {
    detail::fail<ValueError>("[item] only a tensor with one element can be converted to a number, "
                             "but this one has shape {} ({} elements)",
                             shape(), numel());
  }
  const Tensor host = ops::to(*this, Device::cpu());
  return visit_dtype(host.dtype(), "item", [&](auto tag) -> Scalar {
    using T = typename decltype(tag)::type;
    return Scalar(*static_cast<const T*>(host.data_ptr()));
  });
}

Scalar Tensor::element(std::initializer_list<std::int64_t> index) const {
  if (static_cast<int>(index.size()) != dim()) {
    detail::fail<IndexError>("[element] got {} indices for a tensor with {} dimensions (shape {})",
                             index.size(), dim(), shape());
  }
  Tensor t = *this;
  for (std::int64_t i : index) t = layout::select(t, 0, i);
  return t.item();
}

}  // namespace ignis

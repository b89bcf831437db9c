// Tensor methods that compute (declared in ignis/tensor/tensor.hpp): copies, conversion,
// fill, element access.
#include "ignis/ops/elementwise.hpp"
#include "op_utils.hpp"

namespace ignis {

using namespace ops_detail;

Tensor Tensor::contiguous() const {
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  Tensor out = new_tensor(shape(), dtype(), device());
  backend_of(*this).copy(*this, out);
  return out;
}

Tensor Tensor::to(Device target) const {
  check_supported(*this, "to");
  const Device here = device();
  if (target == here || (target.is_cuda() && here.is_cuda() && !target.has_index())) return *this;
  Tensor out = new_tensor(shape(), dtype(), target);
  // The device backend copies between its device and the CPU in both directions.
  backend::Backend& b = here.is_cpu() ? backend::for_device(target) : backend::for_device(here);
  b.copy(*this, out);
  return out;
}

Tensor Tensor::to(DType target) const {
  check_supported(*this, "to");
  if (!is_supported(target)) throw_unsupported_dtype(target, "to");
  if (target == dtype()) return *this;
  Tensor out = new_tensor(shape(), target, device());
  backend_of(*this).copy(*this, out);
  return out;
}

Tensor& Tensor::fill_(const Scalar& value) {
  check_supported(*this, "fill_");
  backend_of(*this).fill(*this, value);
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined(src, "copy_", "source");
  check_supported(*this, "copy_");
  check_supported(src, "copy_");
  const Tensor expanded = src.expand(shape());
  if (src.device() == device()) {
    backend_of(*this).copy(expanded, *this);
  } else if (src.device().is_cpu() || device().is_cpu()) {
    backend::for_device(device().is_cpu() ? src.device() : device()).copy(expanded, *this);
  } else {
    copy_(expanded.to(Device::cpu()));  // between two GPUs: through the host
  }
  return *this;
}

Scalar Tensor::item() const {
  if (numel() != 1) {
    detail::fail<ValueError>("[item] only a tensor with one element can be converted to a number, "
                             "but this one has shape {} ({} elements)",
                             shape(), numel());
  }
  const Tensor host = to(Device::cpu());
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
  for (std::int64_t i : index) t = t.select(0, i);
  return t.item();
}

}  // namespace ignis

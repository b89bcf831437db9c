// cat and stack: copies into slices of one output, through the backend's copy.
#include "ignis/ops/join.hpp"

#include "ignis/ops/elementwise.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw ValueError("[cat] expects a non-empty list of tensors");
  // Legacy rule kept by PyTorch: 1-D empty tensors are skipped when others have more dims.
  std::vector<const Tensor*> parts;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "cat", "a tensor in the list");
    check_supported(tensors[i], "cat");
    check_same_device("cat", tensors[0], tensors[i]);
    if (!(tensors[i].dim() == 1 && tensors[i].numel() == 0)) parts.push_back(&tensors[i]);
  }
  if (parts.empty()) return clone(tensors[0]);
  const Tensor& first = *parts[0];
  if (first.dim() == 0) throw ShapeError("[cat] zero-dimensional tensors cannot be concatenated; use stack");
  const int d = normalize_dim(dim, first.dim(), "cat");
  DType dtype = first.dtype();
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Tensor& t = *parts[i];
    bool compatible = t.dim() == first.dim();
    for (int k = 0; compatible && k < t.dim(); ++k) compatible = k == d || t.size(k) == first.size(k);
    if (!compatible) {
      detail::fail<ShapeError>("[cat] tensor {} has shape {}, which does not match {} outside dimension {}", i,
                               t.shape(), first.shape(), d);
    }
    dtype = promote_types(dtype, t.dtype());
    out_shape[d] += t.size(d);
  }
  Tensor out = new_tensor(out_shape, dtype, first.device());
  std::int64_t offset = 0;
  for (const Tensor* t : parts) {
    backend_of(out).copy(*t, layout::narrow(out, d, offset, t->size(d)));
    offset += t->size(d);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw ValueError("[stack] expects a non-empty list of tensors");
  check_defined(tensors[0], "stack", "a tensor in the list");
  const int d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "stack", "a tensor in the list");
    if (tensors[i].shape() != tensors[0].shape()) {
      detail::fail<ShapeError>("[stack] all tensors must have the same shape, but tensor 0 is {} and tensor "
                               "{} is {}",
                               tensors[0].shape(), i, tensors[i].shape());
    }
    expanded.push_back(layout::unsqueeze(tensors[i], d));
  }
  return cat(expanded, d);
}

}  // namespace ignis::ops

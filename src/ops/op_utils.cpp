#include "op_utils.hpp"

namespace ignis::ops_detail {

void check_defined(const Tensor& t, const char* op, const char* what) {
  if (!t.defined()) {
    detail::fail<ValueError>("[{}] {} is an undefined tensor (default-constructed); pass a tensor", op,
                             what);
  }
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device()) {
    detail::fail<DeviceError>(
        "[{}] expected all tensors on one device, but found {} and {}; move them with .to(device)", op,
        a.device(), b.device());
  }
}

void check_supported(const Tensor& t, const char* op) {
  if (!is_supported(t.dtype())) throw_unsupported_dtype(t.dtype(), op);
}

DimMask reduction_mask(const Dims& dims, int ndim, const char* op) {
  DimMask mask;
  if (dims.empty()) {
    for (int d = 0; d < ndim; ++d) mask.reduced[d] = true;
    mask.count = ndim;
    return mask;
  }
  for (std::int64_t dim : dims) {
    const int d = normalize_dim(dim, ndim, op);
    if (ndim == 0) continue;  // dim 0 / -1 of a scalar: nothing to reduce
    if (mask.reduced[d]) detail::fail<ValueError>("[{}] dimension {} appears twice in {}", op, d, dims);
    mask.reduced[d] = true;
    ++mask.count;
  }
  return mask;
}

Shape keepdim_shape(const Shape& in, const DimMask& mask) {
  Shape out = in;
  for (int d = 0; d < in.size(); ++d) {
    if (mask.reduced[d]) out[d] = 1;
  }
  return out;
}

Shape reduced_shape(const Shape& in, const DimMask& mask, bool keep) {
  Shape out;
  for (int d = 0; d < in.size(); ++d) {
    if (!mask.reduced[d]) {
      out.push_back(in[d]);
    } else if (keep) {
      out.push_back(1);
    }
  }
  return out;
}

}  // namespace ignis::ops_detail

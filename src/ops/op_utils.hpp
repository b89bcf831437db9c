#pragma once
// Helpers shared by the ops layer: argument checks that produce the standard messages, output
// allocation, and the backend of a tensor.
#include "backend/backend.hpp"
#include "core/check.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/layout.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::ops_detail {

/// Throws ValueError "[op] <what> is undefined" for a default-constructed tensor.
void check_defined(const Tensor& t, const char* op, const char* what = "input");

/// Throws DeviceError naming both devices and the fix when a and b are on different devices.
void check_same_device(const char* op, const Tensor& a, const Tensor& b);

/// Throws DTypeError for the reserved dtypes.
void check_supported(const Tensor& t, const char* op);

/// A new contiguous tensor (uninitialised).
inline Tensor new_tensor(const Shape& shape, DType dtype, Device device) {
  return empty(shape, {.dtype = dtype, .device = device});
}

inline backend::Backend& backend_of(const Tensor& t) { return backend::for_device(t.device()); }

/// Normalised, de-duplicated reduction dims as a mask; an empty list means all dimensions.
struct DimMask {
  bool reduced[kMaxDims] = {};
  int count = 0;
};
DimMask reduction_mask(const Dims& dims, int ndim, const char* op);

/// The keepdim shape for a reduction and the final shape (without reduced dims unless keep).
Shape keepdim_shape(const Shape& in, const DimMask& mask);
Shape reduced_shape(const Shape& in, const DimMask& mask, bool keep);

}  // namespace ignis::ops_detail

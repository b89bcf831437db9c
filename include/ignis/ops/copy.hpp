#pragma once
// Copies and conversions without autograd (the Tensor methods x.clone(), x.to(...), ... are the
// differentiable forms).
#include "ignis/tensor/tensor.hpp"

namespace ignis::ops {

/// t if already contiguous, otherwise a contiguous copy.
Tensor contiguous(const Tensor& t);
/// A contiguous copy with its own storage.
Tensor clone(const Tensor& t);
/// t if already on `device` ("cuda" matches any CUDA device), otherwise a copy there.
Tensor to(const Tensor& t, Device device);
/// t if already of `dtype`, otherwise a converted copy.
Tensor to(const Tensor& t, DType dtype);
/// t if already in page-locked host memory, otherwise a contiguous copy there (CPU tensors only).
Tensor pin_memory(const Tensor& t);
/// Whether t is a CPU tensor in page-locked host memory.
bool is_pinned(const Tensor& t);
/// A view with the new shape when the strides allow it, otherwise a contiguous copy.
Tensor reshape(const Tensor& t, const Shape& shape);

}  // namespace ignis::ops

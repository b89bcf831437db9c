#pragma once
// Helpers shared by the convolution and pooling ops: NCHW batching of unbatched (C, H, W)
// inputs and the floating dtype check.
#include "core/check.hpp"
#include "ignis/tensor/layout.hpp"
#include "ignis/tensor/tensor.hpp"
#include "kernels/conv_params.hpp"

namespace ignis::ops_detail {

/// x as (N, C, H, W): a 3-D input gains a batch dimension of 1; other ranks throw ShapeError.
inline Tensor batched(const Tensor& x, const char* op) {
  if (x.dim() == 3) return layout::unsqueeze(x, 0);
  if (x.dim() != 4) {
    detail::fail<ShapeError>("[{}] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {}", op,
                             x.shape());
  }
  return x;
}

inline Shape batched_shape(const Shape& s) { return s.size() == 3 ? Shape{1, s[0], s[1], s[2]} : s; }

/// Throws DTypeError unless a is float32/float64 and b has a's dtype.
inline void check_floating_same(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::kFloat32 && a.dtype() != DType::kFloat64) {
    detail::fail<DTypeError>("[{}] needs a float32 or float64 input, got {}; convert with .to(ignis::kFloat32)", op,
                             a.dtype());
  }
  if (b.dtype() != a.dtype()) {
    detail::fail<DTypeError>("[{}] input is {} but a parameter is {}; convert one with .to(dtype)", op, a.dtype(),
                             b.dtype());
  }
}

}  // namespace ignis::ops_detail

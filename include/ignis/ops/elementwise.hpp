#pragma once
// Elementwise operations with NumPy broadcasting and PyTorch's type promotion, without
// gradients (ignis/autograd/elementwise.hpp has the differentiable forms):
//  * operands are promoted along bool < uint8 < int32 < int64 < float32 < float64, where a
//    0-dimensional tensor or a Scalar only raises the result's category (bool, integer,
//    floating point), never its width within a category: float32 tensor * 2.0 stays float32;
//  * div, and the floating-point functions (exp, log, sqrt, rsqrt, tanh, sigmoid, erf, gelu), turn
//    integer inputs into float32 (true division, like torch.div);
//  * comparisons, isnan and isfinite return bool.
#include <optional>

#include "ignis/core/scalar.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {
/// torch.nn.functional.gelu's `approximate`: "none" or "tanh".
enum class GeluApproximation { kNone, kTanh };
}  // namespace ignis

namespace ignis::ops {

Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
/// The error function.
Tensor erf(const Tensor& x);
/// GELU: exact (x Φ(x), the default) or its tanh approximation (torch's approximate='tanh').
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::kNone);
/// grad * d gelu(x) / dx in one pass (the backward of gelu), grad and x broadcast together;
/// integer inputs become float32.
Tensor gelu_backward(const Tensor& grad, const Tensor& x, GeluApproximation approximate = GeluApproximation::kNone);
Tensor isnan(const Tensor& x);
Tensor isfinite(const Tensor& x);
/// Limits x to [min, max]; either bound may be omitted (not both). NaN stays NaN.
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);

#define IGNIS_DECLARE_BINARY(name)                    \
  Tensor name(const Tensor& a, const Tensor& b);      \
  Tensor name(const Tensor& a, const Scalar& b);      \
  Tensor name(const Scalar& a, const Tensor& b);
IGNIS_DECLARE_BINARY(add)
IGNIS_DECLARE_BINARY(sub)
IGNIS_DECLARE_BINARY(mul)
IGNIS_DECLARE_BINARY(div)
IGNIS_DECLARE_BINARY(pow)
IGNIS_DECLARE_BINARY(maximum)
IGNIS_DECLARE_BINARY(minimum)
IGNIS_DECLARE_BINARY(eq)
IGNIS_DECLARE_BINARY(ne)
IGNIS_DECLARE_BINARY(lt)
IGNIS_DECLARE_BINARY(le)
IGNIS_DECLARE_BINARY(gt)
IGNIS_DECLARE_BINARY(ge)
#undef IGNIS_DECLARE_BINARY

/// cond ? a : b elementwise, all three broadcast together; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);

/// The dtype add(a, b) would produce (PyTorch's torch.result_type).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);

}  // namespace ignis::ops

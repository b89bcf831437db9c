#pragma once
// Differentiable elementwise operations: the same functions, dtype rules and broadcasting as
// ignis::ops (ignis/ops/elementwise.hpp), recording the graph when an input requires grad.
// Comparisons, isnan and isfinite have no gradient and are the ops themselves.
#include <optional>

#include "ignis/core/scalar.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
/// Gradient 0 (as PyTorch).
Tensor sign(const Tensor& x);
/// Gradient 0 at x <= 0.
Tensor relu(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor erf(const Tensor& x);
/// GELU: exact, x * Φ(x), or the tanh approximation (see ops::gelu).
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::kNone);
/// Gradient passes where min <= x <= max.
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);

#define IGNIS_DECLARE_DIFFERENTIABLE_BINARY(name) \
  Tensor name(const Tensor& a, const Tensor& b);   \
  Tensor name(const Tensor& a, const Scalar& b);   \
  Tensor name(const Scalar& a, const Tensor& b);
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(add)
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(sub)
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(mul)
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(div)
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(pow)
/// On ties the gradient is split evenly between both operands (as PyTorch).
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(maximum)
IGNIS_DECLARE_DIFFERENTIABLE_BINARY(minimum)
#undef IGNIS_DECLARE_DIFFERENTIABLE_BINARY

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// x with `value` where mask (bool, broadcastable to x) is true; the gradient passes elsewhere.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
/// The lower (tril) or upper (triu) triangle of the last two dimensions, the rest zero: element
/// (i, j) is kept when j - i <= diagonal (tril) or j - i >= diagonal (triu), as torch.
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);

using ops::eq;
using ops::ge;
using ops::gt;
using ops::isfinite;
using ops::isnan;
using ops::le;
using ops::lt;
using ops::ne;
using ops::result_type;

}  // namespace ignis

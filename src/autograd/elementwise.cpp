// Differentiable elementwise ops: forward with ignis::ops, backward beside it with ops only.
#include "ignis/autograd/elementwise.hpp"

#include <cmath>

#include "core/check.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/layout.hpp"
#include "ignis/tensor/factories.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;
using autograd::reduce_to;

namespace {

/// Records a unary op whose gradient is grad * dy_dx(x, y).
template <class Derivative>
Tensor unary(const char* name, const Tensor& x, Tensor y, Derivative dy_dx) {
  if (!needs_grad(x)) return y;
  // The output is saved detached: a handle with its grad_fn would make a reference cycle
  // (output -> node -> lambda -> output) and leak every graph that is never run backward.
  // Inputs may be saved as they are (they do not own this node).
  return record(name, y, {&x}, [x, y = y.detach(), dy_dx](const Tensor& g) {
    return Grads{ops::mul(g, dy_dx(x, y))};
  });
}

/// Gradient for input `t` of a broadcasting op: summed back to t's shape and dtype.
Tensor input_grad(const Tensor& g, const Tensor& t) { return reduce_to(g, t.shape(), t.dtype()); }

/// Records a binary op whose gradients are (grad * da, grad * db); da/db receive (a, b, y).
template <class Da, class Db>
Tensor binary(const char* name, const Tensor& a, const Tensor& b, Tensor y, Da da, Db db) {
  if (!needs_grad({&a, &b})) return y;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return record(name, y, {&a, &b}, [=, y = y.detach()](const Tensor& g) {
    return Grads{need_a ? input_grad(ops::mul(g, da(a, b, y)), a) : Tensor(),
                 need_b ? input_grad(ops::mul(g, db(a, b, y)), b) : Tensor()};
  });
}

/// Records tensor-op-scalar (or scalar-op-tensor) with gradient grad * dt(t, y).
template <class Dt>
Tensor with_scalar(const char* name, const Tensor& t, Tensor y, Dt dt) {
  if (!needs_grad(t)) return y;
  return record(name, y, {&t}, [t, y = y.detach(), dt](const Tensor& g) {
    return Grads{input_grad(ops::mul(g, dt(t, y)), t)};
  });
}

Tensor ones_of(const Tensor& like) { return ones({}, {.dtype = like.dtype(), .device = like.device()}); }

/// The share of the gradient the first operand of maximum/minimum gets: 1 where it wins, 1/2 on
/// ties, 0 where it loses.
Tensor winner_share(const Tensor& wins, const Tensor& ties, DType dtype) {
  return ops::add(ops::to(wins, dtype), ops::mul(ops::to(ties, dtype), 0.5));
}

}  // namespace

Tensor neg(const Tensor& x) {
  return unary("NegBackward", x, ops::neg(x), [](const Tensor& in, const Tensor&) { return ops::neg(ones_of(in)); });
}
Tensor abs(const Tensor& x) {
  return unary("AbsBackward", x, ops::abs(x), [](const Tensor& in, const Tensor&) { return ops::sign(in); });
}
Tensor sign(const Tensor& x) {
  return unary("SignBackward", x, ops::sign(x), [](const Tensor& in, const Tensor&) { return zeros_like(in); });
}
Tensor relu(const Tensor& x) {
  // g * (x > 0). (where(x > 0, g, 0) would skip converting the mask, but the CPU `where` kernel
  // is far slower than this multiply: W4's backward went from 21 to 29 ms per step with it.)
  return unary("ReluBackward", x, ops::relu(x), [](const Tensor& in, const Tensor&) { return ops::gt(in, 0); });
}
Tensor exp(const Tensor& x) {
  return unary("ExpBackward", x, ops::exp(x), [](const Tensor&, const Tensor& y) { return y; });
}
Tensor log(const Tensor& x) {
  return unary("LogBackward", x, ops::log(x), [](const Tensor& in, const Tensor&) { return ops::div(1.0, in); });
}
Tensor sqrt(const Tensor& x) {
  return unary("SqrtBackward", x, ops::sqrt(x), [](const Tensor&, const Tensor& y) { return ops::div(0.5, y); });
}
Tensor rsqrt(const Tensor& x) {  // d/dx x^-1/2 = -1/2 y^3
  return unary("RsqrtBackward", x, ops::rsqrt(x),
               [](const Tensor&, const Tensor& y) { return ops::mul(ops::mul(ops::mul(y, y), y), -0.5); });
}
Tensor sin(const Tensor& x) {
  return unary("SinBackward", x, ops::sin(x), [](const Tensor& in, const Tensor&) { return ops::cos(in); });
}
Tensor cos(const Tensor& x) {
  return unary("CosBackward", x, ops::cos(x), [](const Tensor& in, const Tensor&) { return ops::neg(ops::sin(in)); });
}
Tensor tanh(const Tensor& x) {
  return unary("TanhBackward", x, ops::tanh(x), [](const Tensor&, const Tensor& y) { return ops::sub(1.0, ops::mul(y, y)); });
}
Tensor sigmoid(const Tensor& x) {
  return unary("SigmoidBackward", x, ops::sigmoid(x),
               [](const Tensor&, const Tensor& y) { return ops::mul(y, ops::sub(1.0, y)); });
}
Tensor erf(const Tensor& x) {  // 2/√π e^{-x²}
  return unary("ErfBackward", x, ops::erf(x), [](const Tensor& in, const Tensor&) {
    return ops::mul(ops::exp(ops::neg(ops::mul(in, in))), 2.0 / std::sqrt(M_PI));
  });
}
Tensor gelu(const Tensor& x, GeluApproximation approximate) {
  Tensor y = ops::gelu(x, approximate);
  if (!needs_grad(x)) return y;
  // One fused pass (BinaryOp::kGelu[Tanh]Backward) instead of ~10 composed ones.
  return record("GeluBackward", y, {&x}, [x, approximate](const Tensor& g) {
    return Grads{ops::gelu_backward(g, x, approximate)};
  });
}

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  return unary("ClampBackward", x, ops::clamp(x, min, max), [min, max](const Tensor& in, const Tensor&) {
    Tensor pass = ops::eq(in, in);  // true except NaN
    if (min) pass = ops::mul(pass, ops::ge(in, *min));
    if (max) pass = ops::mul(pass, ops::le(in, *max));
    return pass;
  });
}

// --- binary ------------------------------------------------------------------------------------

/// Records an op whose gradients are (grad * sa, grad * sb) for constants sa, sb = ±1.
static Tensor signed_sum(const char* name, const Tensor& a, const Tensor& b, Tensor y, double sa, double sb) {
  if (!needs_grad({&a, &b})) return y;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  const Shape shape_a = a.shape(), shape_b = b.shape();
  const DType dtype_a = a.dtype(), dtype_b = b.dtype();
  return record(name, y, {&a, &b}, [=](const Tensor& g) {
    return Grads{need_a ? reduce_to(sa > 0 ? g : ops::neg(g), shape_a, dtype_a) : Tensor(),
                 need_b ? reduce_to(sb > 0 ? g : ops::neg(g), shape_b, dtype_b) : Tensor()};
  });
}

Tensor add(const Tensor& a, const Tensor& b) { return signed_sum("AddBackward", a, b, ops::add(a, b), 1, 1); }
Tensor add(const Tensor& a, const Scalar& b) {
  Tensor y = ops::add(a, b);
  if (!needs_grad(a)) return y;
  const Shape shape = a.shape();
  const DType dtype = a.dtype();
  return record("AddBackward", y, {&a}, [=](const Tensor& g) { return Grads{reduce_to(g, shape, dtype)}; });
}
Tensor add(const Scalar& a, const Tensor& b) { return add(b, a); }

Tensor sub(const Tensor& a, const Tensor& b) { return signed_sum("SubBackward", a, b, ops::sub(a, b), 1, -1); }
Tensor sub(const Tensor& a, const Scalar& b) {
  Tensor y = ops::sub(a, b);
  if (!needs_grad(a)) return y;
  const Shape shape = a.shape();
  const DType dtype = a.dtype();
  return record("SubBackward", y, {&a}, [=](const Tensor& g) { return Grads{reduce_to(g, shape, dtype)}; });
}
Tensor sub(const Scalar& a, const Tensor& b) {
  return with_scalar("SubBackward", b, ops::sub(a, b), [](auto&, auto& y) { return ops::neg(ones_of(y)); });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return binary("MulBackward", a, b, ops::mul(a, b), [](auto&, auto& rhs, auto&) { return rhs; },
                [](auto& lhs, auto&, auto&) { return lhs; });
}
Tensor mul(const Tensor& a, const Scalar& b) {
  return with_scalar("MulBackward", a, ops::mul(a, b), [b](auto& t, auto&) { return ops::mul(ones_of(t), b); });
}
Tensor mul(const Scalar& a, const Tensor& b) { return mul(b, a); }

Tensor div(const Tensor& a, const Tensor& b) {  // d/da = 1/b, d/db = -y/b
  return binary("DivBackward", a, b, ops::div(a, b), [](auto&, auto& rhs, auto&) { return ops::div(1.0, rhs); },
                [](auto&, auto& rhs, auto& y) { return ops::neg(ops::div(y, rhs)); });
}
Tensor div(const Tensor& a, const Scalar& b) {
  return with_scalar("DivBackward", a, ops::div(a, b), [b](auto& t, auto&) { return ops::div(ones_of(t), b); });
}
Tensor div(const Scalar& a, const Tensor& b) {
  return with_scalar("DivBackward", b, ops::div(a, b), [](auto& t, auto& y) { return ops::neg(ops::div(y, t)); });
}

Tensor pow(const Tensor& a, const Tensor& b) {  // d/da = b a^(b-1), d/db = y ln a (0 where a = 0, b >= 0)
  return binary(
      "PowBackward", a, b, ops::pow(a, b),
      [](auto& lhs, auto& rhs, auto&) { return ops::mul(rhs, ops::pow(lhs, ops::sub(rhs, 1))); },
      [](auto& lhs, auto& rhs, auto& y) {
        const Tensor zero_base = ops::mul(ops::eq(lhs, 0), ops::ge(rhs, 0));
        return ops::where(zero_base, 0.0, ops::mul(y, ops::log(lhs)));
      });
}
Tensor pow(const Tensor& a, const Scalar& b) {
  const Scalar b_minus_1 = b.is_floating_point() ? Scalar(b.to_double() - 1) : Scalar(b.to<std::int64_t>() - 1);
  return with_scalar("PowBackward", a, ops::pow(a, b),
                     [b, b_minus_1](auto& t, auto&) { return ops::mul(ops::pow(t, b_minus_1), b); });
}
Tensor pow(const Scalar& a, const Tensor& b) {
  return with_scalar("PowBackward", b, ops::pow(a, b), [a](auto&, auto& y) { return ops::mul(y, std::log(a.to_double())); });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary(
      "MaximumBackward", a, b, ops::maximum(a, b),
      [](auto& lhs, auto& rhs, auto& y) { return winner_share(ops::gt(lhs, rhs), ops::eq(lhs, rhs), y.dtype()); },
      [](auto& lhs, auto& rhs, auto& y) { return winner_share(ops::lt(lhs, rhs), ops::eq(lhs, rhs), y.dtype()); });
}
Tensor maximum(const Tensor& a, const Scalar& b) {
  return with_scalar("MaximumBackward", a, ops::maximum(a, b),
                     [b](auto& t, auto& y) { return winner_share(ops::gt(t, b), ops::eq(t, b), y.dtype()); });
}
Tensor maximum(const Scalar& a, const Tensor& b) { return maximum(b, a); }

Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary(
      "MinimumBackward", a, b, ops::minimum(a, b),
      [](auto& lhs, auto& rhs, auto& y) { return winner_share(ops::lt(lhs, rhs), ops::eq(lhs, rhs), y.dtype()); },
      [](auto& lhs, auto& rhs, auto& y) { return winner_share(ops::gt(lhs, rhs), ops::eq(lhs, rhs), y.dtype()); });
}
Tensor minimum(const Tensor& a, const Scalar& b) {
  return with_scalar("MinimumBackward", a, ops::minimum(a, b),
                     [b](auto& t, auto& y) { return winner_share(ops::lt(t, b), ops::eq(t, b), y.dtype()); });
}
Tensor minimum(const Scalar& a, const Tensor& b) { return minimum(b, a); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor y = ops::where(cond, a, b);
  if (!needs_grad({&a, &b})) return y;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return record("WhereBackward", y, {&a, &b}, [=](const Tensor& g) {
    return Grads{need_a ? input_grad(ops::where(cond, g, 0.0), a) : Tensor(),
                 need_b ? input_grad(ops::where(cond, 0.0, g), b) : Tensor()};
  });
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  Tensor y = ops::where(cond, a, b);
  if (!needs_grad(a)) return y;
  return record("WhereBackward", y, {&a}, [=](const Tensor& g) { return Grads{input_grad(ops::where(cond, g, 0.0), a)}; });
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  Tensor y = ops::where(cond, a, b);
  if (!needs_grad(b)) return y;
  return record("WhereBackward", y, {&b}, [=](const Tensor& g) { return Grads{input_grad(ops::where(cond, 0.0, g), b)}; });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  if (!x.defined() || !mask.defined()) detail::fail<ValueError>("[masked_fill] the input or the mask is undefined");
  if (mask.dtype() != DType::kBool) {
    detail::fail<DTypeError>("[masked_fill] the mask must be bool, got {}; compare to get one, e.g. m == 0",
                             name(mask.dtype()));
  }
  if (broadcast_shapes(x.shape(), mask.shape(), "masked_fill") != x.shape()) {
    detail::fail<ShapeError>("[masked_fill] the mask of shape {} must broadcast to the input's shape {}", mask.shape(),
                             x.shape());
  }
  return where(mask, value, x);
}

namespace {

/// The (rows, cols) bool matrix of the elements of a triangle: keep(j - i) for element (i, j).
template <class Keep>
Tensor triangle_mask(const Tensor& x, const char* op, Keep keep) {
  if (!x.defined() || x.dim() < 2) {
    detail::fail<ShapeError>("[{}] expected a tensor of at least 2 dimensions, got shape {}", op,
                             x.defined() ? x.shape() : Shape{});
  }
  const TensorOptions on_device{.dtype = DType::kInt64, .device = x.device()};
  const Tensor rows = layout::unsqueeze(arange(x.size(-2), on_device), 1);
  const Tensor cols = arange(x.size(-1), on_device);
  return keep(ops::sub(cols, rows));
}

}  // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal) {
  const Tensor keep = triangle_mask(x, "tril", [&](const Tensor& d) { return ops::le(d, diagonal); });
  return where(keep, x, Scalar(0));
}

Tensor triu(const Tensor& x, std::int64_t diagonal) {
  const Tensor keep = triangle_mask(x, "triu", [&](const Tensor& d) { return ops::ge(d, diagonal); });
  return where(keep, x, Scalar(0));
}

}  // namespace ignis

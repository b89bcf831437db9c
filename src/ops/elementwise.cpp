// Elementwise ops: argument checks, type promotion, broadcasting, output allocation; the
// backend computes.
#include "ignis/ops/elementwise.hpp"

#include <limits>

#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;
using backend::BinaryOp;
using backend::UnaryOp;

namespace {

enum class Category { kBool = 0, kInteger = 1, kFloat = 2 };

Category category(DType d) {
  if (d == DType::kBool) return Category::kBool;
  return is_floating_point(d) ? Category::kFloat : Category::kInteger;
}

Category category(const Scalar& s) {
  if (s.is_bool()) return Category::kBool;
  return s.is_floating_point() ? Category::kFloat : Category::kInteger;
}

bool is_comparison(BinaryOp op) { return op >= BinaryOp::kEq; }

Tensor scalar_tensor(const Scalar& value, DType dtype, Device device) {
  return full({}, value, {.dtype = dtype, .device = device});
}

Tensor unary_op(UnaryOp op, const char* name, const Tensor& x, backend::UnaryParams params = {}) {
  check_defined(x, name);
  check_supported(x, name);
  const bool floating_only = op >= UnaryOp::kExp && op <= UnaryOp::kGeluTanh;
  const bool bool_out = op == UnaryOp::kIsNan || op == UnaryOp::kIsFinite;
  if (x.dtype() == DType::kBool && !bool_out && !floating_only) {
    detail::fail<DTypeError>("[{}] is not defined for bool tensors; convert first, e.g. x.to(kFloat32)",
                             name);
  }
  const Tensor in = floating_only && !is_floating_point(x.dtype()) ? to(x, DType::kFloat32) : x;
  Tensor out = new_tensor(in.shape(), bool_out ? DType::kBool : in.dtype(), in.device());
  backend_of(in).unary(op, params, in, out);
  return out;
}

/// The dtype the arithmetic runs in, per op: true division and pow with float operands need
/// floating point; everything else uses the promoted type.
DType compute_dtype(BinaryOp op, DType promoted) {
  const bool floating_only = op == BinaryOp::kDiv || op == BinaryOp::kGeluBackward || op == BinaryOp::kGeluTanhBackward;
  if (floating_only && !is_floating_point(promoted)) return DType::kFloat32;
  return promoted;
}

Tensor binary_op(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, DType promoted) {
  check_same_device(name, a, b);
  const DType compute = compute_dtype(op, promoted);
  if (compute == DType::kBool && (op == BinaryOp::kSub || op == BinaryOp::kPow)) {
    detail::fail<DTypeError>("[{}] is not defined for two bool tensors; convert one first, e.g. "
                             "a.to(kInt64)",
                             name);
  }
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  const Tensor ac = to(a, compute), bc = to(b, compute);
  Tensor out = new_tensor(shape, is_comparison(op) ? DType::kBool : compute, a.device());
  backend_of(out).binary(op, layout::expand(ac, shape), layout::expand(bc, shape), out);
  return out;
}

Tensor binary_tt(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_defined(a, name, "first operand");
  check_defined(b, name, "second operand");
  check_supported(a, name);
  check_supported(b, name);
  return binary_op(op, name, a, b, result_type(a, b));
}

Tensor binary_ts(BinaryOp op, const char* name, const Tensor& a, const Scalar& b) {
  check_defined(a, name, "tensor operand");
  check_supported(a, name);
  const DType promoted = result_type(a, b);
  return binary_op(op, name, a, scalar_tensor(b, promoted, a.device()), promoted);
}

Tensor binary_st(BinaryOp op, const char* name, const Scalar& a, const Tensor& b) {
  check_defined(b, name, "tensor operand");
  check_supported(b, name);
  const DType promoted = result_type(b, a);
  return binary_op(op, name, scalar_tensor(a, promoted, b.device()), b, promoted);
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  const bool a_dimmed = a.dim() > 0, b_dimmed = b.dim() > 0;
  if (a_dimmed == b_dimmed) return promote_types(a.dtype(), b.dtype());
  // A 0-dimensional tensor only wins when its category is higher (PyTorch's rule).
  const Tensor& dimmed = a_dimmed ? a : b;
  const Tensor& zero_dim = a_dimmed ? b : a;
  if (category(zero_dim.dtype()) > category(dimmed.dtype())) {
    return promote_types(dimmed.dtype(), zero_dim.dtype());
  }
  return dimmed.dtype();
}

DType result_type(const Tensor& a, const Scalar& b) {
  if (category(b) > category(a.dtype())) return b.default_dtype();
  return a.dtype();
}

Tensor neg(const Tensor& x) { return unary_op(UnaryOp::kNeg, "neg", x); }
Tensor abs(const Tensor& x) { return unary_op(UnaryOp::kAbs, "abs", x); }
Tensor sign(const Tensor& x) { return unary_op(UnaryOp::kSign, "sign", x); }
Tensor relu(const Tensor& x) { return unary_op(UnaryOp::kRelu, "relu", x); }
Tensor exp(const Tensor& x) { return unary_op(UnaryOp::kExp, "exp", x); }
Tensor log(const Tensor& x) { return unary_op(UnaryOp::kLog, "log", x); }
Tensor sqrt(const Tensor& x) { return unary_op(UnaryOp::kSqrt, "sqrt", x); }
Tensor rsqrt(const Tensor& x) { return unary_op(UnaryOp::kRsqrt, "rsqrt", x); }
Tensor sin(const Tensor& x) { return unary_op(UnaryOp::kSin, "sin", x); }
Tensor cos(const Tensor& x) { return unary_op(UnaryOp::kCos, "cos", x); }
Tensor tanh(const Tensor& x) { return unary_op(UnaryOp::kTanh, "tanh", x); }
Tensor sigmoid(const Tensor& x) { return unary_op(UnaryOp::kSigmoid, "sigmoid", x); }
Tensor erf(const Tensor& x) { return unary_op(UnaryOp::kErf, "erf", x); }
Tensor gelu(const Tensor& x, GeluApproximation approximate) {
  return approximate == GeluApproximation::kTanh ? unary_op(UnaryOp::kGeluTanh, "gelu", x)
                                                 : unary_op(UnaryOp::kGelu, "gelu", x);
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, GeluApproximation approximate) {
  const BinaryOp op = approximate == GeluApproximation::kTanh ? BinaryOp::kGeluTanhBackward : BinaryOp::kGeluBackward;
  return binary_tt(op, "gelu_backward", x, grad);
}
Tensor isnan(const Tensor& x) { return unary_op(UnaryOp::kIsNan, "isnan", x); }
Tensor isfinite(const Tensor& x) { return unary_op(UnaryOp::kIsFinite, "isfinite", x); }

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  check_defined(x, "clamp");
  if (!min && !max) throw ValueError("[clamp] give at least one of min and max");
  const bool float_bound = (min && min->is_floating_point()) || (max && max->is_floating_point());
  const Tensor in = float_bound && !is_floating_point(x.dtype()) ? to(x, DType::kFloat32) : x;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return unary_op(UnaryOp::kClamp, "clamp", in,
                  {.a = min ? min->to_double() : -kInf, .b = max ? max->to_double() : kInf});
}

#define IGNIS_DEFINE_BINARY(name, op)                                                              \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_tt(BinaryOp::op, #name, a, b); }  \
  Tensor name(const Tensor& a, const Scalar& b) { return binary_ts(BinaryOp::op, #name, a, b); }  \
  Tensor name(const Scalar& a, const Tensor& b) { return binary_st(BinaryOp::op, #name, a, b); }
IGNIS_DEFINE_BINARY(add, kAdd)
IGNIS_DEFINE_BINARY(sub, kSub)
IGNIS_DEFINE_BINARY(mul, kMul)
IGNIS_DEFINE_BINARY(div, kDiv)
IGNIS_DEFINE_BINARY(pow, kPow)
IGNIS_DEFINE_BINARY(maximum, kMaximum)
IGNIS_DEFINE_BINARY(minimum, kMinimum)
IGNIS_DEFINE_BINARY(eq, kEq)
IGNIS_DEFINE_BINARY(ne, kNe)
IGNIS_DEFINE_BINARY(lt, kLt)
IGNIS_DEFINE_BINARY(le, kLe)
IGNIS_DEFINE_BINARY(gt, kGt)
IGNIS_DEFINE_BINARY(ge, kGe)
#undef IGNIS_DEFINE_BINARY

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where", "condition");
  check_defined(a, "where", "first choice");
  check_defined(b, "where", "second choice");
  if (cond.dtype() != DType::kBool) {
    detail::fail<DTypeError>("[where] the condition must be a bool tensor, got {}; compare first, "
                             "e.g. where(x > 0, a, b)",
                             cond.dtype());
  }
  check_same_device("where", cond, a);
  check_same_device("where", a, b);
  const DType dtype = result_type(a, b);
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = new_tensor(shape, dtype, a.device());
  backend_of(out).where(layout::expand(cond, shape), layout::expand(to(a, dtype), shape),
                        layout::expand(to(b, dtype), shape), out);
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  check_defined(a, "where", "first choice");
  return where(cond, a, scalar_tensor(b, result_type(a, b), a.device()));
}

Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  check_defined(b, "where", "second choice");
  return where(cond, scalar_tensor(a, result_type(b, a), b.device()), b);
}

}  // namespace ignis::ops

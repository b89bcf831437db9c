#pragma once
// Operator forms: a + b, x * 2.0, -x (differentiable), a < b, x == 0 (comparisons, bool).
#include "ignis/autograd/elementwise.hpp"

namespace ignis {

#define IGNIS_DEFINE_OPERATOR(op, fn)                                              \
  inline Tensor operator op(const Tensor& a, const Tensor& b) { return fn(a, b); } \
  inline Tensor operator op(const Tensor& a, const Scalar& b) { return fn(a, b); } \
  inline Tensor operator op(const Scalar& a, const Tensor& b) { return fn(a, b); }
IGNIS_DEFINE_OPERATOR(+, add)
IGNIS_DEFINE_OPERATOR(-, sub)
IGNIS_DEFINE_OPERATOR(*, mul)
IGNIS_DEFINE_OPERATOR(/, div)
IGNIS_DEFINE_OPERATOR(==, eq)
IGNIS_DEFINE_OPERATOR(!=, ne)
IGNIS_DEFINE_OPERATOR(<, lt)
IGNIS_DEFINE_OPERATOR(<=, le)
IGNIS_DEFINE_OPERATOR(>, gt)
IGNIS_DEFINE_OPERATOR(>=, ge)
#undef IGNIS_DEFINE_OPERATOR

inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace ignis

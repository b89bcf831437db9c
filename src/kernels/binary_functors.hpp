#pragma once
// Elementwise binary math, shared by the CPU loop and the CUDA kernel. Both operands have the
// same dtype T (the ops layer converts them first). Traits: kIntegral = also defined for
// integer/bool dtypes; kOutBool = the result is bool.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ignis/core/host_device.hpp"
#include "op_kinds.hpp"
#include "reduce_functors.hpp"

namespace ignis::kernels {

struct Add {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a + b); }
};

struct Sub {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a - b); }
};

struct Mul {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a * b); }
};

/// True division (the ops layer turns integer operands into floating point first).
struct Div {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return a / b; }
};

/// a^b. Integers: exact, by squaring; a negative exponent gives 0 unless |a| = 1.
struct Pow {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else {
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) {
          if (a == 1) return 1;
          if (a == -1) return (b % 2 == 0) ? T(1) : T(-1);
          return 0;
        }
      }
      T result = 1;
      T base = a;
      for (T e = b; e > 0; e = static_cast<T>(e >> 1)) {
        if (e & 1) result = static_cast<T>(result * base);
        base = static_cast<T>(base * base);
      }
      return result;
    }
  }
};

/// Elementwise max/min; NaN propagates (torch.maximum/minimum): the reductions' combine step.
struct Maximum {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return MaxReduce::combine(a, b); }
};

struct Minimum {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T a, T b) const { return MinReduce::combine(a, b); }
};

/// The gradient of the exact GELU (UnaryOp::kGelu) in one pass: a = x, b = the incoming
/// gradient; b * (Φ(x) + x φ(x)), Φ and φ the standard normal CDF and density.
struct GeluBackward {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x, T grad) const {
    constexpr T kInvSqrt2 = T(0.70710678118654752440), kInvSqrt2Pi = T(0.39894228040143267794);
    const T cdf = T(0.5) * (T(1) + std::erf(x * kInvSqrt2));
    const T pdf = std::exp(T(-0.5) * x * x) * kInvSqrt2Pi;
    return grad * (cdf + x * pdf);
  }
};

/// The gradient of GELU's tanh approximation (UnaryOp::kGeluTanh): a = x, b = the incoming
/// gradient. With u = √(2/π)(x + 0.044715 x³) and t = tanh(u):
/// b * (½(1 + t) + ½ x (1 - t²) √(2/π)(1 + 3·0.044715 x²)).
struct GeluTanhBackward {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x, T grad) const {
    constexpr T kSqrt2OverPi = T(0.79788456080286535588), kCubic = T(0.044715);
    const T x2 = x * x;
    const T t = std::tanh(kSqrt2OverPi * x * (T(1) + kCubic * x2));
    const T du = kSqrt2OverPi * (T(1) + T(3) * kCubic * x2);
    return grad * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
  }
};

#define IGNIS_COMPARISON_FUNCTOR(Name, expr)                          \
  struct Name {                                                       \
    static constexpr bool kIntegral = true, kOutBool = true;          \
    template <class T>                                                \
    IGNIS_HOST_DEVICE bool operator()(T a, T b) const { return expr; } \
  };
IGNIS_COMPARISON_FUNCTOR(Eq, a == b)
IGNIS_COMPARISON_FUNCTOR(Ne, a != b)
IGNIS_COMPARISON_FUNCTOR(Lt, a < b)
IGNIS_COMPARISON_FUNCTOR(Le, a <= b)
IGNIS_COMPARISON_FUNCTOR(Gt, a > b)
IGNIS_COMPARISON_FUNCTOR(Ge, a >= b)
#undef IGNIS_COMPARISON_FUNCTOR

/// The one BinaryOp -> functor switch: calls f(Functor{}).
template <class F>
IGNIS_HOST_DEVICE decltype(auto) visit_binary(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::kAdd: return f(Add{});
    case BinaryOp::kSub: return f(Sub{});
    case BinaryOp::kMul: return f(Mul{});
    case BinaryOp::kDiv: return f(Div{});
    case BinaryOp::kPow: return f(Pow{});
    case BinaryOp::kMaximum: return f(Maximum{});
    case BinaryOp::kMinimum: return f(Minimum{});
    case BinaryOp::kGeluBackward: return f(GeluBackward{});
    case BinaryOp::kGeluTanhBackward: return f(GeluTanhBackward{});
    case BinaryOp::kEq: return f(Eq{});
    case BinaryOp::kNe: return f(Ne{});
    case BinaryOp::kLt: return f(Lt{});
    case BinaryOp::kLe: return f(Le{});
    case BinaryOp::kGt: return f(Gt{});
    case BinaryOp::kGe: break;
  }
  return f(Ge{});
}

}  // namespace ignis::kernels

#pragma once
// Elementwise unary math, shared by the CPU loop and the CUDA kernel.
// Traits: kIntegral = also defined for integer dtypes; kOutBool = the result is bool.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ignis/core/host_device.hpp"
#include "op_kinds.hpp"

namespace ignis::kernels {

struct Neg {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return static_cast<T>(-x); }
};

struct Abs {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else {
      return x < T(0) ? static_cast<T>(-x) : x;
    }
  }
};

struct Sign {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) return x;  // NaN stays NaN
    }
    if constexpr (std::is_unsigned_v<T>) {  // bool and uint8: never negative
      return static_cast<T>(T(0) < x);
    } else {
      return static_cast<T>((T(0) < x) - (x < T(0)));
    }
  }
};

struct Relu {
  static constexpr bool kIntegral = true, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) return x;  // NaN propagates, as in PyTorch
    }
    return x > T(0) ? x : T(0);
  }
};

/// min(max(x, lo), hi); NaN propagates. Bounds arrive as double (±inf when absent).
struct Clamp {
  static constexpr bool kIntegral = true, kOutBool = false;
  double lo, hi;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    const double v = static_cast<double>(x);
    if (v < lo) return static_cast<T>(lo);
    if (v > hi) return static_cast<T>(hi);
    return x;
  }
};

struct Exp {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::exp(x); }
};

struct Log {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::log(x); }
};

struct Sqrt {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); }
};

struct Rsqrt {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return T(1) / std::sqrt(x); }
};

struct Sin {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::sin(x); }
};

struct Cos {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::cos(x); }
};

struct Tanh {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::tanh(x); }
};

/// 1 / (1 + e^-x), evaluated so that neither branch overflows.
struct Sigmoid {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
};

struct Erf {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const { return std::erf(x); }
};

/// The exact GELU, x * Φ(x) = x/2 * (1 + erf(x / √2)) (PyTorch's default, approximate='none').
struct Gelu {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    constexpr T kInvSqrt2 = T(0.70710678118654752440);
    return T(0.5) * x * (T(1) + std::erf(x * kInvSqrt2));
  }
};

/// GELU's tanh approximation, x/2 * (1 + tanh(√(2/π) (x + 0.044715 x³))) (approximate='tanh',
/// GPT-2's and nanoGPT's).
struct GeluTanh {
  static constexpr bool kIntegral = false, kOutBool = false;
  template <class T>
  IGNIS_HOST_DEVICE T operator()(T x) const {
    constexpr T kSqrt2OverPi = T(0.79788456080286535588);
    return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + T(0.044715) * x * x * x)));
  }
};

struct IsNan {
  static constexpr bool kIntegral = true, kOutBool = true;
  template <class T>
  IGNIS_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x != x;
    } else {
      return false;
    }
  }
};

struct IsFinite {
  static constexpr bool kIntegral = true, kOutBool = true;
  template <class T>
  IGNIS_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x - x == T(0);  // false for NaN and ±inf
    } else {
      return true;
    }
  }
};

/// The one UnaryOp -> functor switch: calls f(Functor{...}).
template <class F>
IGNIS_HOST_DEVICE decltype(auto) visit_unary(UnaryOp op, const UnaryParams& p, F&& f) {
  switch (op) {
    case UnaryOp::kNeg: return f(Neg{});
    case UnaryOp::kAbs: return f(Abs{});
    case UnaryOp::kSign: return f(Sign{});
    case UnaryOp::kRelu: return f(Relu{});
    case UnaryOp::kClamp: return f(Clamp{p.a, p.b});
    case UnaryOp::kExp: return f(Exp{});
    case UnaryOp::kLog: return f(Log{});
    case UnaryOp::kSqrt: return f(Sqrt{});
    case UnaryOp::kRsqrt: return f(Rsqrt{});
    case UnaryOp::kSin: return f(Sin{});
    case UnaryOp::kCos: return f(Cos{});
    case UnaryOp::kTanh: return f(Tanh{});
    case UnaryOp::kSigmoid: return f(Sigmoid{});
    case UnaryOp::kErf: return f(Erf{});
    case UnaryOp::kGelu: return f(Gelu{});
    case UnaryOp::kGeluTanh: return f(GeluTanh{});
    case UnaryOp::kIsNan: return f(IsNan{});
    case UnaryOp::kIsFinite: break;
  }
  return f(IsFinite{});
}

}  // namespace ignis::kernels

#pragma once
// The op enums shared by the ops layer and every backend. Each enum has exactly one switch that
// maps it to its functor (visit_* in the *_functors.hpp headers), used by all backends.
#include <cstdint>

namespace ignis::kernels {

enum class UnaryOp : std::uint8_t {
  kNeg, kAbs, kSign, kRelu, kClamp,                  // any numeric dtype
  kExp, kLog, kSqrt, kRsqrt, kSin, kCos, kTanh, kSigmoid, kErf, kGelu, kGeluTanh,  // floating only
  kIsNan, kIsFinite,                                 // any dtype -> bool
};

enum class BinaryOp : std::uint8_t {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum,  // result has the operands' dtype
  kGeluBackward, kGeluTanhBackward,                  // (x, grad) -> grad * GELU'(x); floating only
  kEq, kNe, kLt, kLe, kGt, kGe,                      // result is bool
};

enum class ReduceOp : std::uint8_t { kSum, kMax, kMin };
enum class ArgReduceOp : std::uint8_t { kArgMax, kArgMin };
enum class SoftmaxOp : std::uint8_t { kSoftmax, kLogSoftmax };
enum class GenerateOp : std::uint8_t { kArange, kLinspace, kEye };
enum class RandomOp : std::uint8_t { kUniform, kNormal, kRandint };

/// Parameters of the unary ops that take some (clamp: a = min, b = max; ±inf when absent).
struct UnaryParams {
  double a = 0.0;
  double b = 0.0;
};

/// Element i of a generated tensor: arange start + i*step; linspace from start to end in
/// `steps` values; eye: 1 where row == column of a `cols`-wide matrix.
struct GenerateParams {
  double start = 0.0;
  double step = 0.0;
  double end = 0.0;
  std::int64_t istart = 0;  // integer forms, exact for int64 ranges
  std::int64_t istep = 0;
  std::int64_t steps = 0;
  std::int64_t cols = 0;
};

/// uniform: [a, b); normal: mean a, std b; randint: [ia, ib).
struct RandomParams {
  double a = 0.0;
  double b = 1.0;
  std::int64_t ia = 0;
  std::int64_t ib = 0;
};

}  // namespace ignis::kernels

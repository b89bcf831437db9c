#pragma once
// with_floating: calls f(float{}) or f(double{}) for a float32 or float64 dtype, and throws
// DTypeError naming the op otherwise. Shared by the CPU and CUDA backends' floating-only ops
// (no fmt: .cu files include it, and nvcc cannot compile fmt's compile-time checks).
#include <string>

#include "ignis/core/dtype.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

template <class F>
void with_floating(DType dtype, const char* op, const F& f) {
  if (dtype == DType::kFloat32) {
    f(float{});
  } else if (dtype == DType::kFloat64) {
    f(double{});
  } else {
    throw DTypeError(std::string("[") + op + "] needs float32 or float64, got " + std::string(name(dtype)));
  }
}

}  // namespace ignis::backend

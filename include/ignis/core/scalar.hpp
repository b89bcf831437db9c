#pragma once
// A single number of any kind (bool, integer or floating point), as accepted by full(),
// fill_(), clamp() and the scalar forms of the arithmetic operators.
#include <cstdint>
#include <iosfwd>
#include <type_traits>

#include "ignis/core/dtype.hpp"

namespace ignis {

class Scalar {
 public:
  enum class Kind : std::uint8_t { kBool, kInt, kFloat };

  Scalar() : Scalar(0.0) {}
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Scalar(T value) {  // NOLINT(google-explicit-constructor): numbers convert implicitly
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::kBool;
      i_ = value ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::kInt;
      i_ = static_cast<std::int64_t>(value);
    } else {
      kind_ = Kind::kFloat;
      d_ = static_cast<double>(value);
    }
  }

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::kFloat; }
  bool is_integral() const { return kind_ == Kind::kInt; }
  bool is_bool() const { return kind_ == Kind::kBool; }

  template <class T>
  T to() const {
    return kind_ == Kind::kFloat ? static_cast<T>(d_) : static_cast<T>(i_);
  }
  double to_double() const { return to<double>(); }

  /// The dtype a tensor made from this scalar alone gets: bool, int64 or float32.
  DType default_dtype() const;

 private:
  Kind kind_ = Kind::kFloat;
  std::int64_t i_ = 0;
  double d_ = 0.0;
};

std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace ignis

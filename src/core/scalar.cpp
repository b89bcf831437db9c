#include "ignis/core/scalar.hpp"

#include <ostream>

namespace ignis {

DType Scalar::default_dtype() const {
  switch (kind_) {
    case Kind::kBool:
      return DType::kBool;
    case Kind::kInt:
      return DType::kInt64;
    case Kind::kFloat:
      break;
  }
  return DType::kFloat32;
}

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::kBool:
      return os << (s.to<bool>() ? "true" : "false");
    case Scalar::Kind::kInt:
      return os << s.to<std::int64_t>();
    case Scalar::Kind::kFloat:
      break;
  }
  return os << s.to_double();
}

}  // namespace ignis

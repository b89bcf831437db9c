#include "ignis/core/dtype.hpp"

#include <ostream>

#include "check.hpp"

namespace ignis {

std::string_view name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kInt64:
      return "int64";
    case DType::kInt32:
      return "int32";
    case DType::kUInt8:
      return "uint8";
    case DType::kBool:
      return "bool";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, DType dtype) { return os << name(dtype); }

namespace {
int rank(DType d) {
  switch (d) {
    case DType::kBool:
      return 0;
    case DType::kUInt8:
      return 1;
    case DType::kInt32:
      return 2;
    case DType::kInt64:
      return 3;
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
      return 5;
    case DType::kFloat16:
    case DType::kBFloat16:
      break;
  }
  return -1;
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (!is_supported(a)) throw_unsupported_dtype(a, "promote_types");
  if (!is_supported(b)) throw_unsupported_dtype(b, "promote_types");
  return rank(a) >= rank(b) ? a : b;
}

void throw_unsupported_dtype(DType dtype, std::string_view op) {
  detail::fail<DTypeError>("[{}] dtype {} is not supported yet (supported: float32, float64, int64, "
                           "int32, uint8, bool)",
                           op, name(dtype));
}

}  // namespace ignis

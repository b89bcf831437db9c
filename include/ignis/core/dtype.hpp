#pragma once
// Element types. float16 and bfloat16 are reserved: they have a size and a name, but no
// operation accepts them yet (DTypeError says so).
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <type_traits>

namespace ignis {

enum class DType : std::uint8_t {
  kFloat32,
  kFloat64,
  kInt64,
  kInt32,
  kUInt8,
  kBool,
  kFloat16,   // reserved
  kBFloat16,  // reserved
};

inline constexpr DType kFloat32 = DType::kFloat32;
inline constexpr DType kFloat64 = DType::kFloat64;
inline constexpr DType kInt64 = DType::kInt64;
inline constexpr DType kInt32 = DType::kInt32;
inline constexpr DType kUInt8 = DType::kUInt8;
inline constexpr DType kBool = DType::kBool;

/// Bytes per element.
constexpr std::size_t item_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kUInt8:
    case DType::kBool:
      return 1;
  }
  return 0;
}

constexpr bool is_floating_point(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

/// True for the integer types, bool excluded.
constexpr bool is_integral(DType dtype) {
  return dtype == DType::kInt64 || dtype == DType::kInt32 || dtype == DType::kUInt8;
}

/// True for the dtypes operations accept today (everything but the reserved half types).
constexpr bool is_supported(DType dtype) {
  return dtype != DType::kFloat16 && dtype != DType::kBFloat16;
}

/// "float32", "int64", ...
std::string_view name(DType dtype);
std::ostream& operator<<(std::ostream& os, DType dtype);

/// The dtype that holds both operands, following PyTorch's promotion lattice
/// bool < uint8 < int32 < int64 < float32 < float64.
DType promote_types(DType a, DType b);

/// The C++ type stored for a dtype: dtype_of<float> == kFloat32, and CType<kFloat32> is float.
template <class T>
inline constexpr DType dtype_of = [] {
  if constexpr (std::is_same_v<T, float>) {
    return DType::kFloat32;
  } else if constexpr (std::is_same_v<T, double>) {
    return DType::kFloat64;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return DType::kInt64;
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    return DType::kInt32;
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return DType::kUInt8;
  } else if constexpr (std::is_same_v<T, bool>) {
    return DType::kBool;
  } else {
    static_assert(sizeof(T) == 0, "no ignis dtype for this C++ type");
  }
}();

template <class T>
struct TypeTag {
  using type = T;
};

/// Calls f(TypeTag<T>{}) with the C++ type of a supported dtype; throws DTypeError for the
/// reserved ones. `op` names the operation in the message.
template <class F>
decltype(auto) visit_dtype(DType dtype, std::string_view op, F&& f);

[[noreturn]] void throw_unsupported_dtype(DType dtype, std::string_view op);

template <class F>
decltype(auto) visit_dtype(DType dtype, std::string_view op, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(TypeTag<float>{});
    case DType::kFloat64:
      return f(TypeTag<double>{});
    case DType::kInt64:
      return f(TypeTag<std::int64_t>{});
    case DType::kInt32:
      return f(TypeTag<std::int32_t>{});
    case DType::kUInt8:
      return f(TypeTag<std::uint8_t>{});
    case DType::kBool:
      return f(TypeTag<bool>{});
    case DType::kFloat16:
    case DType::kBFloat16:
      break;
  }
  throw_unsupported_dtype(dtype, op);
}

}  // namespace ignis

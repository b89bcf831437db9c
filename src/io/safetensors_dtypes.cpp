#include "io/safetensors_dtypes.hpp"

#include <array>

namespace ignis::io::detail {

namespace {

constexpr std::array<SafetensorsDType, 15> kDTypes{{
    {"BOOL", 1, DType::kBool},
    {"U8", 1, DType::kUInt8},
    {"I8", 1, DType::kInt32},
    {"F8_E5M2", 1, std::nullopt},
    {"F8_E4M3", 1, std::nullopt},
    {"I16", 2, DType::kInt32},
    {"U16", 2, DType::kInt32},
    {"F16", 2, DType::kFloat32},
    {"BF16", 2, DType::kFloat32},
    {"I32", 4, DType::kInt32},
    {"U32", 4, DType::kInt64},
    {"F32", 4, DType::kFloat32},
    {"F64", 8, DType::kFloat64},
    {"I64", 8, DType::kInt64},
    {"U64", 8, std::nullopt},
}};

}  // namespace

const SafetensorsDType* find_safetensors_dtype(std::string_view name) {
  for (const auto& d : kDTypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::string_view safetensors_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "F32";
    case DType::kFloat64: return "F64";
    case DType::kInt64: return "I64";
    case DType::kInt32: return "I32";
    case DType::kUInt8: return "U8";
    case DType::kBool: return "BOOL";
    case DType::kFloat16: return "F16";
    case DType::kBFloat16: return "BF16";
  }
  return "?";
}

std::string_view safetensors_dtype_names() {
  return "BOOL U8 I8 F8_E5M2 F8_E4M3 I16 U16 F16 BF16 I32 U32 F32 F64 I64 U64";
}

}  // namespace ignis::io::detail

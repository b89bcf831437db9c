#pragma once
// The dtype names of the safetensors format and their element sizes (FORMATS.md; the reference
// implementation's Dtype enum), and the ignis dtype each maps to when read.
#include <cstddef>
#include <optional>
#include <string_view>

#include "ignis/core/dtype.hpp"

namespace ignis::io::detail {

struct SafetensorsDType {
  std::string_view name;
  std::size_t size;                // bytes per element
  std::optional<DType> read_as;    // the ignis dtype a read gives, none when ignis has no such tensors
};

/// The entry for a safetensors dtype name, or null for a name the format does not define.
const SafetensorsDType* find_safetensors_dtype(std::string_view name);

/// The safetensors name of an ignis dtype ("F32" for float32).
std::string_view safetensors_name(DType dtype);

/// Every name, for messages.
std::string_view safetensors_dtype_names();

}  // namespace ignis::io::detail

// libFuzzer target: the safetensors reader. Contract: any input is either accepted (and every
// tensor of it can be read, or is a DTypeError for a type ignis lacks) or refused with a
// FormatError. Any other exception, a crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>

#include "ignis/core/error.hpp"
#include "ignis/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto file = ignis::io::SafetensorsFile::parse({data, size}, "fuzz");
    for (const auto& entry : file.entries()) {
      try {
        (void)file.tensor(entry);
      } catch (const ignis::DTypeError&) {
      }
    }
  } catch (const ignis::FormatError&) {
  }
  return 0;
}

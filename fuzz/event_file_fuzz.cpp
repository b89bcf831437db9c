// libFuzzer target: TensorBoard event files (TFRecord framing, then the Event decoder; the
// decoder also gets the raw input, past any CRC). Contract: FormatError or success, nothing else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ignis/core/error.hpp"
#include "ignis/io/event_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    for (const auto& record : ignis::io::read_records({data, size}, "fuzz")) (void)ignis::io::decode_event(record);
  } catch (const ignis::FormatError&) {
  }
  try {
    (void)ignis::io::decode_event(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const ignis::FormatError&) {
  }
  return 0;
}

#pragma once
// CRC-32C (Castagnoli; reflected polynomial 0x82F63B78, RFC 3720 appendix B.4) and the masked
// form TFRecord files store (FORMATS.md): ((crc >> 15) | (crc << 17)) + 0xa282ead8.
#include <cstdint>
#include <span>
#include <string_view>

namespace ignis::io::detail {

/// crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::span<const unsigned char> bytes);
inline std::uint32_t crc32c(std::string_view s) {
  return crc32c(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()), s.size()));
}

constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace ignis::io::detail

#pragma once
// The protocol-buffer wire format, by hand (https://protobuf.dev/programming-guides/encoding/):
// a key is varint((field << 3) | wire type); wire types 0 varint, 1 fixed 64-bit, 2 length-
// delimited, 5 fixed 32-bit; all little-endian. Enough to write and read TensorBoard's Event.
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ignis::io::detail {

class ProtoWriter {
 public:
  void varint_field(int field, std::uint64_t v) { key(field, 0); varint(v); }
  void double_field(int field, double v) { key(field, 1); fixed(std::bit_cast<std::uint64_t>(v), 8); }
  void float_field(int field, float v) { key(field, 5); fixed(std::bit_cast<std::uint32_t>(v), 4); }
  void bytes_field(int field, std::string_view bytes) {
    key(field, 2);
    varint(bytes.size());
    out_.append(bytes);
  }
  void message_field(int field, const ProtoWriter& message) { bytes_field(field, message.out_); }
  /// A packed repeated double (proto3's default encoding for repeated scalars).
  void packed_doubles(int field, const std::vector<double>& values) {
    ProtoWriter body;
    for (const double v : values) body.fixed(std::bit_cast<std::uint64_t>(v), 8);
    bytes_field(field, body.out_);
  }
  const std::string& bytes() const { return out_; }

 private:
  void key(int field, int wire_type) { varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void fixed(std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  std::string out_;
};

/// One field read by ProtoReader: its number, wire type and value (varint/fixed as an integer,
/// length-delimited as the bytes).
struct ProtoField {
  int number = 0;
  int wire_type = 0;
  std::uint64_t integer = 0;
  std::string_view bytes;
};

/// Reads fields one by one; next() returns nullopt at the end and sets error() (never throws,
/// never reads out of bounds) on malformed input.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}
  std::optional<ProtoField> next() {
    if (pos_ >= data_.size() || !error_.empty()) return std::nullopt;
    const auto k = varint();
    if (!k) return fail("truncated field key");
    ProtoField f;
    f.number = static_cast<int>(*k >> 3);
    f.wire_type = static_cast<int>(*k & 7);
    if (f.number == 0 || *k >> 3 > 0x1FFFFFFF) return fail("invalid field number");
    switch (f.wire_type) {
      case 0: {
        const auto v = varint();
        if (!v) return fail("truncated varint");
        f.integer = *v;
        break;
      }
      case 1:
      case 5: {
        const std::size_t width = f.wire_type == 1 ? 8 : 4;
        if (data_.size() - pos_ < width) return fail("truncated fixed-width field");
        for (std::size_t i = 0; i < width; ++i) f.integer |= std::uint64_t{static_cast<unsigned char>(data_[pos_ + i])} << (8 * i);
        pos_ += width;
        break;
      }
      case 2: {
        const auto n = varint();
        if (!n || *n > data_.size() - pos_) return fail("length-delimited field runs past the end");
        f.bytes = data_.substr(pos_, static_cast<std::size_t>(*n));
        pos_ += static_cast<std::size_t>(*n);
        break;
      }
      default:
        return fail("unsupported wire type");
    }
    return f;
  }
  const std::string& error() const { return error_; }

 private:
  std::optional<ProtoField> fail(const char* what) {
    error_ = what;
    return std::nullopt;
  }
  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return std::nullopt;
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= std::uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    return std::nullopt;  // more than 10 bytes
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace ignis::io::detail

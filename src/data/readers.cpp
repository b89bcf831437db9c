// IDX and CSV readers. IDX: http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT"): a 4-byte
// magic (two zero bytes, a type byte, a dimension-count byte), one big-endian uint32 per
// dimension, then the data in big-endian order. gzip is detected by its magic bytes 1f 8b.
#include "ignis/data/readers.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/check.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::data {

namespace {

/// The whole file, decompressed if it is gzip.
std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) detail::fail<FormatError>("[read] cannot open {}: no such file or no permission", path);
  unsigned char magic[2] = {0, 0};
  probe.read(reinterpret_cast<char*>(magic), 2);
  const bool gzip = probe.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  probe.close();
  std::vector<unsigned char> out;
  if (!gzip) {
    std::ifstream in(path, std::ios::binary);
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return out;
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) detail::fail<FormatError>("[read] cannot open {} as gzip", path);
  unsigned char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file, buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      detail::fail<FormatError>("[read] {} is not a valid gzip file (after {} decompressed bytes): {}", path,
                                out.size(), message);
    }
    if (n == 0) break;
    out.insert(out.end(), buffer, buffer + n);
  }
  int code = Z_OK;
  const std::string message = gzerror(file, &code);
  gzclose(file);
  if (code != Z_OK) {  // e.g. Z_BUF_ERROR: the compressed stream ends early
    detail::fail<FormatError>("[read] {} is not a valid gzip file (after {} decompressed bytes): {}", path, out.size(),
                              message);
  }
  return out;
}

std::uint32_t big_endian_u32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

/// Copies n big-endian elements of `width` bytes into host order.
void copy_big_endian(const unsigned char* src, unsigned char* dst, std::size_t n, std::size_t width) {
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t b = 0; b < width; ++b) dst[i * width + b] = src[i * width + (width - 1 - b)];
  }
}

}  // namespace

Tensor read_idx(const std::string& path) {
  const std::vector<unsigned char> bytes = read_bytes(path);
  if (bytes.size() < 4) {
    detail::fail<FormatError>("[read_idx] {}: {} bytes, too short for the 4-byte IDX header", path, bytes.size());
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    detail::fail<FormatError>("[read_idx] {}: bad magic at offset 0 (expected two zero bytes, got {:02x} {:02x}); "
                              "is this an IDX file?",
                              path, bytes[0], bytes[1]);
  }
  DType dtype;
  std::size_t width;
  switch (bytes[2]) {
    case 0x08: dtype = DType::kUInt8; width = 1; break;
    case 0x09: dtype = DType::kInt32; width = 1; break;  // int8, widened
    case 0x0B: dtype = DType::kInt32; width = 2; break;  // int16, widened
    case 0x0C: dtype = DType::kInt32; width = 4; break;
    case 0x0D: dtype = DType::kFloat32; width = 4; break;
    case 0x0E: dtype = DType::kFloat64; width = 8; break;
    default:
      detail::fail<FormatError>("[read_idx] {}: unknown data type byte 0x{:02x} at offset 2 (expected 08, 09, 0B, "
                                "0C, 0D or 0E)",
                                path, bytes[2]);
  }
  const int ndim = bytes[3];
  if (ndim < 1 || ndim > kMaxDims) {
    detail::fail<FormatError>("[read_idx] {}: {} dimensions at offset 3 (expected 1 to {})", path, ndim, kMaxDims);
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  if (bytes.size() < header) {
    detail::fail<FormatError>("[read_idx] {}: truncated header: {} bytes, the {} dimension sizes need {}", path,
                              bytes.size(), ndim, header);
  }
  Shape shape;
  std::size_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const std::uint32_t size = big_endian_u32(&bytes[4 + 4 * static_cast<std::size_t>(d)]);
    shape.push_back(size);
    count *= size;
    if (count > (std::size_t{1} << 40)) {
      detail::fail<FormatError>("[read_idx] {}: implausible size at offset {} ({} elements)", path, 4 + 4 * d, count);
    }
  }
  const std::size_t expected = header + count * width;
  if (bytes.size() != expected) {
    detail::fail<FormatError>("[read_idx] {}: {} bytes, but a {} array of {}-byte elements needs {} ({})", path,
                              bytes.size(), shape, width, expected,
                              bytes.size() < expected ? "truncated" : "trailing bytes");
  }
  const unsigned char* data = bytes.data() + header;
  Tensor out = empty(shape, {.dtype = dtype});
  if (count == 0) return out;
  if (bytes[2] == 0x08) {
    std::memcpy(out.data_ptr(), data, count);
  } else if (bytes[2] == 0x09 || bytes[2] == 0x0B) {
    auto* dst = out.data_ptr<std::int32_t>();
    for (std::size_t i = 0; i < count; ++i) {
      dst[i] = width == 1 ? static_cast<std::int8_t>(data[i])
                          : static_cast<std::int16_t>((data[2 * i] << 8) | data[2 * i + 1]);
    }
  } else {
    copy_big_endian(data, static_cast<unsigned char*>(out.data_ptr()), count, width);
  }
  return out;
}

Tensor read_csv(const std::string& path, CsvOptions options) {
  std::ifstream in(path);
  if (!in) detail::fail<FormatError>("[read_csv] cannot open {}: no such file or no permission", path);
  std::vector<float> values;
  std::size_t columns = 0, rows = 0, line_number = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1 && options.header) continue;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::size_t fields = 0, start = 0;
    for (;;) {
      const std::size_t end = line.find(options.delimiter, start);
      const std::string field = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
      char* parse_end = nullptr;
      const float v = std::strtof(field.c_str(), &parse_end);
      const bool blank_rest = parse_end != nullptr && std::string(parse_end).find_first_not_of(" \t") == std::string::npos;
      if (field.find_first_not_of(" \t") == std::string::npos || parse_end == field.c_str() || !blank_rest) {
        detail::fail<FormatError>("[read_csv] {}:{}: field {} is \"{}\", expected a number", path, line_number,
                                  fields + 1, field);
      }
      values.push_back(v);
      ++fields;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (rows == 0) {
      columns = fields;
    } else if (fields != columns) {
      detail::fail<FormatError>("[read_csv] {}:{}: {} fields, but earlier rows have {}", path, line_number, fields,
                                columns);
    }
    ++rows;
  }
  return from_vector(values, {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(columns)});
}

}  // namespace ignis::data

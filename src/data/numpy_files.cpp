// NumPy's .npy and .npz files. .npy (numpy.lib.format): the magic "\x93NUMPY", a major and minor
// version byte, a little-endian header length (uint16 in version 1, uint32 in 2 and 3), an ASCII
// Python dict {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }, then the data.
// .npz is a zip archive of .npy files (APPNOTE.TXT: end-of-central-directory record, central
// directory, local headers; entries stored or deflated).
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/check.hpp"
#include "ignis/data/readers.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/layout.hpp"

namespace ignis::data {

namespace {

using Bytes = std::vector<unsigned char>;

Bytes slurp(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::fail<FormatError>("[{}] cannot open {}: no such file or no permission", op, path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::uint32_t le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

/// The text after `key` up to the first of `stops` in the header dict.
std::string dict_value(const std::string& header, const std::string& key, const std::string& what,
                       const std::string& name) {
  const std::size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) detail::fail<FormatError>("[read_npy] {}: the header has no '{}' ({})", name, key, what);
  const std::size_t colon = header.find(':', k);
  if (colon == std::string::npos) detail::fail<FormatError>("[read_npy] {}: malformed header near '{}'", name, key);
  return header.substr(colon + 1);
}

/// Parses one .npy image (`name` is for messages).
Tensor parse_npy(const Bytes& b, const std::string& name) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) {
    detail::fail<FormatError>("[read_npy] {}: not a .npy file (no \\x93NUMPY magic at offset 0)", name);
  }
  const int major = b[6];
  std::size_t header_len, header_start;
  if (major == 1) {
    header_len = le16(&b[8]);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) detail::fail<FormatError>("[read_npy] {}: truncated at offset 8 (header length)", name);
    header_len = le32(&b[8]);
    header_start = 12;
  } else {
    detail::fail<FormatError>("[read_npy] {}: format version {} at offset 6 is not supported (1 to 3 are)", name, major);
  }
  if (header_start + header_len > b.size()) {
    detail::fail<FormatError>("[read_npy] {}: the header ({} bytes from offset {}) runs past the end ({} bytes)", name,
                              header_len, header_start, b.size());
  }
  const std::string header(b.begin() + static_cast<long>(header_start), b.begin() + static_cast<long>(header_start + header_len));

  std::string descr = dict_value(header, "descr", "dtype", name);
  const std::size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos) detail::fail<FormatError>("[read_npy] {}: malformed descr", name);
  descr = descr.substr(q1 + 1, q2 - q1 - 1);
  const std::string order_text = dict_value(header, "fortran_order", "memory order", name);
  const bool fortran = order_text.substr(0, order_text.find_first_of(",}")).find("True") != std::string::npos;
  const std::string shape_text = dict_value(header, "shape", "dimensions", name);
  const std::size_t open = shape_text.find('('), close = shape_text.find(')');
  if (open == std::string::npos || close == std::string::npos) detail::fail<FormatError>("[read_npy] {}: malformed shape", name);
  Shape shape;
  std::string dims = shape_text.substr(open + 1, close - open - 1);
  for (std::size_t pos = 0; pos < dims.size();) {
    const std::size_t comma = dims.find(',', pos);
    const std::string field = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (field.find_first_not_of(" ") != std::string::npos) {
      try {
        const long long v = std::stoll(field);
        if (v < 0) throw std::out_of_range("negative");
        shape.push_back(v);
      } catch (const std::exception&) {
        detail::fail<FormatError>("[read_npy] {}: shape field \"{}\" is not a size", name, field);
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }

  if (descr.size() < 3) detail::fail<FormatError>("[read_npy] {}: unsupported dtype '{}'", name, descr);
  const char order = descr[0], kind = descr[1];
  const int width = std::atoi(descr.c_str() + 2);
  DType dtype;
  if (kind == 'f' && width == 4) dtype = DType::kFloat32;
  else if (kind == 'f' && width == 8) dtype = DType::kFloat64;
  else if (kind == 'i' && width == 8) dtype = DType::kInt64;
  else if (kind == 'i' && (width == 1 || width == 2 || width == 4)) dtype = DType::kInt32;
  else if (kind == 'u' && width == 1) dtype = DType::kUInt8;
  else if (kind == 'u' && width == 2) dtype = DType::kInt32;
  else if (kind == 'u' && width == 4) dtype = DType::kInt64;
  else if (kind == 'b' && width == 1) dtype = DType::kBool;
  else detail::fail<FormatError>("[read_npy] {}: dtype '{}' is not supported (float32/64, int8-64, uint8-32, bool are)", name, descr);

  const std::size_t count = static_cast<std::size_t>(numel(shape));
  const std::size_t data_start = header_start + header_len;
  const std::size_t need = count * static_cast<std::size_t>(width);
  if (b.size() - data_start != need) {
    detail::fail<FormatError>("[read_npy] {}: {} data bytes from offset {}, but shape {} of '{}' needs {}", name,
                              b.size() - data_start, data_start, shape, descr, need);
  }
  // Native little-endian bytes of every element, then widened to the tensor's dtype.
  Bytes native(b.begin() + static_cast<long>(data_start), b.end());
  if (order == '>' && width > 1) {
    for (std::size_t i = 0; i < count; ++i) std::reverse(native.begin() + static_cast<long>(i * width), native.begin() + static_cast<long>((i + 1) * width));
  }
  Shape stored = shape;  // Fortran order: the data is the transpose, in C order
  if (fortran) std::reverse(stored.begin(), stored.end());
  Tensor t = empty(stored, {.dtype = dtype});
  auto widen = [&](auto tag) {
    using Src = typename decltype(tag)::type;
    auto* dst = t.data_ptr<std::conditional_t<sizeof(Src) <= 4 && std::is_integral_v<Src> && !std::is_same_v<Src, std::uint32_t>, std::int32_t, std::int64_t>>();
    for (std::size_t i = 0; i < count; ++i) {
      Src v;
      std::memcpy(&v, native.data() + i * sizeof(Src), sizeof(Src));
      dst[i] = v;
    }
  };
  if (count > 0) {
    if (kind == 'i' && width == 1) widen(TypeTag<std::int8_t>{});
    else if (kind == 'i' && width == 2) widen(TypeTag<std::int16_t>{});
    else if (kind == 'u' && width == 2) widen(TypeTag<std::uint16_t>{});
    else if (kind == 'u' && width == 4) widen(TypeTag<std::uint32_t>{});
    else std::memcpy(t.data_ptr(), native.data(), need);
  }
  if (!fortran) return t;
  Dims reverse_dims;
  for (int d = shape.size() - 1; d >= 0; --d) reverse_dims.push_back(d);
  return ops::contiguous(layout::permute(t, reverse_dims));
}

/// Deflate expands at most 1032:1 (zlib FAQ, "maximum compression factor"): a larger declared
/// size is a corrupt or hostile header, refused before anything that large is allocated.
constexpr std::size_t kMaxDeflateRatio = 1032;

Bytes inflate_raw(const unsigned char* data, std::size_t size, std::size_t expected, const std::string& where) {
  if (expected > size * kMaxDeflateRatio + 64) {
    detail::fail<FormatError>("[read_npz] {}: declares {} bytes uncompressed from {} compressed bytes, more than "
                              "deflate can expand ({}:1); the archive is corrupt",
                              where, expected, size, kMaxDeflateRatio);
  }
  Bytes out(expected);
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) detail::fail<FormatError>("[read_npz] {}: cannot start zlib", where);
  z.next_in = const_cast<unsigned char*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  if (rc != Z_STREAM_END || z.total_out != expected) {
    detail::fail<FormatError>("[read_npz] {}: deflated data is corrupt ({} of {} bytes, zlib code {})", where,
                              z.total_out, expected, rc);
  }
  return out;
}

}  // namespace

Tensor read_npy(const std::string& path) { return parse_npy(slurp(path, "read_npy"), path); }

std::map<std::string, Tensor> read_npz(const std::string& path) {
  const Bytes b = slurp(path, "read_npz");
  // The end-of-central-directory record: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  std::size_t eocd = std::string::npos;
  for (std::size_t i = b.size() >= 22 ? b.size() - 22 : 0; b.size() >= 22; --i) {
    if (le32(&b[i]) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == 0 || b.size() - i > 65557) break;
  }
  if (eocd == std::string::npos) detail::fail<FormatError>("[read_npz] {}: not a zip archive (no end-of-central-directory record)", path);
  const std::size_t entries = le16(&b[eocd + 10]);
  std::size_t pos = le32(&b[eocd + 16]);
  std::map<std::string, Tensor> out;
  for (std::size_t e = 0; e < entries; ++e) {
    if (pos + 46 > b.size() || le32(&b[pos]) != 0x02014b50) {
      detail::fail<FormatError>("[read_npz] {}: central directory entry {} at offset {} is malformed", path, e, pos);
    }
    const int method = le16(&b[pos + 10]);
    const std::size_t compressed = le32(&b[pos + 20]), uncompressed = le32(&b[pos + 24]);
    const std::size_t name_len = le16(&b[pos + 28]), extra_len = le16(&b[pos + 30]), comment_len = le16(&b[pos + 32]);
    const std::size_t local = le32(&b[pos + 42]);
    if (pos + 46 + name_len > b.size()) detail::fail<FormatError>("[read_npz] {}: entry {} name runs past the end", path, e);
    std::string name(b.begin() + static_cast<long>(pos + 46), b.begin() + static_cast<long>(pos + 46 + name_len));
    if (compressed == 0xFFFFFFFF || uncompressed == 0xFFFFFFFF || local == 0xFFFFFFFF) {
      detail::fail<FormatError>("[read_npz] {}: entry {} is a zip64 entry (over 4 GiB), not supported", path, name);
    }
    if (local + 30 > b.size() || le32(&b[local]) != 0x04034b50) {
      detail::fail<FormatError>("[read_npz] {}: local header of {} at offset {} is malformed", path, name, local);
    }
    const std::size_t data = local + 30 + le16(&b[local + 26]) + le16(&b[local + 28]);
    if (data + compressed > b.size()) detail::fail<FormatError>("[read_npz] {}: data of {} runs past the end", path, name);
    const std::string where = path + ":" + name;
    Bytes npy;
    if (method == 0) {
      npy.assign(b.begin() + static_cast<long>(data), b.begin() + static_cast<long>(data + compressed));
    } else if (method == 8) {
      npy = inflate_raw(&b[data], compressed, uncompressed, where);
    } else {
      detail::fail<FormatError>("[read_npz] {}: compression method {} is not supported (stored and deflate are)", where, method);
    }
    if (name.size() > 4 && name.substr(name.size() - 4) == ".npy") name.resize(name.size() - 4);
    out.emplace(name, parse_npy(npy, where));
    pos += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

}  // namespace ignis::data

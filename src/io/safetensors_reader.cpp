// Reading safetensors: validation of the header against every rule of FORMATS.md, then copies
// of single tensors out of the mapped buffer.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>
#include <variant>

#include "core/check.hpp"
#include "ignis/io/safetensors.hpp"
#include "ignis/tensor/factories.hpp"
#include "io/mapped_file.hpp"
#include "io/safetensors_dtypes.hpp"

namespace ignis::io {

struct SafetensorsFile::Image {
  std::variant<std::unique_ptr<detail::MappedFile>, std::vector<unsigned char>> owner;
  std::span<const unsigned char> bytes;
};

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so is every host ignis runs on");

namespace {

using nlohmann::json;

template <class... Args>
[[noreturn]] void bad(const std::string& file, fmt::format_string<Args...> format, Args&&... args) {
  ignis::detail::fail<FormatError>("[safetensors] {}: {}", file, fmt::format(format, std::forward<Args>(args)...));
}

std::uint64_t le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// Parses the header JSON, refusing duplicate keys (nlohmann would keep the last silently).
json parse_header(std::span<const unsigned char> text, const std::string& file) {
  if (text.empty() || text[0] != '{') {
    bad(file, "the header (offset 8) must start with '{{' but starts with byte 0x{:02x}; not a safetensors file",
        text.empty() ? 0 : text[0]);
  }
  std::vector<std::set<std::string>> seen;
  std::string duplicate;
  const json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      seen.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      seen.pop_back();
    } else if (event == json::parse_event_t::key && !seen.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!seen.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), track);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    bad(file, "the header is not valid UTF-8 JSON ({}); the file is corrupt or not safetensors", e.what());
  }
  if (!duplicate.empty()) bad(file, "the name \"{}\" appears twice in the header; names must be unique", duplicate);
  if (!header.is_object()) bad(file, "the header is not a JSON object");
  return header;
}

std::uint64_t checked_multiply(std::uint64_t a, std::uint64_t b, const std::string& file, const std::string& name) {
  if (b != 0 && a > UINT64_MAX / b) bad(file, "\"{}\": the byte size of its shape overflows 64 bits", name);
  return a * b;
}

SafetensorsEntry parse_entry(const std::string& name, const json& info, const std::string& file) {
  if (name.empty()) bad(file, "a tensor has an empty name");
  if (!info.is_object()) bad(file, "\"{}\": the entry is not an object with dtype, shape and data_offsets", name);
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) bad(file, "\"{}\": the entry has no \"{}\"", name, key);
  }
  SafetensorsEntry e;
  e.name = name;
  const json& dtype = info["dtype"];
  if (!dtype.is_string()) bad(file, "\"{}\": dtype is not a string", name);
  e.dtype = dtype.get<std::string>();
  const auto* known = detail::find_safetensors_dtype(e.dtype);
  if (known == nullptr) {
    bad(file, "\"{}\": unknown dtype \"{}\" (the format defines {})", name, e.dtype, detail::safetensors_dtype_names());
  }
  const json& shape = info["shape"];
  if (!shape.is_array()) bad(file, "\"{}\": shape is not an array", name);
  if (shape.size() > static_cast<std::size_t>(kMaxDims)) {
    bad(file, "\"{}\": shape has {} dimensions; ignis tensors have at most {}", name, shape.size(), kMaxDims);
  }
  std::uint64_t bytes = known->size;
  for (const json& d : shape) {
    if (!d.is_number_unsigned()) bad(file, "\"{}\": shape {} holds something that is not a size", name, shape.dump());
    const std::uint64_t size = d.get<std::uint64_t>();
    if (size > static_cast<std::uint64_t>(INT64_MAX)) bad(file, "\"{}\": dimension {} is too large", name, size);
    e.shape.push_back(static_cast<std::int64_t>(size));
    bytes = checked_multiply(bytes, size, file, name);
  }
  const json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    bad(file, "\"{}\": data_offsets must be [begin, end] with two unsigned integers, got {}", name, offsets.dump());
  }
  e.begin = offsets[0].get<std::uint64_t>();
  e.end = offsets[1].get<std::uint64_t>();
  if (e.end < e.begin) bad(file, "\"{}\": data_offsets [{}, {}] end before they begin", name, e.begin, e.end);
  if (e.end - e.begin != bytes) {
    bad(file, "\"{}\": data_offsets [{}, {}] span {} bytes but shape {} of {} needs {}", name, e.begin, e.end,
        e.end - e.begin, e.shape, e.dtype, bytes);
  }
  return e;
}

SafetensorsMetadata parse_metadata(const json& m, const std::string& file) {
  if (!m.is_object()) bad(file, "__metadata__ must be an object of strings, got {}", m.dump());
  SafetensorsMetadata out;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string()) bad(file, "__metadata__ value of \"{}\" is not a string: {}", key, value.dump());
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

/// Widens n elements of Src (little-endian in the file) to Dst.
template <class Src, class Dst>
void widen(const unsigned char* in, Dst* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    Src v;
    std::memcpy(&v, in + i * sizeof(Src), sizeof(Src));
    out[i] = static_cast<Dst>(v);
  }
}

float bf16_to_float(std::uint16_t h) {
  const std::uint32_t bits = std::uint32_t{h} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// IEEE binary16 to binary32, exact (subnormals, infinities and NaN included).
float f16_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  std::uint32_t exponent = (h >> 10) & 0x1f;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::shared_ptr<const Image> image, std::string name)
    : image_(std::move(image)), name_(std::move(name)) {
  const auto b = image_->bytes;
  if (b.size() < 8) bad(name_, "{} bytes is too short for the 8-byte header length; the file is truncated", b.size());
  const std::uint64_t n = le64(b.data());
  if (n > kSafetensorsMaxHeader) {
    bad(name_, "header length {} (offset 0) exceeds the limit of {} bytes; the file is corrupt", n, kSafetensorsMaxHeader);
  }
  if (8 + n > b.size()) {
    bad(name_, "the header of {} bytes ends at offset {}, past the end of the file ({} bytes); the file is truncated", n,
        8 + n, b.size());
  }
  const json header = parse_header(b.subspan(8, n), name_);
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      metadata_ = parse_metadata(value, name_);
    } else {
      entries_.push_back(parse_entry(key, value, name_));
    }
  }
  std::sort(entries_.begin(), entries_.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& c) {
    return a.begin != c.begin ? a.begin < c.begin : a.end < c.end;
  });
  std::uint64_t expected = 0;
  for (const auto& e : entries_) {
    if (e.begin != expected) {
      bad(name_, "\"{}\" starts at buffer offset {} but the previous tensor ends at {}; the data {} (tensors must be "
          "contiguous, the first at 0)",
          e.name, e.begin, expected, e.begin > expected ? "has a hole" : "overlaps");
    }
    expected = e.end;
  }
  const std::uint64_t data_bytes = b.size() - 8 - n;
  if (expected != data_bytes) {
    bad(name_, "the tensors cover {} bytes of data but the file holds {} after the header; the file is {}", expected,
        data_bytes, expected > data_bytes ? "truncated" : "followed by extra bytes");
  }
  data_start_ = static_cast<std::size_t>(8 + n);
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto image = std::make_shared<Image>();
  auto map = std::make_unique<detail::MappedFile>(path);
  image->bytes = map->bytes();
  image->owner = std::move(map);
  return SafetensorsFile(std::move(image), path);
}

SafetensorsFile SafetensorsFile::parse(std::span<const unsigned char> bytes, const std::string& name) {
  auto image = std::make_shared<Image>();
  std::vector<unsigned char> copy(bytes.begin(), bytes.end());
  image->bytes = std::span<const unsigned char>(copy.data(), copy.size());
  image->owner = std::move(copy);  // moving a vector keeps its buffer, so the span stays valid
  return SafetensorsFile(std::move(image), name);
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::span<const unsigned char> SafetensorsFile::bytes(const SafetensorsEntry& entry) const {
  return image_->bytes.subspan(data_start_ + entry.begin, entry.end - entry.begin);
}

Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry* e = find(name);
  if (e == nullptr) {
    std::vector<std::string> names;
    for (const auto& x : entries_) names.push_back(x.name);
    ignis::detail::fail<ValueError>("[safetensors] {}: no tensor \"{}\"; the file holds [{}]", name_, name,
                                    fmt::join(names, ", "));
  }
  return tensor(*e);
}

Tensor SafetensorsFile::tensor(const SafetensorsEntry& entry) const {
  const auto* kind = detail::find_safetensors_dtype(entry.dtype);
  if (kind == nullptr || !kind->read_as) {
    ignis::detail::fail<DTypeError>("[safetensors] {}: \"{}\" is {}, which ignis has no tensors for; convert it to a "
                                    "supported type before saving (F32 F64 F16 BF16 I64 I32 I16 I8 U32 U16 U8 BOOL)",
                                    name_, entry.name, entry.dtype);
  }
  Tensor t = empty(entry.shape, {.dtype = *kind->read_as});
  const auto in = bytes(entry);
  const auto n = static_cast<std::size_t>(t.numel());
  if (n == 0) return t;
  const std::string_view d = entry.dtype;
  if (d == "I8") widen<std::int8_t>(in.data(), t.data_ptr<std::int32_t>(), n);
  else if (d == "I16") widen<std::int16_t>(in.data(), t.data_ptr<std::int32_t>(), n);
  else if (d == "U16") widen<std::uint16_t>(in.data(), t.data_ptr<std::int32_t>(), n);
  else if (d == "U32") widen<std::uint32_t>(in.data(), t.data_ptr<std::int64_t>(), n);
  else if (d == "BOOL") {
    // Any non-zero byte is true; a bool holding another bit pattern would be undefined behaviour.
    bool* out = t.data_ptr<bool>();
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i] != 0;
  } else if (d == "F16" || d == "BF16") {
    float* out = t.data_ptr<float>();
    for (std::size_t i = 0; i < n; ++i) {
      const auto h = static_cast<std::uint16_t>(in[2 * i] | (in[2 * i + 1] << 8));
      out[i] = d == "F16" ? f16_to_float(h) : bf16_to_float(h);
    }
  } else {
    std::memcpy(t.data_ptr(), in.data(), in.size());  // same type, little-endian host
  }
  return t;
}

nn::StateDict load_safetensors(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  nn::StateDict out;
  for (const auto& e : file.entries()) out.emplace_back(e.name, file.tensor(e));
  return out;
}

}  // namespace ignis::io

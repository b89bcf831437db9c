#include "ignis/io/event_file.hpp"

#include <bit>
#include <fstream>
#include <iterator>

#include "core/check.hpp"
#include "io/crc32c.hpp"
#include "io/proto_wire.hpp"

namespace ignis::io {

namespace {

using detail::ProtoReader;
using detail::ProtoWriter;

constexpr int kDTString = 7;  // tensorflow.DataType.DT_STRING

std::uint64_t le(const unsigned char* p, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

ProtoWriter encode_histogram(const Histogram& h) {
  ProtoWriter w;
  w.double_field(1, h.min);
  w.double_field(2, h.max);
  w.double_field(3, h.num);
  w.double_field(4, h.sum);
  w.double_field(5, h.sum_squares);
  w.packed_doubles(6, h.bucket_limit);
  w.packed_doubles(7, h.bucket);
  return w;
}

ProtoWriter encode_value(const SummaryValue& v) {
  ProtoWriter w;
  w.bytes_field(1, v.tag);
  switch (v.kind) {
    case SummaryKind::kScalar:
      w.float_field(2, v.scalar);
      break;
    case SummaryKind::kHistogram:
      w.message_field(5, encode_histogram(v.histogram));
      break;
    case SummaryKind::kText: {
      ProtoWriter dim, shape, tensor, plugin, metadata;
      dim.varint_field(1, 1);
      shape.message_field(2, dim);
      tensor.varint_field(1, kDTString);
      tensor.message_field(2, shape);
      tensor.bytes_field(8, v.text);
      plugin.bytes_field(1, "text");
      metadata.message_field(1, plugin);
      w.message_field(8, tensor);
      w.message_field(9, metadata);
      break;
    }
    case SummaryKind::kOther:
      break;
  }
  return w;
}

[[noreturn]] void malformed(const char* message, const std::string& error) {
  ignis::detail::fail<FormatError>("[event file] malformed {}: {}", message, error.empty() ? "wrong wire type" : error);
}

double as_double(const detail::ProtoField& f) { return std::bit_cast<double>(f.integer); }

std::vector<double> doubles(const detail::ProtoField& f, std::vector<double> into) {
  if (f.wire_type == 1) {
    into.push_back(as_double(f));
  } else if (f.wire_type == 2) {
    if (f.bytes.size() % 8 != 0) malformed("HistogramProto", "packed doubles not a multiple of 8 bytes");
    for (std::size_t i = 0; i < f.bytes.size(); i += 8) {
      into.push_back(std::bit_cast<double>(le(reinterpret_cast<const unsigned char*>(f.bytes.data() + i), 8)));
    }
  } else {
    malformed("HistogramProto", "");
  }
  return into;
}

Histogram decode_histogram(std::string_view data) {
  Histogram h;
  ProtoReader r(data);
  while (auto f = r.next()) {
    if (f->number >= 1 && f->number <= 5 && f->wire_type != 1) malformed("HistogramProto", "");
    switch (f->number) {
      case 1: h.min = as_double(*f); break;
      case 2: h.max = as_double(*f); break;
      case 3: h.num = as_double(*f); break;
      case 4: h.sum = as_double(*f); break;
      case 5: h.sum_squares = as_double(*f); break;
      case 6: h.bucket_limit = doubles(*f, std::move(h.bucket_limit)); break;
      case 7: h.bucket = doubles(*f, std::move(h.bucket)); break;
      default: break;
    }
  }
  if (!r.error().empty()) malformed("HistogramProto", r.error());
  return h;
}

/// The first string_val of a TensorProto (the text plugin's payload).
std::string decode_text_tensor(std::string_view data) {
  ProtoReader r(data);
  std::string text;
  while (auto f = r.next()) {
    if (f->number == 8 && f->wire_type == 2 && text.empty()) text = std::string(f->bytes);
  }
  if (!r.error().empty()) malformed("TensorProto", r.error());
  return text;
}

bool is_text_plugin(std::string_view metadata) {
  ProtoReader r(metadata);
  while (auto f = r.next()) {
    if (f->number != 1 || f->wire_type != 2) continue;
    ProtoReader plugin(f->bytes);
    while (auto p = plugin.next()) {
      if (p->number == 1 && p->wire_type == 2 && p->bytes == "text") return true;
    }
  }
  return false;
}

SummaryValue decode_value(std::string_view data) {
  SummaryValue v;
  ProtoReader r(data);
  std::string_view tensor, metadata;
  while (auto f = r.next()) {
    if (f->number == 1 && f->wire_type == 2) {
      v.tag = std::string(f->bytes);
    } else if (f->number == 2) {
      if (f->wire_type != 5) malformed("Summary.Value", "simple_value is not a float");
      v.kind = SummaryKind::kScalar;
      v.scalar = std::bit_cast<float>(static_cast<std::uint32_t>(f->integer));
    } else if (f->number == 5 && f->wire_type == 2) {
      v.kind = SummaryKind::kHistogram;
      v.histogram = decode_histogram(f->bytes);
    } else if (f->number == 8 && f->wire_type == 2) {
      tensor = f->bytes;
    } else if (f->number == 9 && f->wire_type == 2) {
      metadata = f->bytes;
    }
  }
  if (!r.error().empty()) malformed("Summary.Value", r.error());
  if (v.kind == SummaryKind::kOther && is_text_plugin(metadata)) {
    v.kind = SummaryKind::kText;
    v.text = decode_text_tensor(tensor);
  }
  return v;
}

}  // namespace

std::string encode_event(const Event& event) {
  ProtoWriter w;
  w.double_field(1, event.wall_time);
  if (event.step != 0) w.varint_field(2, static_cast<std::uint64_t>(event.step));
  if (!event.file_version.empty()) w.bytes_field(3, event.file_version);
  if (!event.values.empty()) {
    ProtoWriter summary;
    for (const auto& v : event.values) summary.message_field(1, encode_value(v));
    w.message_field(5, summary);
  }
  return w.bytes();
}

Event decode_event(std::string_view data) {
  Event e;
  ProtoReader r(data);
  while (auto f = r.next()) {
    if (f->number == 1) {
      if (f->wire_type != 1) malformed("Event", "wall_time is not a double");
      e.wall_time = as_double(*f);
    } else if (f->number == 2) {
      if (f->wire_type != 0) malformed("Event", "step is not a varint");
      e.step = static_cast<std::int64_t>(f->integer);
    } else if (f->number == 3 && f->wire_type == 2) {
      e.file_version = std::string(f->bytes);
    } else if (f->number == 5 && f->wire_type == 2) {
      ProtoReader s(f->bytes);
      while (auto v = s.next()) {
        if (v->number == 1 && v->wire_type == 2) e.values.push_back(decode_value(v->bytes));
      }
      if (!s.error().empty()) malformed("Summary", s.error());
    }
  }
  if (!r.error().empty()) malformed("Event", r.error());
  return e;
}

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  auto put = [&](std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(data.size(), 8);
  put(detail::mask_crc(detail::crc32c(std::string_view(out.data(), 8))), 4);
  out.append(data);
  put(detail::mask_crc(detail::crc32c(data)), 4);
  return out;
}

std::vector<std::string> read_records(std::span<const unsigned char> bytes, const std::string& name) {
  std::vector<std::string> records;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) {
      ignis::detail::fail<FormatError>("[event file] {}: record at offset {} is truncated in its 12-byte header", name, pos);
    }
    const std::uint64_t length = le(&bytes[pos], 8);
    const auto length_crc = static_cast<std::uint32_t>(le(&bytes[pos + 8], 4));
    if (detail::mask_crc(detail::crc32c(bytes.subspan(pos, 8))) != length_crc) {
      ignis::detail::fail<FormatError>("[event file] {}: record at offset {}: the CRC of its length does not match; the "
                                       "file is corrupt",
                                       name, pos);
    }
    if (length > bytes.size() - pos - 12 || bytes.size() - pos - 12 - length < 4) {
      ignis::detail::fail<FormatError>("[event file] {}: record at offset {} of {} bytes runs past the end ({} bytes); the "
                                       "file is truncated",
                                       name, pos, length, bytes.size());
    }
    const auto data = bytes.subspan(pos + 12, static_cast<std::size_t>(length));
    const auto data_crc = static_cast<std::uint32_t>(le(&bytes[pos + 12 + length], 4));
    if (detail::mask_crc(detail::crc32c(data)) != data_crc) {
      ignis::detail::fail<FormatError>("[event file] {}: record at offset {}: the CRC of its data does not match; the file "
                                       "is corrupt",
                                       name, pos);
    }
    records.emplace_back(data.begin(), data.end());
    pos += 12 + static_cast<std::size_t>(length) + 4;
  }
  return records;
}

std::vector<Event> read_event_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ignis::detail::fail<FormatError>("[event file] cannot open {}: no such file or no permission", path);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Event> events;
  for (const auto& record : read_records(bytes, path)) events.push_back(decode_event(record));
  return events;
}

}  // namespace ignis::io

#pragma once
// TensorBoard event files without a protobuf library (FORMATS.md). A file is a sequence of
// TFRecords: u64 LE length, u32 LE masked CRC-32C of those 8 bytes, the data, u32 LE masked
// CRC-32C of the data. Each record's data is a serialized tensorflow.Event; the first carries
// file_version "brain.Event:2". The few messages needed are encoded and decoded by hand:
//   Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value { string tag = 1; float simple_value = 2; HistogramProto histo = 5;
//           TensorProto tensor = 8; SummaryMetadata metadata = 9; }
//   HistogramProto { double min = 1, max = 2, num = 3, sum = 4, sum_squares = 5;
//                    repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
// Text summaries follow TensorBoard's text plugin: metadata.plugin_data.plugin_name = "text" and
// a DT_STRING TensorProto of shape [1] holding the UTF-8 text.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ignis::io {

struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit;  // right edge of each bucket
  std::vector<double> bucket;        // count in each bucket
};

enum class SummaryKind { kScalar, kHistogram, kText, kOther };

/// One Summary.Value.
struct SummaryValue {
  std::string tag;
  SummaryKind kind = SummaryKind::kOther;
  float scalar = 0;        // kScalar
  Histogram histogram;     // kHistogram
  std::string text;        // kText
};

struct Event {
  double wall_time = 0;       // seconds since the Unix epoch
  std::int64_t step = 0;
  std::string file_version;   // only in the first event of a file
  std::vector<SummaryValue> values;
};

/// The serialized Event (fields with default values are omitted, as protobuf does).
std::string encode_event(const Event& event);
/// Parses a serialized Event; FormatError on malformed protobuf. Unknown fields are skipped.
Event decode_event(std::string_view data);

/// One TFRecord around `data`.
std::string frame_record(std::string_view data);
/// The data of every record; FormatError naming the offset for truncation or a CRC mismatch.
/// `name` stands for the file in messages.
std::vector<std::string> read_records(std::span<const unsigned char> bytes, const std::string& name);

/// Every event of an event file (read_records + decode_event).
std::vector<Event> read_event_file(const std::string& path);

}  // namespace ignis::io

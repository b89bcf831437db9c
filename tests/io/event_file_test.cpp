// TensorBoard event files: CRC-32C and record golden bytes from FORMATS.md, encode/decode round
// trips, every-offset truncation and random bit flips of a written file.
#include "ignis/io/event_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "io/crc32c.hpp"
#include "support/reference.hpp"

namespace ignis::io {
namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::span<const unsigned char> as_bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

Event loss_event() {
  Event e;
  e.wall_time = 1.5;
  e.step = 3;
  e.values.push_back({.tag = "loss", .kind = SummaryKind::kScalar, .scalar = 0.25f});
  return e;
}

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(detail::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(detail::crc32c(""), 0u);
}

TEST(EventFile, GoldenEventAndRecordBytes) {
  const std::string event = encode_event(loss_event());
  EXPECT_EQ(hex(event), "09000000000000f83f10032a0d0a0b0a046c6f7373150000803e");
  EXPECT_EQ(hex(frame_record(event)), "1a00000000000000129bd82d" + hex(event) + "d054b255");
}

TEST(EventFile, EventsRoundTrip) {
  Event e;
  e.wall_time = 1700000000.25;
  e.step = 1234567890123;
  e.values.push_back({.tag = "epoch_loss", .kind = SummaryKind::kScalar, .scalar = -3.5f});
  SummaryValue h{.tag = "weights", .kind = SummaryKind::kHistogram};
  h.histogram = {.min = -1, .max = 2, .num = 4, .sum = 2.5, .sum_squares = 6.25, .bucket_limit = {0, 2}, .bucket = {1, 3}};
  e.values.push_back(h);
  e.values.push_back({.tag = "notes", .kind = SummaryKind::kText, .text = "héllo **world**"});
  const std::string bytes = frame_record(encode_event(e)) + frame_record(encode_event({.wall_time = 2, .file_version = "brain.Event:2"}));
  const auto records = read_records(as_bytes(bytes), "mem");
  ASSERT_EQ(records.size(), 2u);
  const Event d = decode_event(records[0]);
  EXPECT_EQ(d.wall_time, e.wall_time);
  EXPECT_EQ(d.step, e.step);
  ASSERT_EQ(d.values.size(), 3u);
  EXPECT_EQ(d.values[0].tag, "epoch_loss");
  EXPECT_EQ(d.values[0].kind, SummaryKind::kScalar);
  EXPECT_EQ(d.values[0].scalar, -3.5f);
  EXPECT_EQ(d.values[1].kind, SummaryKind::kHistogram);
  EXPECT_EQ(d.values[1].histogram.sum_squares, 6.25);
  EXPECT_EQ(d.values[1].histogram.bucket_limit, (std::vector<double>{0, 2}));
  EXPECT_EQ(d.values[1].histogram.bucket, (std::vector<double>{1, 3}));
  EXPECT_EQ(d.values[2].kind, SummaryKind::kText);
  EXPECT_EQ(d.values[2].text, "héllo **world**");
  EXPECT_EQ(decode_event(records[1]).file_version, "brain.Event:2");
}

TEST(EventFile, CorruptionIsNamed) {
  std::string bytes = frame_record(encode_event(loss_event()));
  bytes[3] ^= 1;
  IGNIS_EXPECT_THROW_MSG(read_records(as_bytes(bytes), "f"), FormatError, "offset 0", "CRC of its length");
  bytes[3] ^= 1;
  bytes[20] ^= 1;
  IGNIS_EXPECT_THROW_MSG(read_records(as_bytes(bytes), "f"), FormatError, "CRC of its data");
  IGNIS_EXPECT_THROW_MSG(decode_event(std::string("\x0a\x05\x01", 3)), FormatError, "malformed Event");
}

TEST(EventFile, EveryTruncationIsAFormatError) {
  const std::string one = frame_record(encode_event(loss_event()));
  const std::string bytes = one + one;
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    if (n == one.size()) continue;  // a whole first record is a valid file
    EXPECT_THROW(read_records(as_bytes(bytes.substr(0, n)), "f"), FormatError) << n;
  }
}

TEST(EventFile, RandomBitFlipsNeverCrash) {
  Event e = loss_event();
  SummaryValue h{.tag = "w", .kind = SummaryKind::kHistogram};
  h.histogram.bucket_limit = {1, 2, 3};
  h.histogram.bucket = {4, 5, 6};
  e.values.push_back(h);
  e.values.push_back({.tag = "t", .kind = SummaryKind::kText, .text = "abc"});
  const std::string event = encode_event(e);
  const std::string record = frame_record(event);
  std::mt19937 rng(6);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string r = record, ev = event;
    r[rng() % r.size()] ^= static_cast<char>(1u << (rng() % 8));
    ev[rng() % ev.size()] ^= static_cast<char>(1u << (rng() % 8));
    try {
      read_records(as_bytes(r), "f");
    } catch (const FormatError&) {
      ++refused;
    }
    try {
      decode_event(ev);  // the protobuf decoder on its own, past the CRC
    } catch (const FormatError&) {
    }
  }
  EXPECT_EQ(refused, 3000);  // a single bit flip always breaks a CRC
}

}  // namespace
}  // namespace ignis::io

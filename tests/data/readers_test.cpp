// IDX and CSV readers: golden bytes, gzip, and every malformed input a clear FormatError.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/reference.hpp"

namespace ignis::data {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / fmt::format("ignis_data_{}_{}", ::getpid(), counter_++)) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name, const std::vector<unsigned char>& bytes) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  std::string gzip_file(const std::string& name, const std::vector<unsigned char>& bytes) const {
    const std::string p = (path_ / name).string();
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return p;
  }
  std::string text(const std::string& name, const std::string& content) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p) << content;
    return p;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// An IDX file of 2 x 3 unsigned bytes: magic 00 00 08 02, sizes 2 and 3 (big-endian), data.
const std::vector<unsigned char> kUByte2x3 = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 250, 251, 255};

TEST(ReadIdx, ReadsUnsignedBytesPlainAndGzipped) {
  TempDir dir;
  for (const std::string& path : {dir.file("a.idx", kUByte2x3), dir.gzip_file("a.idx.gz", kUByte2x3)}) {
    const Tensor t = read_idx(path);
    EXPECT_EQ(t.dtype(), kUInt8);
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_EQ(testing::values_of(t), (std::vector<double>{1, 2, 3, 250, 251, 255}));
  }
}

TEST(ReadIdx, ConvertsBigEndianTypes) {
  TempDir dir;
  // int16 (0x0B), 1-D of 2: -2 and 258.
  const Tensor s = read_idx(dir.file("s.idx", {0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x02}));
  EXPECT_EQ(s.dtype(), kInt32);
  EXPECT_EQ(testing::values_of(s), (std::vector<double>{-2, 258}));
  // float32 (0x0D): 1.5 = 0x3FC00000.
  const Tensor f = read_idx(dir.file("f.idx", {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0}));
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.item<float>(), 1.5f);
  // int8 (0x09): -1.
  EXPECT_EQ(read_idx(dir.file("b.idx", {0, 0, 0x09, 1, 0, 0, 0, 1, 0xFF})).item<int>(), -1);
}

TEST(ReadIdx, EveryTruncationIsAFormatErrorNamingTheFile) {
  TempDir dir;
  for (std::size_t n = 0; n < kUByte2x3.size(); ++n) {
    const std::string path = dir.file(fmt::format("t{}", n), std::vector<unsigned char>(kUByte2x3.begin(), kUByte2x3.begin() + static_cast<long>(n)));
    IGNIS_EXPECT_THROW_MSG(read_idx(path), FormatError, "[read_idx]", path.c_str());
  }
}

TEST(ReadIdx, MalformedHeadersSayWhatWasExpected) {
  TempDir dir;
  std::vector<unsigned char> bad_magic = kUByte2x3;
  bad_magic[0] = 1;
  IGNIS_EXPECT_THROW_MSG(read_idx(dir.file("m", bad_magic)), FormatError, "offset 0", "IDX");
  std::vector<unsigned char> bad_type = kUByte2x3;
  bad_type[2] = 0x07;
  IGNIS_EXPECT_THROW_MSG(read_idx(dir.file("t", bad_type)), FormatError, "0x07", "offset 2");
  std::vector<unsigned char> trailing = kUByte2x3;
  trailing.push_back(0);
  IGNIS_EXPECT_THROW_MSG(read_idx(dir.file("x", trailing)), FormatError, "trailing bytes");
  IGNIS_EXPECT_THROW_MSG(read_idx(dir.file("d", {0, 0, 8, 0})), FormatError, "0 dimensions");
  IGNIS_EXPECT_THROW_MSG(read_idx("/nonexistent/file.idx"), FormatError, "cannot open", "/nonexistent/file.idx");
  // A gzip header followed by garbage.
  IGNIS_EXPECT_THROW_MSG(read_idx(dir.file("g", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3})), FormatError, "gzip");
}

TEST(ReadIdx, RandomBitFlipsNeverCrash) {
  TempDir dir;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<unsigned char> bytes = kUByte2x3;
    bytes[static_cast<std::size_t>(trial * 7) % bytes.size()] ^= static_cast<unsigned char>(1 << (trial % 8));
    try {
      const Tensor t = read_idx(dir.file(fmt::format("f{}", trial), bytes));
      EXPECT_EQ(t.numel() + 12, static_cast<std::int64_t>(bytes.size()));  // only a data flip reads back
    } catch (const FormatError&) {
    }
  }
}

TEST(ReadCsv, ReadsNumbersWithAHeader) {
  TempDir dir;
  const Tensor t = read_csv(dir.text("a.csv", "x,y\n1,2.5\n-3,4e2\n\n"));
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(testing::values_of(t), (std::vector<double>{1, 2.5, -3, 400}));
  const Tensor u = read_csv(dir.text("b.csv", "1;2\r\n3;4\r\n"), {.header = false, .delimiter = ';'});
  EXPECT_EQ(testing::values_of(u), (std::vector<double>{1, 2, 3, 4}));
}

TEST(ReadCsv, ErrorsNameTheLineAndField) {
  TempDir dir;
  IGNIS_EXPECT_THROW_MSG(read_csv(dir.text("r.csv", "a,b\n1,2\n3\n")), FormatError, "r.csv:3", "1 fields", "have 2");
  IGNIS_EXPECT_THROW_MSG(read_csv(dir.text("n.csv", "a,b\n1,x\n")), FormatError, "n.csv:2", "field 2", "\"x\"");
  IGNIS_EXPECT_THROW_MSG(read_csv(dir.text("e.csv", "a,b\n1,\n")), FormatError, "e.csv:2", "field 2");
  IGNIS_EXPECT_THROW_MSG(read_csv("/nonexistent.csv"), FormatError, "cannot open");
}

}  // namespace
}  // namespace ignis::data

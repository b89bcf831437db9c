// .npy and .npz against files NumPy wrote (tests/data/golden/README.md), and malformed input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/reference.hpp"

namespace ignis::data {
namespace {

const std::string kGolden = IGNIS_TEST_DATA_DIR "/golden/";

TEST(ReadNpy, GoldenFilesFromNumPy) {
  const Tensor f4 = read_npy(kGolden + "f4.npy");
  EXPECT_EQ(f4.dtype(), kFloat32);
  EXPECT_EQ(f4.shape(), (Shape{2, 3}));
  EXPECT_EQ(testing::values_of(f4), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  const Tensor fortran = read_npy(kGolden + "f8_fortran.npy");  // column-major on disk
  EXPECT_EQ(fortran.dtype(), kFloat64);
  EXPECT_EQ(testing::values_of(fortran), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(testing::values_of(read_npy(kGolden + "i2_be.npy")), (std::vector<double>{-2, 258}));
  const Tensor b = read_npy(kGolden + "b1.npy");
  EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(testing::values_of(b), (std::vector<double>{1, 0, 1}));
  const Tensor s = read_npy(kGolden + "scalar.npy");
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<double>(), 3.5);
}

TEST(ReadNpz, StoredAndDeflatedArchives) {
  const auto a = read_npz(kGolden + "a.npz");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(testing::values_of(a.at("x")), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(a.at("y").shape(), (Shape{2, 2}));
  const auto c = read_npz(kGolden + "c.npz");
  EXPECT_EQ(c.at("x").numel(), 1000);
  EXPECT_EQ(c.at("x").at<int>({999}), 999);
}

TEST(ReadNpy, EveryTruncationIsAFormatError) {
  std::ifstream in(kGolden + "f4.npy", std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto path = testing::unique_temp_path("ignis_truncated", ".npy");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n));
    IGNIS_EXPECT_THROW_MSG(read_npy(path.string()), FormatError, "[read_npy]");
  }
  std::filesystem::remove(path);
}

TEST(ReadNpz, TruncatedOrCorruptArchivesAreFormatErrors) {
  std::ifstream in(kGolden + "c.npz", std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto path = testing::unique_temp_path("ignis_bad", ".npz");
  for (std::size_t n = 0; n < bytes.size(); n += 37) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n));
    EXPECT_THROW(read_npz(path.string()), FormatError) << n;
  }
  std::vector<char> flipped = bytes;
  flipped[200] = static_cast<char>(flipped[200] ^ 0x55);  // inside the deflated data
  std::ofstream(path, std::ios::binary).write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
  EXPECT_THROW(read_npz(path.string()), FormatError);
  // A central directory that declares 4 GB uncompressed (found by the fuzzer): refused before
  // the reader allocates it.
  std::vector<char> inflated = bytes;
  bool patched = false;
  for (std::size_t i = 0; i + 28 <= inflated.size(); ++i) {
    if (inflated[i] == 0x50 && inflated[i + 1] == 0x4b && inflated[i + 2] == 0x01 && inflated[i + 3] == 0x02) {
      const char huge[4] = {0x00, 0x00, 0x00, static_cast<char>(0xF0)};  // 0xF0000000, little-endian
      std::copy(huge, huge + 4, inflated.begin() + static_cast<long>(i + 24));
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  std::ofstream(path, std::ios::binary).write(inflated.data(), static_cast<std::streamsize>(inflated.size()));
  IGNIS_EXPECT_THROW_MSG(read_npz(path.string()), FormatError, "more than deflate can expand");
  std::filesystem::remove(path);
  IGNIS_EXPECT_THROW_MSG(read_npz("/nonexistent.npz"), FormatError, "cannot open");
}

}  // namespace
}  // namespace ignis::data

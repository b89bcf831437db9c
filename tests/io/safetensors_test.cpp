// safetensors: golden bytes (FORMATS.md), round trips of every dtype, one failing test per
// validation rule, every-offset truncation and random bit flips, and loading into modules.
#include "ignis/io/safetensors.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/reference.hpp"

namespace ignis::io {
namespace {

using Bytes = std::vector<unsigned char>;

/// A file image: the 8-byte length of `header`, the header itself, then `data`.
Bytes image(const std::string& header, const Bytes& data = {}) {
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

SafetensorsFile parse(const Bytes& b) { return SafetensorsFile::parse(b, "test.safetensors"); }

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / fmt::format("ignis_st_{}_{}", ::getpid(), name)).string();
}

TEST(Safetensors, GoldenEmptyFile) {
  const Bytes expected{0x08, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20};
  EXPECT_EQ(serialize_safetensors({}), expected);
  EXPECT_TRUE(parse(expected).entries().empty());
}

TEST(Safetensors, GoldenOneTensorMatchesTheReferenceWriterLayout) {
  // safetensors.numpy.save({"a": np.array([1, 2], np.float32)}) writes exactly these bytes.
  const std::string json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(json.size(), 54u);
  const Bytes expected = image(json + "  ", {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40});
  EXPECT_EQ(serialize_safetensors({{"a", tensor({1.0f, 2.0f})}}), expected);
}

TEST(Safetensors, EveryIgnisDTypeRoundTripsExactly) {
  const nn::StateDict tensors{
      {"f32", tensor({{1.5f, -2.25f, 3e-38f}, {1e30f, 0.0f, -0.0f}})},
      {"f64", from_vector<double>({1e300, -1e-300}, {2})},
      {"i64", tensor({std::int64_t{1} << 62, std::int64_t{-7}})},
      {"i32", from_vector<std::int32_t>({2147483647, -2147483647 - 1}, {2})},
      {"u8", tensor({0, 255}).to(kUInt8)},
      {"bool", tensor({1, 0, 1}).to(kBool)},
      {"scalar", full({}, 3.25)},
      {"empty", zeros({0, 4})},
      {"strided", arange(12).reshape({3, 4}).t()},  // written row-major
  };
  const auto path = temp_path("roundtrip.safetensors");
  save_safetensors(path, tensors, {{"format", "pt"}, {"note", "ümlaut"}});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.metadata().at("note"), "ümlaut");
  const nn::StateDict back = load_safetensors(path);
  ASSERT_EQ(back.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].first);
    EXPECT_EQ(back[i].first, tensors[i].first);  // data order is the given order
    EXPECT_EQ(back[i].second.dtype(), tensors[i].second.dtype());
    EXPECT_EQ(back[i].second.shape(), tensors[i].second.shape());
    EXPECT_EQ(testing::values_of(back[i].second), testing::values_of(tensors[i].second));
  }
  EXPECT_EQ(file.find("f64")->dtype, "F64");
  EXPECT_EQ(file.find("bool")->dtype, "BOOL");
  EXPECT_EQ(file.find("u8")->dtype, "U8");
  std::filesystem::remove(path);
}

TEST(Safetensors, NarrowTypesAreWidenedExactly) {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, smallest subnormal 0x0001 = 2^-24, inf 0x7c00.
  // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00. I8 -3, U16 65535, I16 -300, U32 4e9.
  const std::string json =
      R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
      R"("i8":{"dtype":"I8","shape":[1],"data_offsets":[12,13]},)"
      R"("u16":{"dtype":"U16","shape":[1],"data_offsets":[13,15]},)"
      R"("i16":{"dtype":"I16","shape":[1],"data_offsets":[15,17]},)"
      R"("u32":{"dtype":"U32","shape":[1],"data_offsets":[17,21]}})";
  const Bytes data{0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c, 0x80, 0x3f, 0x00, 0xbf, 0xfd,
                   0xff, 0xff, 0xd4, 0xfe, 0x00, 0x28, 0x6b, 0xee};
  const SafetensorsFile f = parse(image(json, data));
  const Tensor h = f.tensor("h");
  EXPECT_EQ(h.dtype(), kFloat32);
  EXPECT_EQ(h.to_vector<float>()[0], 1.0f);
  EXPECT_EQ(h.to_vector<float>()[1], -2.0f);
  EXPECT_EQ(h.to_vector<float>()[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(h.to_vector<float>()[3]));
  EXPECT_EQ(f.tensor("b").to_vector<float>(), (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(f.tensor("i8").item<int>(), -3);
  EXPECT_EQ(f.tensor("u16").item<int>(), 65535);
  EXPECT_EQ(f.tensor("i16").item<int>(), -300);
  EXPECT_EQ(f.tensor("u32").item<std::int64_t>(), 4'000'000'000);
  EXPECT_EQ(f.tensor("u32").dtype(), kInt64);
}

TEST(Safetensors, TypesIgnisLacksAreDTypeErrors) {
  const SafetensorsFile f = parse(image(R"({"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", {0x38}));
  IGNIS_EXPECT_THROW_MSG(f.tensor("x"), DTypeError, "\"x\"", "F8_E4M3");
  IGNIS_EXPECT_THROW_MSG(f.tensor("nope"), ValueError, "no tensor \"nope\"", "[x]");
}

// --- one test per validation rule of FORMATS.md ---------------------------------------------------

TEST(SafetensorsRule, FewerThanEightBytes) {
  IGNIS_EXPECT_THROW_MSG(parse(Bytes{2, 0, 0}), FormatError, "test.safetensors", "3 bytes", "truncated");
}

TEST(SafetensorsRule, HeaderLongerThanTheLimit) {
  Bytes b(16, 0x20);
  const std::uint64_t n = kSafetensorsMaxHeader + 1;
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(n >> (8 * i));
  IGNIS_EXPECT_THROW_MSG(parse(b), FormatError, "100000001", "exceeds the limit");
}

TEST(SafetensorsRule, HeaderRunsPastTheEnd) {
  Bytes b = image("{}      ");
  b[0] = 9;
  IGNIS_EXPECT_THROW_MSG(parse(b), FormatError, "header of 9 bytes", "past the end", "truncated");
}

TEST(SafetensorsRule, InvalidUtf8) {
  IGNIS_EXPECT_THROW_MSG(parse(image("{\"\xff\xfe\":{}}")), FormatError, "not valid UTF-8 JSON");
}

TEST(SafetensorsRule, InvalidJson) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a": [1, 2)")), FormatError, "not valid UTF-8 JSON");
}

TEST(SafetensorsRule, NumberOutOfRange) {  // found by safetensors_fuzz in CI: json's out_of_range escaped
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a": 1e999})")), FormatError, "not valid UTF-8 JSON", "out_of_range");
}

TEST(SafetensorsRule, FirstByteNotABrace) {
  IGNIS_EXPECT_THROW_MSG(parse(image(" {}     ")), FormatError, "must start with '{'", "0x20");
  IGNIS_EXPECT_THROW_MSG(parse(image("[]")), FormatError, "must start with '{'");
}

TEST(SafetensorsRule, DuplicateNames) {
  const std::string json = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                           R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})";
  IGNIS_EXPECT_THROW_MSG(parse(image(json, {1, 2})), FormatError, "\"a\" appears twice");
}

TEST(SafetensorsRule, HoleBetweenTensors) {
  const std::string json = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                           R"("b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})";
  IGNIS_EXPECT_THROW_MSG(parse(image(json, {1, 2, 3})), FormatError, "\"b\" starts at buffer offset 2", "ends at 1",
                         "has a hole");
}

TEST(SafetensorsRule, FirstTensorNotAtZero) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", {1, 2})),
                         FormatError, "\"a\" starts at buffer offset 1", "has a hole");
}

TEST(SafetensorsRule, OverlappingTensors) {
  const std::string json = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                           R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})";
  IGNIS_EXPECT_THROW_MSG(parse(image(json, {1, 2, 3})), FormatError, "\"b\" starts at buffer offset 1", "overlaps");
}

TEST(SafetensorsRule, ShapeTimesSizeDiffersFromSpan) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", {0, 0, 0, 0})),
                         FormatError, "span 4 bytes", "needs 8");
}

TEST(SafetensorsRule, ShapeProductOverflows) {
  const std::string json =
      R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})";
  IGNIS_EXPECT_THROW_MSG(parse(image(json)), FormatError, "overflows 64 bits");
}

TEST(SafetensorsRule, DataEndsBeforeOrAfterTheFile) {
  const std::string json = R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})";
  IGNIS_EXPECT_THROW_MSG(parse(image(json, {1})), FormatError, "cover 2 bytes", "holds 1", "truncated");
  IGNIS_EXPECT_THROW_MSG(parse(image(json, {1, 2, 3})), FormatError, "holds 3", "extra bytes");
}

TEST(SafetensorsRule, UnknownDType) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"F128","shape":[],"data_offsets":[0,16]}})", Bytes(16))),
                         FormatError, "unknown dtype \"F128\"", "BF16");
}

TEST(SafetensorsRule, NonStringMetadataValue) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"__metadata__":{"format":"pt","epoch":3}})")), FormatError,
                         "__metadata__ value of \"epoch\" is not a string");
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"__metadata__":[1]})")), FormatError, "__metadata__ must be an object");
}

TEST(SafetensorsRule, MalformedEntries) {
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"U8","shape":[1]}})")), FormatError, "no \"data_offsets\"");
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})")), FormatError,
                         "not a size");
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})")), FormatError,
                         "end before they begin");
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":3})")), FormatError, "not an object");
  IGNIS_EXPECT_THROW_MSG(parse(image(R"({"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}})", {1})),
                         FormatError, "9 dimensions", "at most 8");
}

TEST(SafetensorsRule, MissingFile) {
  IGNIS_EXPECT_THROW_MSG(SafetensorsFile::open("/nonexistent/x.safetensors"), FormatError, "/nonexistent/x.safetensors",
                         "cannot open");
}

// --- robustness ------------------------------------------------------------------------------------

Bytes sample_file() {
  return serialize_safetensors({{"0.weight", arange(6).reshape({2, 3}).to(kFloat32)},
                                {"0.bias", tensor({0.5f, -0.5f})},
                                {"steps", tensor({std::int64_t{7}})}},
                               {{"format", "pt"}});
}

TEST(SafetensorsRobustness, EveryTruncationIsAFormatError) {
  const Bytes full = sample_file();
  ASSERT_NO_THROW(parse(full));
  for (std::size_t n = 0; n < full.size(); ++n) {
    const Bytes cut(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_THROW(parse(cut), FormatError) << "truncated to " << n << " of " << full.size() << " bytes";
  }
}

TEST(SafetensorsRobustness, RandomBitFlipsNeverCrash) {
  const Bytes full = sample_file();
  std::mt19937 rng(8);
  int refused = 0, accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    Bytes b = full;
    const int flips = 1 + trial % 3;
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] ^= static_cast<unsigned char>(1u << (rng() % 8));
    try {
      const SafetensorsFile f = parse(b);
      for (const auto& e : f.entries()) {
        try {
          const Tensor t = f.tensor(e);
          EXPECT_EQ(t.shape(), e.shape);
        } catch (const DTypeError&) {
        }
      }
      ++accepted;  // a flip inside the data or padding leaves a valid file
    } catch (const FormatError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(accepted, 0);
}

// --- modules -----------------------------------------------------------------------------------

TEST(SafetensorsModule, SaveAndLoadWithPyTorchNames) {
  manual_seed(1);
  nn::Sequential a(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  const auto path = temp_path("model.safetensors");
  save_safetensors(path, a);
  const SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_NE(f.find("0.weight"), nullptr);
  EXPECT_EQ(f.find("0.weight")->shape, (Shape{4, 3}));  // Linear weight is [out, in]
  EXPECT_EQ(f.find("2.bias")->shape, (Shape{2}));
  manual_seed(2);
  nn::Sequential b(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  EXPECT_TRUE(load_safetensors(path, b).missing_keys.empty());
  const Tensor x = randn({5, 3});
  EXPECT_EQ(testing::values_of(b(x)), testing::values_of(a(x)));
  std::filesystem::remove(path);
}

TEST(SafetensorsModule, ProblemsAreReportedTogether) {
  const auto path = temp_path("mismatch.safetensors");
  save_safetensors(path, {{"0.weight", zeros({4, 5})}, {"0.bias", zeros({4})}, {"extra", zeros({1})}});
  nn::Sequential model(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  IGNIS_EXPECT_THROW_MSG(load_safetensors(path, model), ShapeError, "0.weight: checkpoint (4, 5) vs model (4, 3)",
                         "missing from the state dict: [2.weight, 2.bias]", "unexpected in the state dict: [extra]");
  save_safetensors(path, {{"0.weight", zeros({4, 3})}, {"0.bias", full({4}, 2.0)}, {"extra", zeros({1})}});
  IGNIS_EXPECT_THROW_MSG(load_safetensors(path, model), ValueError, "missing from the state dict: [2.weight, 2.bias]",
                         "unexpected in the state dict: [extra]", "kNonStrict");
  const nn::LoadReport report = load_safetensors(path, model, nn::LoadMode::kNonStrict);
  EXPECT_EQ(report.missing_keys, (std::vector<std::string>{"2.weight", "2.bias"}));
  EXPECT_EQ(report.unexpected_keys, (std::vector<std::string>{"extra"}));
  EXPECT_EQ(testing::values_of(model.state_dict()[1].second), (std::vector<double>{2, 2, 2, 2}));
  std::filesystem::remove(path);
}

TEST(SafetensorsModule, WriterRefusesBadNames) {
  IGNIS_EXPECT_THROW_MSG(serialize_safetensors({{"a", zeros({1})}, {"a", zeros({1})}}), ValueError, "\"a\" is given twice");
  IGNIS_EXPECT_THROW_MSG(serialize_safetensors({{"__metadata__", zeros({1})}}), ValueError, "reserved");
}

}  // namespace
}  // namespace ignis::io

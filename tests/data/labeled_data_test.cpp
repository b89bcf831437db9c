// A user's labelled data (ignis/data/labeled_data.hpp): CSV files with numeric or text targets,
// NPZ archives, NPY pairs; and bad data named by file, line and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "ignis/data/labeled_data.hpp"
#include "ignis/tensor/factories.hpp"
#include "support/numpy_writer.hpp"
#include "support/reference.hpp"

namespace ignis::data {
namespace {

std::string csv_file(const std::string& text) {
  static int n = 0;  // a new file every call (unique_temp_path is unique per process only)
  const std::string path = testing::unique_temp_path("ignis_labeled_" + std::to_string(++n), ".csv").string();
  std::ofstream(path) << text;
  return path;
}

TEST(LabeledData, CsvWithTextLabelsInTheLastColumn) {
  const std::string path = csv_file("\xEF\xBB\xBFlength,\"width, cm\",species\r\n1.5,2,setosa\n\n-3,4e-1,\"vir\"\"ginica\"\n");
  const LabeledData d = load_labeled_data({.path = path});
  EXPECT_EQ(d.features.shape(), Shape({2, 2}));
  EXPECT_EQ(d.features.dtype(), kFloat32);
  EXPECT_TRUE(testing::all_close(d.features, {2, 2}, {1.5, 2, -3, 0.4}, 0, 1e-7));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"length", "width, cm"}));
  EXPECT_EQ(d.target_name, "species");
  EXPECT_EQ(d.text_targets, (std::vector<std::string>{"setosa", "vir\"ginica"}));
  EXPECT_FALSE(d.numeric_targets.defined());
  EXPECT_NE(d.description.find("2 rows, 2 features, target \"species\""), std::string::npos) << d.description;
}

TEST(LabeledData, CsvWithANamedNumericTarget) {
  const std::string path = csv_file("price,a,b\n10.5,1,2\n-2,3,4\n7,5,6\n");
  const LabeledData d = load_labeled_data({.path = path, .target_column = "price"});
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(testing::all_close(d.features, {3, 2}, {1, 2, 3, 4, 5, 6}, 0, 0));
  ASSERT_TRUE(d.numeric_targets.defined());
  EXPECT_EQ(d.numeric_targets.dtype(), kFloat64);
  EXPECT_TRUE(testing::all_close(d.numeric_targets, {3}, {10.5, -2, 7}, 0, 0));
  EXPECT_TRUE(d.text_targets.empty());
}

TEST(LabeledData, CsvColumnsForATrainedModelAreFoundByNameAndTheTargetMayBeAbsent) {
  const std::string path = csv_file("b,extra,a\n2,9,1\n4,9,3\n");
  const LabeledData d = load_labeled_data(
      {.path = path, .target_column = "y", .feature_columns = {"a", "b"}, .require_targets = false});
  EXPECT_TRUE(testing::all_close(d.features, {2, 2}, {1, 2, 3, 4}, 0, 0));
  EXPECT_FALSE(d.has_targets());
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = path, .feature_columns = {"a", "c"}, .require_targets = false}),
                         FormatError, "lacks the feature column(s) c that the model was trained on");
}

TEST(LabeledData, BadCsvDataIsNamedByLineAndColumn) {
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,b,y\n1,2,x\n1,2\n")}), FormatError, ":3: 2 fields, but the header has 3");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,b,y\n1,two,x\n")}), FormatError,
                         ":2: column \"b\" is \"two\", not a number", "--target \"b\"");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,b,y\n1,nan,x\n")}), FormatError,
                         ":2: column \"b\" is nan; features must be finite");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,b,y\n1,2,\n")}), FormatError, ":2: the target \"y\" is empty");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,b,y\n")}), FormatError, "no data rows");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("")}), FormatError, "is empty");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,y\n\"1,2\n")}), FormatError, "quoted field is not closed");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = csv_file("a,y\n1,2\n"), .target_column = "z"}), ValueError,
                         "has no column \"z\"", "its columns: a, y");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = "/nonexistent/d.csv"}), FormatError, "does not exist");
}

TEST(LabeledData, NpzAndNpyPairsGiveFeaturesAndTargets) {
  const Tensor x = arange(24, {.dtype = kFloat64}).reshape({4, 3, 2});
  const Tensor y = tensor({0.0, 1.0, 1.0, 0.0}).to(kInt64);
  const std::string npz = testing::unique_temp_path("ignis_labeled", ".npz").string();
  testing::write_npz(npz, {{"x", x}, {"y", y}});
  const LabeledData d = load_labeled_data({.path = npz});
  EXPECT_EQ(d.features.shape(), Shape({4, 3, 2}));
  EXPECT_EQ(d.features.dtype(), kFloat32);
  EXPECT_TRUE(testing::all_close(d.numeric_targets, {4}, {0, 1, 1, 0}, 0, 0));
  EXPECT_TRUE(d.feature_names.empty());

  const std::string xs = testing::unique_temp_path("ignis_x", ".npy").string();
  const std::string ys = testing::unique_temp_path("ignis_y", ".npy").string();
  testing::write_npy(xs, x);
  testing::write_npy(ys, y);
  const LabeledData pair = load_labeled_data({.path = xs, .targets_path = ys});
  EXPECT_TRUE(testing::all_close(pair.features, {4, 3, 2}, testing::values_of(x), 0, 0));
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = xs}), ValueError, "--targets FILE");
  EXPECT_FALSE(load_labeled_data({.path = xs, .require_targets = false}).has_targets());
}

TEST(LabeledData, AnIdxPairIsFeaturesAndTargets) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  }
  const LabeledData d =
      load_labeled_data({.path = dir + "t10k-images-idx3-ubyte.gz", .targets_path = dir + "t10k-labels-idx1-ubyte.gz"});
  EXPECT_EQ(d.features.shape(), Shape({10000, 28, 28}));
  EXPECT_EQ(d.numeric_targets.shape(), Shape({10000}));
  EXPECT_EQ(d.numeric_targets.max().item<double>(), 9.0);
}

TEST(LabeledData, BadArraysAreNamed) {
  // NumPy's golden a.npz: x has 4 rows, y has 2.
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = std::string(IGNIS_TEST_DATA_DIR) + "/golden/a.npz"}), FormatError,
                         "a.npz[x] has 4 rows but a.npz[y] has 2");
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = std::string(IGNIS_TEST_DATA_DIR) + "/golden/c.npz"}), FormatError,
                         "needs arrays \"x\" (features) and \"y\" (targets); it has: x");
  const std::string npz = testing::unique_temp_path("ignis_labeled", ".npz").string();
  testing::write_npz(npz, {{"x", tensor({1.0, std::numeric_limits<double>::quiet_NaN(), 3.0})}, {"y", tensor({1.0, 2.0, 3.0})}});
  IGNIS_EXPECT_THROW_MSG(load_labeled_data({.path = npz}), FormatError, "[x] holds 1 NaN or infinite values");
}

}  // namespace
}  // namespace ignis::data

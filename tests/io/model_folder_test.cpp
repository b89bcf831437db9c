// The folder of a model trained on a user's data (ignis/io/model_folder.hpp): what is saved comes
// back and predicts the same, and a folder that is not one says so.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ignis/io/model_folder.hpp"
#include "support/reference.hpp"

namespace ignis::io {
namespace {

/// A new folder name on every call (unique_temp_path is unique per process only).
std::string fresh_dir() {
  static int n = 0;
  const std::string dir = testing::unique_temp_path("ignis_model_" + std::to_string(++n)).string();
  std::filesystem::remove_all(dir);
  return dir;
}

train::UserModel small_classifier() {
  manual_seed(4);
  train::UserModelSpec spec{.task = train::Task::kClassification,
                            .input_shape = {2, 2},
                            .hidden = {8, 4},
                            .outputs = 3,
                            .label_names = {"a", "b", "c"},
                            .target_name = "y",
                            .mean = tensor({1.0, -1.0, 0.5, 2.0}).to(kFloat32),
                            .std = tensor({2.0, 1.0, 1.0, 4.0}).to(kFloat32)};
  keras::Sequential model = spec.build();
  return train::UserModel(std::move(spec), std::move(model));
}

TEST(ModelFolder, ASavedModelLoadsAndPredictsTheSame) {
  train::UserModel original = small_classifier();
  const std::string dir = fresh_dir();
  save_model(dir, original);
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.json"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.safetensors"));
  train::UserModel loaded = load_model(dir);
  EXPECT_EQ(loaded.spec().label_names, original.spec().label_names);
  EXPECT_EQ(loaded.spec().input_shape, original.spec().input_shape);
  EXPECT_EQ(loaded.spec().hidden, original.spec().hidden);
  Generator g(9);
  const Tensor x = randn({5, 2, 2}, {}, &g) * 3.0;
  const Tensor p = original.predict(x);
  EXPECT_TRUE(testing::all_close(loaded.predict(x), p.shape(), testing::values_of(p), 0, 0));
  EXPECT_TRUE(testing::all_close(p.sum({1}), {5}, std::vector<double>(5, 1.0), 0, 1e-6));  // probabilities
  EXPECT_EQ(loaded.predict_labels(x), original.predict_labels(x));
}

TEST(ModelFolder, AFolderThatIsNotAModelSaysSo) {
  const std::string empty = fresh_dir();
  std::filesystem::create_directories(empty);
  IGNIS_EXPECT_THROW_MSG(load_model(empty), FormatError, "has no model.json", "ignis train --data FILE --out DIR");
  auto with_json = [](const std::string& text) {
    const std::string dir = fresh_dir();
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/model.json") << text;
    return dir;
  };
  IGNIS_EXPECT_THROW_MSG(load_model(with_json("{not json")), FormatError, "is not valid JSON");
  IGNIS_EXPECT_THROW_MSG(load_model(with_json(R"({"format": "keras"})")), FormatError, "expected \"ignis-user-model\"");
  IGNIS_EXPECT_THROW_MSG(load_model(with_json(R"({"format": "ignis-user-model", "version": 99})")), FormatError,
                         "version 99 is newer");
  train::UserModel model = small_classifier();
  const std::string dir = fresh_dir();
  save_model(dir, model);
  std::filesystem::remove(dir + "/model.safetensors");
  EXPECT_THROW(load_model(dir), FormatError);
}

}  // namespace
}  // namespace ignis::io

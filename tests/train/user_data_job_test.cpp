// `ignis train --data FILE` as a library call: the task follows from the targets, a classifier and
// a regressor reach stated results on data made here, and bad choices are named.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "ignis/train/train_job.hpp"
#include "ignis/train/user_model.hpp"
#include "support/reference.hpp"

namespace ignis::train {
namespace {

std::string write_csv(const std::string& text) {
  static int n = 0;  // a new file every call (unique_temp_path is unique per process only)
  const std::string path = testing::unique_temp_path("ignis_user_" + std::to_string(++n), ".csv").string();
  std::ofstream(path) << text;
  return path;
}

/// Three Gaussian blobs in 3 features with text labels (the classes are separable).
std::string blobs_csv(int rows) {
  std::ostringstream csv;
  csv << "a,b,c,kind\n";
  const char* names[] = {"round", "long", "flat"};
  const double centers[3][3] = {{2, 0, 0}, {-2, 2, 0}, {0, -2, 2}};
  Generator g(11);
  const std::vector<float> noise = randn({rows, 3}, {}, &g).to_vector<float>();
  for (int i = 0; i < rows; ++i) {
    const int k = i % 3;
    for (int j = 0; j < 3; ++j) csv << centers[k][j] + 0.5 * noise[static_cast<std::size_t>(3 * i + j)] << ",";
    csv << names[k] << "\n";
  }
  return write_csv(csv.str());
}

TrainJobResult train(const TrainJobOptions& options) {
  std::ostringstream out;
  TrainJobResult r = run_train_job(options, out);
  EXPECT_NE(out.str().find("Task: "), std::string::npos) << out.str();
  return r;
}

// 300 rows of three blobs, 8 epochs: >= 95% accuracy on the held-out 20%.
TEST(UserDataJob, ACsvWithTextLabelsTrainsAClassifier) {
  const TrainJobResult r = train({.epochs = 8, .batch_size = 32, .device = "cpu", .data = blobs_csv(300),
                                  .normalize = true, .hidden = {32}, .verbose = Verbosity::kSilent});
  ASSERT_TRUE(r.user_model);
  const UserModelSpec& spec = r.user_model->spec();
  EXPECT_EQ(spec.task, Task::kClassification);
  EXPECT_EQ(spec.label_names, (std::vector<std::string>{"flat", "long", "round"}));
  EXPECT_EQ(spec.feature_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(spec.target_name, "kind");
  EXPECT_TRUE(spec.mean.defined());
  EXPECT_GE(*find(r.validation, "accuracy"), 0.95);
  // Raw (unstandardised) features at the blobs' centres get their labels.
  EXPECT_EQ(r.user_model->predict_labels(tensor({{2.0, 0.0, 0.0}, {0.0, -2.0, 2.0}}).to(kFloat32)),
            (std::vector<std::string>{"round", "flat"}));
}

// y = 3a - 0.5b + 100 on 400 rows: the validation MAE is below 0.5 (the targets span about 10).
TEST(UserDataJob, AFloatingTargetTrainsARegression) {
  std::ostringstream csv;
  csv << "a,b,price\n";
  Generator g(5);
  const std::vector<float> u = rand({400, 2}, {}, &g).to_vector<float>();
  for (int i = 0; i < 400; ++i) {
    const double a = 2 * u[static_cast<std::size_t>(2 * i)] - 1, b = 10 * u[static_cast<std::size_t>(2 * i + 1)];
    csv << a << "," << b << "," << 3 * a - 0.5 * b + 100.25 << "\n";
  }
  const TrainJobResult r = train({.epochs = 30, .batch_size = 32, .lr = 0.01, .device = "cpu",
                                  .data = write_csv(csv.str()), .normalize = true, .hidden = {32},
                                  .verbose = Verbosity::kSilent});
  EXPECT_EQ(r.user_model->spec().task, Task::kRegression);
  EXPECT_EQ(r.user_model->spec().outputs, 1);
  EXPECT_LT(*find(r.validation, "mae"), 0.5);
}

TEST(UserDataJob, TheTaskFollowsTheTargetsUnlessToldOtherwise) {
  auto task_of = [](const std::string& csv, const std::string& task) {
    UserModelSpec spec;
    infer_task(data::load_labeled_data({.path = write_csv(csv)}), task, spec);
    return spec;
  };
  const UserModelSpec integers = task_of("x,y\n1,3\n2,-1\n3,3\n", "auto");
  EXPECT_EQ(integers.task, Task::kClassification);
  EXPECT_EQ(integers.label_names, (std::vector<std::string>{"-1", "3"}));  // by value
  EXPECT_EQ(task_of("x,y\n1,3\n2,-1\n", "regression").task, Task::kRegression);
  EXPECT_EQ(task_of("x,y\n1,0.5\n2,1\n", "auto").task, Task::kRegression);
  IGNIS_EXPECT_THROW_MSG(task_of("x,y\n1,0.5\n2,1\n", "classification"), ValueError, "fractional values",
                         "--task regression");
  IGNIS_EXPECT_THROW_MSG(task_of("x,y\n1,cat\n2,dog\n", "regression"), ValueError, "text labels");
  IGNIS_EXPECT_THROW_MSG(task_of("x,y\n1,cat\n2,cat\n", "auto"), ValueError, "a single label (\"cat\")");
  IGNIS_EXPECT_THROW_MSG(task_of("x,y\n1,cat\n2,dog\n", "guess"), ValueError, "--task is \"guess\"");

  const UserModelSpec known = task_of("x,y\n1,cat\n2,dog\n", "auto");
  IGNIS_EXPECT_THROW_MSG(encode_targets(data::load_labeled_data({.path = write_csv("x,y\n1,cow\n")}), known),
                         ValueError, "\"cow\", which the model does not know (its labels: cat, dog)");
}

TEST(UserDataJob, BadOptionsAreNamed) {
  const std::string two_rows = write_csv("x,y\n1,a\n2,b\n");
  IGNIS_EXPECT_THROW_MSG(train({.model = "cnn", .device = "cpu", .data = two_rows}), ValueError,
                         "--model cnn is for Fashion-MNIST");
  IGNIS_EXPECT_THROW_MSG(train({.device = "cpu", .data = two_rows, .validation_split = 0.9}), ValueError,
                         "leave none to train on");
  IGNIS_EXPECT_THROW_MSG(train({.device = "cpu", .data = two_rows, .hidden = {0}}), ValueError, "--hidden");
  IGNIS_EXPECT_THROW_MSG(train({.device = "cpu", .data = "/nonexistent.csv"}), FormatError, "does not exist",
                         "dataset-fashion-mnist");
}

}  // namespace
}  // namespace ignis::train

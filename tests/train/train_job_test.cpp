// The main job on real data: a Fashion-MNIST subset trains to a stated accuracy, and the device
// decision explains itself.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/reference.hpp"

namespace ignis::train {
namespace {

bool have_fashion_mnist() {
  return std::filesystem::exists(std::string(data::kFashionMnistDefaultDir) + "/train-images-idx3-ubyte.gz");
}

TEST(FashionMnist, LoadsTheDebianPackage) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  const data::FashionMnist d = data::load_fashion_mnist();
  EXPECT_EQ(d.train_images.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(d.test_labels.shape(), (Shape{10000}));
  EXPECT_NEAR(d.train_images.mean().item<double>(), 0.0, 0.01);  // standardised
  EXPECT_EQ(d.train_labels.max().item<int>(), 9);
  IGNIS_EXPECT_THROW_MSG(data::load_fashion_mnist("/nonexistent"), FormatError, "train-images-idx3-ubyte",
                         "dataset-fashion-mnist");
}

// 12,000 training images, 2 epochs of the default MLP: ≥ 80% on 2,000 test images.
TEST(FashionMnist, MlpOnASubsetReachesEightyPercent) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  const data::FashionMnist d = data::load_fashion_mnist();
  keras::clear_session();
  manual_seed(0);
  keras::Sequential model({keras::Input({28, 28}), keras::Flatten(), keras::Dense(128, "relu"), keras::Dense(10)});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(d.train_images.narrow(0, 0, 12000), d.train_labels.narrow(0, 0, 12000),
            {.epochs = 2, .verbose = Verbosity::kSilent});
  const Logs test = model.evaluate(d.test_images.narrow(0, 0, 2000), d.test_labels.narrow(0, 0, 2000));
  EXPECT_GE(*find(test, "accuracy"), 0.80);
}

TEST(TrainJob, DeviceChoiceGivesItsReason) {
  const DeviceChoice automatic = choose_device("auto");
  if (diag::cuda_backend_status().available) {
    EXPECT_TRUE(automatic.device.is_cuda());
  } else {
    EXPECT_TRUE(automatic.device.is_cpu());
    EXPECT_NE(automatic.reason.find("CUDA not available"), std::string::npos);
    EXPECT_NE(automatic.reason.find("ignis doctor"), std::string::npos);
    IGNIS_EXPECT_THROW_MSG(choose_device("cuda"), BackendUnavailableError, "--device cpu");
  }
  EXPECT_TRUE(choose_device("cpu").device.is_cpu());
}

}  // namespace
}  // namespace ignis::train

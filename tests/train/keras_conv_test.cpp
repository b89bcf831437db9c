// Keras's convolutional layers: output shapes and parameter counts (as Keras reports them), both
// data formats, batch normalisation's momentum convention, and a small CNN that learns to tell
// horizontal from vertical bars.
#include <gtest/gtest.h>

#include <random>

#include "support/reference.hpp"

namespace ignis::keras {
namespace {

/// n 8x8 images (channels_last: (n, 8, 8, 1)) holding one bright bar with noise; label 0 for a
/// horizontal bar, 1 for a vertical one.
std::pair<Tensor, Tensor> bars(std::int64_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pos(0, 7), label(0, 1);
  std::normal_distribution<float> noise(0.0f, 0.2f);
  std::vector<float> images(static_cast<std::size_t>(n * 64));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const int l = label(rng), p = pos(rng);
    labels[static_cast<std::size_t>(i)] = l;
    for (int r = 0; r < 8; ++r) {
      for (int c = 0; c < 8; ++c) {
        const bool on = l == 0 ? r == p : c == p;
        images[static_cast<std::size_t>(i * 64 + r * 8 + c)] = (on ? 1.0f : 0.0f) + noise(rng);
      }
    }
  }
  return {from_vector(images, {n, 8, 8, 1}), from_vector(labels, {n})};
}

TEST(KerasConv, ShapesAndParameterCountsFollowKeras) {
  clear_session();
  Sequential model({Input({28, 28, 1}), Conv2D(8, 3, {.activation = "relu"}), MaxPooling2D(),
                    Conv2D(16, {3, 3}, {.padding = "same"}), BatchNormalization(), AveragePooling2D({2, 2}),
                    GlobalAveragePooling2D(), Dense(10)});
  const std::string s = model.summary();
  // Keras: conv2d (None, 26, 26, 8) 80; max_pooling2d (None, 13, 13, 8); conv2d_1 (None, 13, 13, 16)
  // 1168; batch_normalization 64 (32 trainable + 32 moving statistics); average_pooling2d
  // (None, 6, 6, 16); global_average_pooling2d (None, 16); dense (None, 10) 170.
  for (const char* fragment : {"(None, 26, 26, 8)", "(None, 13, 13, 8)", "(None, 13, 13, 16)", "(None, 6, 6, 16)",
                               "(None, 16)", "(None, 10)", "conv2d_1", "batch_normalization", "1168"}) {
    EXPECT_NE(s.find(fragment), std::string::npos) << fragment << " not in\n" << s;
  }
  EXPECT_EQ(model(zeros({2, 28, 28, 1})).shape(), (Shape{2, 10}));
}

TEST(KerasConv, ChannelsFirstNeedsNoTransposesAndAgreesWithChannelsLast) {
  clear_session();
  manual_seed(4);
  Sequential last({Input({6, 5, 3}), Conv2D(4, 3, {.padding = "same"})});
  manual_seed(4);
  Sequential first({Input({3, 6, 5}), Conv2D(4, 3, {.padding = "same", .data_format = "channels_first"})});
  const Tensor x = randn({2, 6, 5, 3});
  const Tensor y_last = last(x);
  const Tensor y_first = first(x.permute({0, 3, 1, 2}).contiguous()).permute({0, 2, 3, 1});
  EXPECT_EQ(y_last.shape(), (Shape{2, 6, 5, 4}));
  EXPECT_TRUE(testing::all_close(y_last, y_first.shape(), testing::values_of(y_first), 1e-5, 1e-6));
}

TEST(KerasConv, BatchNormalizationUsesKerasMomentum) {
  clear_session();
  Sequential model({Input({2}), BatchNormalization(-1, /*momentum=*/0.9)});
  model.compile({.optimizer = "sgd", .loss = "mse", .learning_rate = 0.0});
  const Tensor x = tensor({{1.0f, 10.0f}, {3.0f, 30.0f}});
  model.fit(x, zeros({2, 2}), {.epochs = 1, .batch_size = 2, .verbose = train::Verbosity::kSilent});
  // moving_mean = 0.9 * 0 + 0.1 * batch mean.
  const nn::StateDict sd = model.module().state_dict();
  EXPECT_EQ(sd[2].first, "0.running_mean");
  EXPECT_TRUE(testing::all_close(sd[2].second, {2}, {0.2, 2.0}, 1e-6, 1e-6));
}

TEST(KerasConv, BadLayerArgumentsAreTypedErrors) {
  IGNIS_EXPECT_THROW_MSG(Conv2D(4, 3, {.padding = "causal"}), ValueError, "[Conv2D]", "\"valid\" or \"same\"");
  IGNIS_EXPECT_THROW_MSG(Conv2D(4, 3, {.strides = {2, 2}, .padding = "same"}), ValueError, "strides (1, 1) only");
  IGNIS_EXPECT_THROW_MSG(MaxPooling2D({2, 2}, {.data_format = "nhwc"}), ValueError, "data_format");
  IGNIS_EXPECT_THROW_MSG(Sequential({Input({28, 28}), Conv2D(4, 3)}), ShapeError, "needs image inputs", "Reshape");
}

TEST(KerasConv, ASmallCnnLearnsBarOrientation) {
  clear_session();
  manual_seed(0);
  const auto [x, y] = bars(256, 1);
  const auto [x_test, y_test] = bars(256, 2);
  Sequential model({Input({8, 8, 1}), Conv2D(8, 3, {.padding = "same", .activation = "relu"}), MaxPooling2D(),
                    Conv2D(8, 3, {.activation = "relu"}), GlobalAveragePooling2D(), Dense(2)});
  model.compile({.optimizer = "adam",
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"},
                 .learning_rate = 0.01});
  model.fit(x, y, {.epochs = 12, .batch_size = 32, .verbose = train::Verbosity::kSilent});
  EXPECT_GT(*train::find(model.evaluate(x_test, y_test), "accuracy"), 0.95);
}

}  // namespace
}  // namespace ignis::keras

// Keras's convolutional layers: output shapes and parameter counts (as Keras reports them), both
// data formats, batch normalisation's momentum convention, and a small CNN that learns to tell
// horizontal from vertical bars.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <tuple>

#include "support/conv_reference.hpp"
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

/// TensorFlow's 'same' padding of one dimension: (before, after).
std::pair<std::int64_t, std::int64_t> tf_same_padding(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d) {
  const std::int64_t out = (in + s - 1) / s;  // ceil(in / s)
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
  return {total / 2, total - total / 2};
}

// Keras (TensorFlow) allows padding="same" with strides: ceil(in / stride) outputs, the padding
// from TF's formula with the smaller half before. Shapes as TF's formula says, values against the
// double-precision reference with that padding (channels_last and channels_first).
TEST(KerasConv, SamePaddingWithStridesFollowsTensorFlow) {
  struct Case {
    Shape image;  // (H, W, C)
    std::int64_t filters;
    std::array<std::int64_t, 2> kernel, strides, dilation;
  };
  const Case cases[] = {
      {{7, 8, 1}, 4, {3, 3}, {2, 2}, {1, 1}},   // H: (1, 1), W: (0, 1)
      {{10, 5, 2}, 2, {4, 4}, {3, 2}, {1, 1}},  // H: (1, 2), W: (1, 2)
      {{6, 9, 3}, 3, {2, 5}, {2, 3}, {1, 1}},   // H: (0, 0), W: (1, 2)
      {{9, 9, 2}, 2, {3, 3}, {1, 1}, {2, 1}},   // stride 1: PyTorch's 'same' too
      {{4, 4, 1}, 1, {1, 1}, {3, 3}, {1, 1}},   // nothing to pad: (0, 0)
  };
  for (const Case& c : cases) {
    for (const char* format : {"channels_last", "channels_first"}) {
      SCOPED_TRACE(::testing::Message() << "image (" << c.image[0] << ", " << c.image[1] << ", " << c.image[2]
                                        << "), kernel " << c.kernel[0] << "x" << c.kernel[1] << ", strides "
                                        << c.strides[0] << "x" << c.strides[1] << ", " << format);
      const bool last = std::string(format) == "channels_last";
      clear_session();
      manual_seed(11);
      const Shape input = last ? c.image : Shape{c.image[2], c.image[0], c.image[1]};
      Sequential model({Input(input), Conv2D(c.filters, c.kernel,
                                             {.strides = c.strides, .padding = "same", .dilation_rate = c.dilation,
                                              .data_format = format})});
      const std::int64_t oh = (c.image[0] + c.strides[0] - 1) / c.strides[0];
      const std::int64_t ow = (c.image[1] + c.strides[1] - 1) / c.strides[1];
      const Tensor x_nhwc = testing::random_tensor({2, c.image[0], c.image[1], c.image[2]}, kFloat32,
                                                   testing::Layout::kContiguous, -1, 1, 12);
      const Tensor x_nchw = x_nhwc.permute({0, 3, 1, 2}).contiguous();
      const Tensor y = model(last ? x_nhwc : x_nchw);
      const Tensor y_nchw = last ? y.permute({0, 3, 1, 2}) : y;
      EXPECT_EQ(y_nchw.shape(), (Shape{2, c.filters, oh, ow}));

      Tensor w, b;
      for (const auto& [key, value] : model.module().state_dict()) {
        if (key.ends_with("weight")) w = value;
        if (key.ends_with("bias")) b = value;
      }
      ASSERT_TRUE(w.defined() && b.defined());
      testing::ConvRefParams p;
      for (int d = 0; d < 2; ++d) {
        p.stride[d] = c.strides[static_cast<std::size_t>(d)];
        p.dilation[d] = c.dilation[static_cast<std::size_t>(d)];
        std::tie(p.pad_begin[d], p.pad_end[d]) =
            tf_same_padding(c.image[static_cast<std::size_t>(d)], c.kernel[static_cast<std::size_t>(d)], p.stride[d],
                            p.dilation[d]);
      }
      const testing::RefResult ref =
          testing::conv2d_reference(x_nchw.shape(), testing::values_of(x_nchw), w.shape(), testing::values_of(w),
                                    testing::values_of(b), p);
      EXPECT_TRUE(testing::all_close(y_nchw, ref.shape, ref.values, 1e-4, 1e-5));
    }
  }
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

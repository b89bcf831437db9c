// conv2d (oneDNN for float32, direct loops for float64) and its two gradient passes, against the
// double-precision reference of tests/support over odd shapes, strides, paddings ('same' with an
// even kernel included), dilations and groups; argument errors; CPU-vs-device agreement.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/conv_reference.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dOptions options;
  bool bias = true;
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

/// The reference's explicit padding for the options (kSame: the extra one at the end).
ConvRefParams ref_params(const ConvCase& c) {
  ConvRefParams p;
  p.groups = c.options.groups;
  for (int d = 0; d < 2; ++d) {
    p.stride[d] = c.options.stride[d];
    p.dilation[d] = c.options.dilation[d];
    if (c.options.padding_mode == Padding::kExplicit) {
      p.pad_begin[d] = p.pad_end[d] = c.options.padding[d];
    } else if (c.options.padding_mode == Padding::kSame) {
      const std::int64_t total = c.options.dilation[d] * (c.w[2 + d] - 1);
      p.pad_begin[d] = total / 2;
      p.pad_end[d] = total - total / 2;
    } else if (c.options.padding_mode == Padding::kKerasSame) {
      // TensorFlow: total = max((ceil(in / s) - 1) * s + (k - 1) * d + 1 - in, 0), smaller half first.
      const std::int64_t in = c.x[2 + d], s = c.options.stride[d];
      const std::int64_t out = (in + s - 1) / s;
      const std::int64_t total = std::max<std::int64_t>((out - 1) * s + (c.w[2 + d] - 1) * p.dilation[d] + 1 - in, 0);
      p.pad_begin[d] = total / 2;
      p.pad_end[d] = total - total / 2;
    }
  }
  return p;
}

const ConvCase kConvCases[] = {
    {"plain_3x3", {2, 3, 7, 9}, {4, 3, 3, 3}, {}},
    {"first_layer_1_channel", {3, 1, 28, 28}, {8, 1, 3, 3}, {}},
    {"stride_2_padding_1", {2, 3, 11, 8}, {5, 3, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}}},
    {"uneven_stride_padding", {1, 2, 9, 13}, {3, 2, 3, 5}, {.stride = {3, 2}, .padding = {2, 1}}},
    {"dilation_2", {2, 2, 10, 11}, {3, 2, 3, 3}, {.padding = {1, 2}, .dilation = {2, 2}}},
    {"groups_2", {2, 4, 7, 7}, {6, 2, 3, 3}, {.padding = {1, 1}, .groups = 2}},
    {"depthwise", {2, 3, 6, 5}, {3, 1, 3, 3}, {.stride = {2, 1}, .padding = {1, 1}, .groups = 3}},
    {"same_even_kernel", {2, 3, 7, 6}, {2, 3, 4, 2}, {.padding_mode = Padding::kSame}},
    {"same_dilated", {1, 2, 9, 9}, {2, 2, 3, 3}, {.dilation = {2, 3}, .padding_mode = Padding::kSame}},
    {"valid_1x1_no_bias", {3, 5, 4, 3}, {7, 5, 1, 1}, {.padding_mode = Padding::kValid}, false},
    {"kernel_equals_input", {2, 3, 5, 4}, {2, 3, 5, 4}, {}},
    {"batch_1_odd", {1, 7, 13, 1}, {3, 7, 3, 1}, {.stride = {2, 1}, .padding = {1, 0}}},
    // Keras/TensorFlow 'same' with strides: pads (0, 1) x (1, 1) here, (1, 2) x (0, 1) below.
    {"keras_same_stride_2", {2, 3, 8, 9}, {4, 3, 3, 3}, {.stride = {2, 2}, .padding_mode = Padding::kKerasSame}},
    {"keras_same_even_kernel_stride_3_2", {1, 2, 10, 7}, {3, 2, 4, 2},
     {.stride = {3, 2}, .padding_mode = Padding::kKerasSame}},
    {"keras_same_dilated_groups", {2, 4, 7, 6}, {4, 2, 3, 2},
     {.stride = {2, 3}, .dilation = {2, 1}, .groups = 2, .padding_mode = Padding::kKerasSame}, false},
};

class ConvReference : public ::testing::TestWithParam<std::tuple<ConvCase, DType>> {};

TEST_P(ConvReference, ForwardAndBothGradientsMatchTheReference) {
  const auto& [c, dtype] = GetParam();
  const Tolerance tol = dtype == kFloat32 ? Tolerance{1e-4, 1e-4} : Tolerance{1e-10, 1e-10};
  const Tensor x = random_tensor(c.x, dtype, Layout::kStrided, -1, 1, 1);  // a non-contiguous input
  const Tensor w = random_tensor(c.w, dtype, Layout::kContiguous, -1, 1, 2);
  const Tensor b = random_tensor({c.w[0]}, dtype, Layout::kContiguous, -1, 1, 3);
  const ConvRefParams p = ref_params(c);
  const RefResult ref = conv2d_reference(c.x, values_of(x), c.w, values_of(w), c.bias ? values_of(b) : std::vector<double>{}, p);

  const Tensor y = c.bias ? ops::conv2d(x, w, b, c.options) : ops::conv2d(x, w, std::nullopt, c.options);
  EXPECT_EQ(y.dtype(), dtype);
  EXPECT_TRUE(all_close(y, ref.shape, ref.values, tol.rtol, tol.atol));

  const Tensor g = random_tensor(ref.shape, dtype, Layout::kTransposed, -1, 1, 4);
  const std::vector<double> gv = values_of(g);
  EXPECT_TRUE(all_close(ops::conv2d_backward_input(g, w, c.x, c.options), c.x,
                        conv2d_grad_input_reference(c.x, c.w, values_of(w), ref.shape, gv, p), tol.rtol, tol.atol));
  EXPECT_TRUE(all_close(ops::conv2d_backward_weight(g, x, c.w, c.options), c.w,
                        conv2d_grad_weight_reference(c.x, values_of(x), c.w, ref.shape, gv, p), tol.rtol, tol.atol));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvReference,
                         ::testing::Combine(::testing::ValuesIn(kConvCases), ::testing::Values(kFloat32, kFloat64)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) == kFloat32 ? "_f32" : "_f64");
                         });

TEST(Conv2d, KnownValuesOfA2x2KernelWithBias) {
  const Tensor x = arange(9, {.dtype = kFloat64}).reshape({1, 1, 3, 3});  // 0..8
  const Tensor w = tensor({1.0, 0.0, 0.0, -1.0}, {.dtype = kFloat64}).reshape({1, 1, 2, 2});
  const Tensor y = ops::conv2d(x, w, tensor({0.5}, {.dtype = kFloat64}));
  // x[i][j] - x[i+1][j+1] = -4 everywhere, plus the bias.
  EXPECT_TRUE(all_close(y, {1, 1, 2, 2}, {-3.5, -3.5, -3.5, -3.5}, 0, 0));
}

TEST(Conv2d, AnUnbatchedInputGivesAnUnbatchedOutput) {
  const Tensor x = random_tensor({2, 5, 5}, kFloat32, Layout::kContiguous, -1, 1, 5);
  const Tensor w = random_tensor({3, 2, 3, 3}, kFloat32, Layout::kContiguous, -1, 1, 6);
  const Tensor y = ops::conv2d(x, w);
  EXPECT_EQ(y.shape(), (Shape{3, 3, 3}));
  EXPECT_TRUE(all_close(y, {3, 3, 3}, values_of(ops::conv2d(x.unsqueeze(0), w)), 0, 0));
}

TEST(Conv2d, RepeatedShapesReuseTheCachedPrimitiveAndStayCorrect) {
  const Tensor w = random_tensor({4, 3, 3, 3}, kFloat32, Layout::kContiguous, -1, 1, 7);
  for (int seed = 0; seed < 3; ++seed) {
    const Tensor x = random_tensor({2, 3, 6, 6}, kFloat32, Layout::kContiguous, -1, 1, 10 + seed);
    const RefResult ref = conv2d_reference(x.shape(), values_of(x), w.shape(), values_of(w), {}, {});
    EXPECT_TRUE(all_close(ops::conv2d(x, w), ref.shape, ref.values, 1e-4, 1e-4)) << seed;
  }
}

TEST(Conv2d, BadArgumentsAreTypedErrorsThatNameTheProblem) {
  const Tensor x = zeros({1, 3, 5, 5});
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(zeros({3, 5}), zeros({2, 3, 3, 3})), ShapeError, "[conv2d]", "3-D", "4-D");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 4, 3, 3})), ShapeError, "3 channels", "expects 4");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 3, 3})), ShapeError, "weight must be 4-D");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({3, 1, 3, 3}), std::nullopt, {.groups = 2}), ShapeError, "groups=2");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 3, 7, 7})), ShapeError, "spans more than the padded input");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 3, 3, 3}), zeros({3})), ShapeError, "bias must have shape (2)");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 3, 3, 3}), std::nullopt, {.stride = {0, 1}}), ValueError,
                         "stride and dilation must be positive");
  IGNIS_EXPECT_THROW_MSG(
      ops::conv2d(x, zeros({2, 3, 3, 3}), std::nullopt, {.stride = {2, 2}, .padding_mode = Padding::kSame}),
      ValueError, "padding='same' needs stride 1");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(x, zeros({2, 3, 3, 3}, {.dtype = kFloat64})), DTypeError, "float32",
                         "float64");
  IGNIS_EXPECT_THROW_MSG(ops::conv2d(zeros({1, 3, 5, 5}, {.dtype = DType::kInt64}), zeros({2, 3, 3, 3})),
                         DTypeError, "float32 or float64");
}

class ConvDevice : public DeviceTest {};

/// conv2d and both gradients on `device` against the CPU, in float32 and float64. Returns the
/// reason when the device cannot run it (op_skip_reason: a failure under IGNIS_REQUIRE_CUDA=1).
std::string expect_agreement_with_cpu(Device device, const Shape& x_shape, const Shape& w_shape,
                                      const Conv2dOptions& options) {
  for (const DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = random_tensor(x_shape, dtype, Layout::kContiguous, -1, 1, 20);
    const Tensor w = random_tensor(w_shape, dtype, Layout::kContiguous, -1, 1, 21);
    const Tensor b = random_tensor({w_shape[0]}, dtype, Layout::kContiguous, -1, 1, 22);
    const Tensor y_cpu = ops::conv2d(x, w, b, options);
    const Tensor g = random_tensor(y_cpu.shape(), dtype, Layout::kContiguous, -1, 1, 23);
    const Tensor gx_cpu = ops::conv2d_backward_input(g, w, x.shape(), options);
    const Tensor gw_cpu = ops::conv2d_backward_weight(g, x, w.shape(), options);
    Tensor y_dev, gx_dev, gw_dev;
    try {
      y_dev = ops::conv2d(x.to(device), w.to(device), b.to(device), options);
      gx_dev = ops::conv2d_backward_input(g.to(device), w.to(device), x.shape(), options);
      gw_dev = ops::conv2d_backward_weight(g.to(device), x.to(device), w.shape(), options);
    } catch (const BackendUnavailableError& e) {
      return op_skip_reason(device, e.what());
    }
    const double tol = dtype == kFloat32 ? 1e-3 : 1e-10;
    EXPECT_TRUE(all_close(y_dev, y_cpu.shape(), values_of(y_cpu), tol, tol)) << dtype;
    EXPECT_TRUE(all_close(gx_dev, gx_cpu.shape(), values_of(gx_cpu), tol, tol)) << dtype;
    EXPECT_TRUE(all_close(gw_dev, gw_cpu.shape(), values_of(gw_cpu), tol, tol)) << dtype;
  }
  return "";
}

// On CUDA a BackendUnavailableError (no usable cuDNN) skips the case visibly with its message,
// and fails it under IGNIS_REQUIRE_CUDA=1 (scripts/gpu-check), as does the CPU ever throwing it.
TEST_P(ConvDevice, ConvolutionAndItsGradientsAgreeWithTheCpu) {
  const std::string why = expect_agreement_with_cpu(
      device(), {2, 4, 9, 8}, {6, 2, 3, 3}, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}, .groups = 2});
  if (!why.empty()) GTEST_SKIP() << why;
}

// Padding that differs at the two ends (cuDNN pads both equally; the CUDA backend pads the rest
// explicitly): 'same' with even kernels, an even dilated total, and Keras 'same' with strides.
TEST_P(ConvDevice, AsymmetricPaddingAgreesWithTheCpu) {
  struct Case {
    Shape x, w;
    Conv2dOptions options;
  };
  const Case cases[] = {
      {{2, 3, 7, 6}, {4, 3, 4, 2}, {.padding_mode = Padding::kSame}},                          // (1, 2) x (0, 1)
      {{1, 2, 9, 8}, {3, 2, 2, 4}, {.dilation = {3, 1}, .padding_mode = Padding::kSame}},      // (1, 2) x (1, 2)
      {{2, 4, 8, 9}, {6, 2, 2, 2}, {.groups = 2, .padding_mode = Padding::kSame}},             // (0, 1) x (0, 1)
      {{2, 3, 8, 9}, {4, 3, 3, 3}, {.stride = {2, 2}, .padding_mode = Padding::kKerasSame}},  // (0, 1) x (1, 1)
      {{1, 2, 10, 7}, {3, 2, 4, 2}, {.stride = {3, 2}, .padding_mode = Padding::kKerasSame}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "x " << c.x << ", w " << c.w);
    const std::string why = expect_agreement_with_cpu(device(), c.x, c.w, c.options);
    if (!why.empty()) GTEST_SKIP() << why;
  }
}

TEST_P(ConvDevice, PoolingAgreesWithTheCpu) {
  const Tensor x = random_tensor({2, 4, 9, 8}, kFloat32, Layout::kContiguous, -1, 1, 24);
  const Pool2dOptions pool{.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}};
  const Tensor m_cpu = ops::max_pool2d_with_indices(x, pool).first;
  const Tensor a_cpu = ops::avg_pool2d(x, pool);
  Tensor m_dev, a_dev;
  try {
    m_dev = ops::max_pool2d_with_indices(x.to(device()), pool).first;
    a_dev = ops::avg_pool2d(x.to(device()), pool);
  } catch (const BackendUnavailableError& e) {
    GTEST_SKIP() << op_skip_reason(device(), e.what());
  }
  EXPECT_TRUE(all_close(m_dev, m_cpu.shape(), values_of(m_cpu), 0, 0));
  EXPECT_TRUE(all_close(a_dev, a_cpu.shape(), values_of(a_cpu), 1e-5, 1e-6));
}

// Empty problems are answered by the ops layer before dispatch (backends never see them): an
// input with no elements reads only padding zeros (the output is the bias), a gradient with
// nothing to reach is zero.
TEST_P(ConvDevice, EmptyProblemsGiveTheBiasOrZeros) {
  const Tensor b = tensor({0.5, -1.5, 2.0}).to(device());
  auto bias_everywhere = [](const Shape& s) {
    std::vector<double> v;
    for (std::int64_t n = 0; n < s[0]; ++n)
      for (const double bias : {0.5, -1.5, 2.0}) v.insert(v.end(), static_cast<std::size_t>(s[2] * s[3]), bias);
    return v;
  };
  Tensor y;
  try {
    // No input channels: every output is its channel's bias.
    y = ops::conv2d(zeros({2, 0, 5, 5}, {.device = device()}), zeros({3, 0, 3, 3}, {.device = device()}), b,
                    {.padding = {1, 1}});
  } catch (const BackendUnavailableError& e) {
    GTEST_SKIP() << op_skip_reason(device(), e.what());
  }
  EXPECT_TRUE(all_close(y, {2, 3, 5, 5}, bias_everywhere({2, 3, 5, 5}), 0, 0));
  // ... and zero without a bias.
  EXPECT_TRUE(all_close(ops::conv2d(zeros({1, 0, 4, 3}, {.device = device()}), ones({3, 0, 1, 1}, {.device = device()})),
                        {1, 3, 4, 3}, std::vector<double>(36, 0.0), 0, 0));
  // An image with no rows, padded to two: the output sees only padding.
  const Tensor x_no_rows = zeros({1, 2, 0, 4}, {.device = device()});
  const Tensor w = ones({3, 2, 1, 1}, {.device = device()});
  EXPECT_TRUE(all_close(ops::conv2d(x_no_rows, w, b, {.padding = {1, 0}}), {1, 3, 2, 4}, bias_everywhere({1, 3, 2, 4}),
                        0, 0));
  // Its weight gradient is zero: no input value meets a weight.
  const Tensor g = ones({1, 3, 2, 4}, {.device = device()});
  EXPECT_TRUE(all_close(ops::conv2d_backward_weight(g, x_no_rows, w.shape(), {.padding = {1, 0}}), {3, 2, 1, 1},
                        std::vector<double>(6, 0.0), 0, 0));
  // An empty batch: an empty output, zero weight gradient, an empty input gradient.
  const Tensor x_no_batch = zeros({0, 2, 5, 5}, {.device = device()});
  const Tensor w3 = ones({3, 2, 3, 3}, {.device = device()});
  EXPECT_EQ(ops::conv2d(x_no_batch, w3, b).shape(), (Shape{0, 3, 3, 3}));
  const Tensor g_no_batch = zeros({0, 3, 3, 3}, {.device = device()});
  EXPECT_TRUE(all_close(ops::conv2d_backward_weight(g_no_batch, x_no_batch, w3.shape(), {}), w3.shape(),
                        std::vector<double>(54, 0.0), 0, 0));
  EXPECT_EQ(ops::conv2d_backward_input(g_no_batch, w3, x_no_batch.shape(), {}).shape(), x_no_batch.shape());
  // No output channels: nothing reaches x, so its gradient is zero.
  const Tensor w_no_out = zeros({0, 2, 3, 3}, {.device = device()});
  EXPECT_TRUE(all_close(ops::conv2d_backward_input(zeros({1, 0, 3, 3}, {.device = device()}), w_no_out, {1, 2, 5, 5}, {}),
                        {1, 2, 5, 5}, std::vector<double>(50, 0.0), 0, 0));
}

INSTANTIATE_TEST_SUITE_P(Devices, ConvDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

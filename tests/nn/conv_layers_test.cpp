// Conv2d, the pooling layers, BatchNorm1d/2d and Dropout2d: gradcheck of every layer with
// respect to its input and parameters, PyTorch's state_dict names and printing, batch norm's
// train/eval behaviour and running statistics, dropout2d's whole-channel masks.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::nn {
namespace {

using testing::all_close;
using testing::values_of;

std::vector<std::string> keys(const StateDict& d) {
  std::vector<std::string> k;
  for (const auto& [name, t] : d) k.push_back(name);
  return k;
}

TEST(ConvLayers, StateDictNamesAndShapesMatchPyTorch) {
  Sequential model(Conv2d(1, 4, 3), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 13 * 13, 10),
                   BatchNorm1d(10));
  // torch.nn.Sequential(Conv2d(1,4,3), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(),
  //                     Linear(676,10), BatchNorm1d(10)).state_dict().keys()
  EXPECT_EQ(keys(model.state_dict()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                      "1.num_batches_tracked", "5.weight", "5.bias", "6.weight", "6.bias",
                                      "6.running_mean", "6.running_var", "6.num_batches_tracked"}));
  const StateDict sd = model.state_dict();
  EXPECT_EQ(sd[0].second.shape(), (Shape{4, 1, 3, 3}));
  EXPECT_EQ(sd[6].second.dtype(), DType::kInt64);
  EXPECT_EQ(sd[6].second.dim(), 0);
  EXPECT_EQ(model.named_parameters().size(), 8u);  // buffers are not parameters
  EXPECT_EQ(model(randn({2, 1, 28, 28})).shape(), (Shape{2, 10}));
}

TEST(ConvLayers, PrintLikePyTorch) {
  EXPECT_EQ(Conv2d(1, 32, 3).repr(), "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))");
  EXPECT_EQ(Conv2d(4, 8, {3, 5}, {.stride = {2, 1}, .padding = {1, 2}, .groups = 2, .bias = false}).repr(),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), groups=2, bias=False)");
  EXPECT_EQ(MaxPool2d(2).repr(), "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)");
  EXPECT_EQ(BatchNorm2d(16).repr(), "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(AdaptiveAvgPool2d(1).repr(), "AdaptiveAvgPool2d(output_size=(1, 1))");
}

TEST(ConvLayers, Conv2dInitialisesLikePyTorchAndChecksItsInput) {
  Conv2d conv(6, 4, 3, {.groups = 2});
  const double bound = 1.0 / std::sqrt(3.0 * 3 * 3);  // fan_in = 6 / 2 * 3 * 3
  EXPECT_LE(conv.weight.abs().max().item<float>(), bound);
  EXPECT_GT(conv.weight.abs().max().item<float>(), 0.8 * bound);
  EXPECT_LE(conv.bias.abs().max().item<float>(), bound);
  IGNIS_EXPECT_THROW_MSG(conv(zeros({1, 5, 8, 8})), ShapeError, "(N, 6, H, W)", "(1, 5, 8, 8)");
  IGNIS_EXPECT_THROW_MSG(Conv2d(5, 4, 3, {.groups = 2}), ValueError, "divisible by groups=2");
}

TEST(ConvLayers, ModulesComputeTheirFunctionalForms) {
  const Tensor x = randn({2, 3, 9, 8}, {.dtype = kFloat64});
  Conv2d conv(3, 4, {3, 2}, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}});
  conv.to(kFloat64);
  const Tensor ref = ops::conv2d(x, conv.weight, conv.bias, {.stride = {2, 1}, .padding = {1, 1}, .dilation = {1, 2}});
  EXPECT_TRUE(all_close(conv(x), ref.shape(), values_of(ref), 0, 0));
  Conv2d same(3, 2, 4, {.padding_mode = Padding::kSame});
  EXPECT_EQ(same(randn({1, 3, 7, 6})).shape(), (Shape{1, 2, 7, 6}));
  EXPECT_EQ(AvgPool2d(Pool2dOptions{.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}})(x).shape(),
            (Shape{2, 3, 5, 4}));
  EXPECT_EQ(AdaptiveAvgPool2d({2, 3})(x).shape(), (Shape{2, 3, 2, 3}));
}

TEST(ConvLayers, BackwardFillsTheLayersParameterGradients) {
  // The gradients themselves are gradchecked through the functional form (gradcheck_test.cpp).
  const Conv2dOptions options{.stride = {2, 2}, .padding = {1, 1}, .groups = 2};
  Conv2d conv(4, 6, 3, options);
  conv.to(kFloat64);
  const Tensor x = randn({2, 4, 6, 5}, {.dtype = kFloat64});
  conv(x).sum().backward();
  const Tensor expected = ops::conv2d_backward_weight(ones({2, 6, 3, 3}, {.dtype = kFloat64}), x, {6, 2, 3, 3},
                                                      {.stride = {2, 2}, .padding = {1, 1}, .groups = 2});
  EXPECT_TRUE(all_close(conv.weight.grad(), {6, 2, 3, 3}, values_of(expected), 1e-12, 1e-12));
  EXPECT_TRUE(all_close(conv.bias.grad(), {6}, std::vector<double>(6, 18.0), 0, 0));  // 2 samples x 3 x 3
}

TEST(BatchNormLayer, GradcheckInTrainingModeForInputWeightAndBias) {
  for (const Shape& shape : {Shape{4, 3}, Shape{3, 2, 5}, Shape{2, 3, 3, 4}}) {
    const Tensor x = randn(shape, {.dtype = kFloat64});
    const Tensor w = randn({shape[1]}, {.dtype = kFloat64}), b = randn({shape[1]}, {.dtype = kFloat64});
    const GradcheckResult r = gradcheck(
        [](auto& v) { return functional::batch_norm(v[0], std::nullopt, std::nullopt, v[1], v[2], true); }, {x, w, b});
    EXPECT_TRUE(r.ok) << shape << ": " << r.message;
  }
  const Tensor rm = randn({3}, {.dtype = kFloat64}), rv = rand({3}, {.dtype = kFloat64}) + 0.5;
  EXPECT_TRUE(gradcheck([&](auto& v) { return functional::batch_norm(v[0], rm, rv, v[1], v[2], false); },
                        {randn({4, 3, 2}, {.dtype = kFloat64}), randn({3}, {.dtype = kFloat64}), randn({3}, {.dtype = kFloat64})})
                  .ok);
}

TEST(BatchNormLayer, TrainingNormalisesByBatchStatisticsAndUpdatesRunningOnes) {
  BatchNorm2d bn(2);
  bn.to(kFloat64);
  const Tensor x = randn({4, 2, 3, 3}, {.dtype = kFloat64}) * 3.0 + 1.5;
  const Tensor y = bn(x);
  // Per channel: mean 0 and (biased) variance 1 up to eps.
  EXPECT_TRUE(all_close(mean(y, {0, 2, 3}), {2}, {0, 0}, 0, 1e-12));
  EXPECT_TRUE(all_close(var(y, {0, 2, 3}, KeepDim::kNo, 0), {2}, {1, 1}, 1e-4, 0));
  const auto batch_mean = values_of(mean(x, {0, 2, 3}));
  const auto batch_var = values_of(var(x, {0, 2, 3}));  // unbiased, as PyTorch's running_var
  EXPECT_TRUE(all_close(bn.running_mean, {2}, {0.1 * batch_mean[0], 0.1 * batch_mean[1]}, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(bn.running_var, {2}, {0.9 + 0.1 * batch_var[0], 0.9 + 0.1 * batch_var[1]}, 1e-12, 1e-12));
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
  EXPECT_FALSE(bn.running_mean.requires_grad());
}

TEST(BatchNormLayer, EvalNormalisesByRunningStatisticsAndLeavesThemAlone) {
  BatchNorm1d bn(3);
  bn.to(kFloat64);
  bn.running_mean.copy_(tensor({1.0, -2.0, 0.5}));
  bn.running_var.copy_(tensor({4.0, 0.25, 1.0}));
  bn.weight.detach().copy_(tensor({2.0, 1.0, 1.0}));
  bn.bias.detach().copy_(tensor({0.0, 0.0, 3.0}));
  bn.eval();
  const Tensor y = bn(tensor({{3.0, -1.0, 0.5}}).to(kFloat64));  // a batch of one is fine in eval mode
  const double eps = 1e-5;
  EXPECT_TRUE(all_close(y, {1, 3}, {2 * 2 / std::sqrt(4 + eps), 1 / std::sqrt(0.25 + eps), 3.0}, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(bn.running_mean, {3}, {1.0, -2.0, 0.5}, 0, 0));
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 0);
  bn.train();
  IGNIS_EXPECT_THROW_MSG(bn(tensor({{3.0, -1.0, 0.5}}).to(kFloat64)), ValueError, "more than 1 value per channel");
  IGNIS_EXPECT_THROW_MSG(bn(zeros({2, 4}, {.dtype = kFloat64})), ShapeError, "3 channels", "(2, 4)");
}

TEST(BatchNormLayer, WithoutMomentumRunningStatisticsAreTheCumulativeAverage) {
  BatchNorm1d bn(1, {.momentum = std::nullopt});
  bn.to(kFloat64);
  bn(tensor({{1.0}, {3.0}}).to(kFloat64));   // mean 2, unbiased var 2
  bn(tensor({{6.0}, {10.0}}).to(kFloat64));  // mean 8, unbiased var 8
  EXPECT_TRUE(all_close(bn.running_mean, {1}, {5.0}, 1e-12, 0));
  EXPECT_TRUE(all_close(bn.running_var, {1}, {5.0}, 1e-12, 0));
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 2);
  BatchNorm1d untracked(1, {.track_running_stats = false});
  untracked.eval();  // no running statistics: batch statistics even in eval mode, as PyTorch
  EXPECT_TRUE(all_close(untracked(tensor({{1.0f}, {3.0f}})), {2, 1}, {-1, 1}, 1e-4, 0));
  EXPECT_EQ(keys(untracked.state_dict()), (std::vector<std::string>{"weight", "bias"}));
}

TEST(BatchNormLayer, DependsOnTheBatchOnlyInTraining) {
  nn::BatchNorm2d bn(3);
  EXPECT_TRUE(bn.depends_on_batch());  // fit names it when it splits batches
  bn.eval();
  EXPECT_FALSE(bn.depends_on_batch());  // running statistics: each sample on its own
  EXPECT_FALSE(nn::LayerNorm(Shape{3}).depends_on_batch());
}

TEST(Dropout2dLayer, ZeroesWholeChannelsInTrainingAndNothingInEval) {
  manual_seed(5);
  Dropout2d drop(0.5);
  const Tensor x = ones({8, 16, 3, 3});
  const auto y = values_of(drop(x));
  int dropped = 0;
  for (int plane = 0; plane < 8 * 16; ++plane) {
    const double first = y[static_cast<std::size_t>(plane * 9)];
    EXPECT_TRUE(first == 0.0 || first == 2.0) << first;
    for (int i = 1; i < 9; ++i) EXPECT_EQ(y[static_cast<std::size_t>(plane * 9 + i)], first);
    dropped += first == 0.0 ? 1 : 0;
  }
  EXPECT_GT(dropped, 40);
  EXPECT_LT(dropped, 88);
  drop.eval();
  EXPECT_TRUE(all_close(drop(x), x.shape(), values_of(x), 0, 0));
  IGNIS_EXPECT_THROW_MSG(functional::dropout2d(ones({4, 4}), 0.5), ShapeError, "[dropout2d]", "4-D");
}

}  // namespace
}  // namespace ignis::nn

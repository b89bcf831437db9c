// Losses against values computed with PyTorch 2.15.0 (CPU, float64; the script that produced
// them is in the comment of each test), plus gradchecks and error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::nn {
namespace {

namespace F = functional;

const Tensor kX = tensor({{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}}, {.dtype = kFloat64});
const Tensor kT = tensor({{0.0, -0.5, 2.5}, {1.0, 1.0, -2.0}}, {.dtype = kFloat64});
const Tensor kLogits = tensor({{1.0, 2.0, 0.5, -1.0}, {0.1, -0.2, 3.0, 0.0}, {2.0, 2.0, 2.0, 2.0}}, {.dtype = kFloat64});
const Tensor kWeight = tensor({1.0, 2.0, 0.5, 1.5}, {.dtype = kFloat64});

// torch.nn.functional.{mse,l1,smooth_l1,huber}_loss(x, t) with x, t as kX, kT.
TEST(Loss, RegressionLossesMatchPyTorch) {
  EXPECT_NEAR(F::mse_loss(kX, kT).item<double>(), 0.5208333333333334, 1e-12);
  EXPECT_NEAR(F::mse_loss(kX, kT, Reduction::kSum).item<double>(), 3.125, 1e-12);
  EXPECT_EQ(F::mse_loss(kX, kT, Reduction::kNone).shape(), (Shape{2, 3}));
  EXPECT_NEAR(F::l1_loss(kX, kT).item<double>(), 0.6666666666666666, 1e-12);
  EXPECT_NEAR(F::smooth_l1_loss(kX, kT, Reduction::kMean, 0.5).item<double>(), 0.4166666666666667, 1e-12);
  EXPECT_NEAR(F::huber_loss(kX, kT, Reduction::kMean, 0.5).item<double>(), 0.20833333333333334, 1e-12);
  EXPECT_NEAR(MSELoss()(kX, kT).item<double>(), 0.5208333333333334, 1e-12);
}

// F.cross_entropy(logits, target, weight=w, label_smoothing=..., reduction=...), ignore_index -100.
TEST(Loss, CrossEntropyMatchesPyTorch) {
  const Tensor target = tensor({1, 2, 0});
  const Tensor ignored = tensor({1, 2, -100});
  EXPECT_NEAR(F::cross_entropy(kLogits, target).item<double>(), 0.6724602548738884, 1e-12);
  EXPECT_NEAR(F::cross_entropy(kLogits, ignored).item<double>(), 0.3155432017508874, 1e-12);
  EXPECT_NEAR(F::cross_entropy(kLogits, target, {.label_smoothing = 0.1}).item<double>(), 0.7941269215405551, 1e-12);
  EXPECT_NEAR(F::cross_entropy(kLogits, ignored, {.label_smoothing = 0.2, .weight = kWeight}).item<double>(),
              0.8027697759916724, 1e-12);
  EXPECT_NEAR(F::cross_entropy(kLogits, target, {.weight = kWeight}).item<double>(), 0.698460117142732, 1e-12);
  EXPECT_TRUE(testing::all_close(F::cross_entropy(kLogits, ignored, {.reduction = Reduction::kNone}), {3},
                                 {0.49518189808585605, 0.13590450541591875, 0.0}, 1e-12, 1e-14));
  EXPECT_NEAR(F::cross_entropy(kLogits, ignored, {.reduction = Reduction::kSum, .label_smoothing = 0.1}).item<double>(),
              0.9960864035017748, 1e-12);
  EXPECT_NEAR(CrossEntropyLoss()(kLogits, target).item<double>(), 0.6724602548738884, 1e-12);
}

TEST(Loss, NllIsCrossEntropyOfLogSoftmax) {
  const Tensor target = tensor({3, 0, 2});
  EXPECT_NEAR(F::nll_loss(log_softmax(kLogits, 1), target).item<double>(),
              F::cross_entropy(kLogits, target).item<double>(), 1e-14);
}

TEST(Loss, CrossEntropyOverExtraDimensions) {
  // (N, C, L) logits with (N, L) targets equal the flattened (N*L, C) problem.
  const Tensor logits = randn({2, 4, 3}, {.dtype = kFloat64});
  const Tensor target = randint(0, 4, {2, 3});
  const Tensor flat = logits.permute({0, 2, 1}).reshape({6, 4});
  EXPECT_NEAR(F::cross_entropy(logits, target).item<double>(), F::cross_entropy(flat, target.reshape({6})).item<double>(),
              1e-12);
}

// F.binary_cross_entropy_with_logits(z, y[, pos_weight=[1, 2, 3]]).
TEST(Loss, BinaryCrossEntropyWithLogitsMatchesPyTorchAndIsStable) {
  const Tensor z = tensor({{-3.0, 0.0, 2.5}, {40.0, -40.0, 0.7}}, {.dtype = kFloat64});
  const Tensor y = tensor({{0.0, 1.0, 1.0}, {1.0, 0.0, 0.3}}, {.dtype = kFloat64});
  EXPECT_NEAR(F::binary_cross_entropy_with_logits(z, y).item<double>(), 0.28563505255194915, 1e-12);
  EXPECT_NEAR(F::binary_cross_entropy_with_logits(z, y, {.pos_weight = tensor({1.0, 2.0, 3.0}, {.dtype = kFloat64})})
                  .item<double>(),
              0.46777476563133574, 1e-12);
  const Tensor huge = tensor({1000.0, -1000.0});
  EXPECT_TRUE(std::isfinite(F::binary_cross_entropy_with_logits(huge, tensor({0.0, 1.0})).item<double>()));
}

TEST(Loss, GradientsPassGradcheck) {
  const Tensor target = tensor({1, 2, 0});
  EXPECT_TRUE(gradcheck([&](auto& v) { return F::cross_entropy(v[0], target, {.label_smoothing = 0.1}); }, {kLogits}).ok);
  EXPECT_TRUE(gradcheck([&](auto& v) { return F::mse_loss(v[0], kT); }, {kX}).ok);
  EXPECT_TRUE(gradcheck([&](auto& v) { return F::smooth_l1_loss(v[0], kT, Reduction::kSum, 0.3); }, {kX}).ok);
  EXPECT_TRUE(gradcheck([&](auto& v) { return F::huber_loss(v[0], kT, Reduction::kMean, 0.3); }, {kX}).ok);
  EXPECT_TRUE(gradcheck([&](auto& v) { return F::binary_cross_entropy_with_logits(v[0], kT.abs() / 3.0); }, {kX}).ok);
}

TEST(Loss, ErrorsNameTheProblem) {
  IGNIS_EXPECT_THROW_MSG(F::mse_loss(ones({100, 2}), ones({100})), ShapeError, "[mse_loss]", "(100, 2)", "(100)");
  IGNIS_EXPECT_THROW_MSG(F::cross_entropy(ones({3, 4}), ones({3})), DTypeError, "[cross_entropy]", "class indices");
  IGNIS_EXPECT_THROW_MSG(F::cross_entropy(ones({3, 4}), tensor({0, 1})), ShapeError, "(3, 4)", "(2)");
  IGNIS_EXPECT_THROW_MSG(F::cross_entropy(ones({2, 4}), tensor({0, 4})), IndexError, "class 4", "4 classes");
  IGNIS_EXPECT_THROW_MSG(F::cross_entropy(ones({2, 4}), tensor({0, 1}), {.label_smoothing = 2}), ValueError,
                         "label_smoothing");
}

}  // namespace
}  // namespace ignis::nn

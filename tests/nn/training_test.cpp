// Training outcomes: models fit known functions below stated losses.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis {
namespace {

// A 2-layer MLP learns y = sin(3x) on [-1, 1] with Adam: final MSE below 0.005 (the target's
// variance is ≈ 0.47, so this is a > 99% reduction).
TEST(Training, MlpFitsSine) {
  manual_seed(0);
  nn::Sequential model(nn::Linear(1, 64), nn::Tanh(), nn::Linear(64, 1));
  const Tensor x = linspace(-1, 1, 256).unsqueeze(1);
  const Tensor y = sin(x * 3.0);
  optim::Adam opt(model.parameters(), {.lr = 0.01});
  double loss_value = 0;
  for (int step = 0; step < 1500; ++step) {
    opt.zero_grad();
    const Tensor loss = nn::functional::mse_loss(model(x), y);
    loss.backward();
    opt.step();
    loss_value = loss.item<double>();
  }
  EXPECT_LT(loss_value, 0.005);
}

// Linear regression with SGD converges to the generating weights.
TEST(Training, LinearRegressionRecoversTheWeights) {
  manual_seed(1);
  const Tensor x = randn({512, 3});
  const Tensor w_true = tensor({{2.0}, {-1.0}, {0.5}});
  const Tensor y = matmul(x, w_true) + 0.3;
  nn::Linear model(3, 1);
  optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 200; ++step) {
    opt.zero_grad();
    nn::functional::mse_loss(model(x), y).backward();
    opt.step();
  }
  EXPECT_TRUE(testing::all_close(model.weight, {1, 3}, {2.0, -1.0, 0.5}, 0, 1e-3));
  EXPECT_NEAR(model.bias.item<double>(), 0.3, 1e-3);
}

// Classification: a small MLP separates two interleaved spirals' worth of points (3 classes of
// Gaussian blobs) with cross-entropy, reaching ≥ 95% training accuracy.
TEST(Training, ClassifierReachesHighAccuracy) {
  manual_seed(2);
  const Tensor centers = tensor({{2.0, 0.0}, {-1.0, 1.7}, {-1.0, -1.7}});
  const Tensor labels = randint(0, 3, {600});
  const Tensor x = index_select(centers, 0, labels) + 0.5 * randn({600, 2});
  nn::Sequential model(nn::Linear(2, 32), nn::ReLU(), nn::Linear(32, 3));
  optim::SGD opt(model.parameters(), {.lr = 0.5});
  for (int step = 0; step < 200; ++step) {
    opt.zero_grad();
    nn::functional::cross_entropy(model(x), labels).backward();
    opt.step();
  }
  NoGradGuard no_grad;
  const double accuracy = (argmax(model(x), 1) == labels).to(kFloat64).mean().item<double>();
  EXPECT_GE(accuracy, 0.95);
}

}  // namespace
}  // namespace ignis

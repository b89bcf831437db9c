// Training outcomes: models fit known functions below stated losses, on every device with the
// same test body; and a run on the GPU follows the CPU's run step for step.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis {
namespace {

using TrainingOnDevice = testing::DeviceTest;

// A 2-layer MLP learns y = sin(3x) on [-1, 1] with Adam: final MSE below 0.005 (the target's
// variance is ≈ 0.47, so this is a > 99% reduction).
TEST_P(TrainingOnDevice, MlpFitsSine) {
  manual_seed(0);
  nn::Sequential model(nn::Linear(1, 64), nn::Tanh(), nn::Linear(64, 1));
  model.to(device());
  const Tensor x = linspace(-1, 1, 256).unsqueeze(1).to(device());
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
TEST_P(TrainingOnDevice, LinearRegressionRecoversTheWeights) {
  manual_seed(1);
  const Tensor x = randn({512, 3}).to(device());
  const Tensor w_true = tensor({{2.0}, {-1.0}, {0.5}}).to(device());
  const Tensor y = matmul(x, w_true) + 0.3;
  nn::Linear model(3, 1);
  model.to(device());
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
TEST_P(TrainingOnDevice, ClassifierReachesHighAccuracy) {
  manual_seed(2);
  const Tensor centers = tensor({{2.0, 0.0}, {-1.0, 1.7}, {-1.0, -1.7}});
  const Tensor labels = randint(0, 3, {600}).to(device());
  const Tensor x = index_select(centers.to(device()), 0, labels) + 0.5 * randn({600, 2}).to(device());
  nn::Sequential model(nn::Linear(2, 32), nn::ReLU(), nn::Linear(32, 3));
  model.to(device());
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

// The same model, data and optimizer on the CPU and on the device: after 30 Adam steps of an MLP
// with dropout off, cross-entropy and weight decay, the parameters agree to float tolerance.
TEST_P(TrainingOnDevice, FollowsTheCpuRunStepForStep) {
  auto run = [](Device device) {
    manual_seed(3);
    nn::Sequential model(nn::Linear(20, 64), nn::GELU(), nn::LayerNorm(Shape{64}), nn::Linear(64, 5));
    model.to(device);
    const Tensor x = randn({128, 20}).to(device);
    const Tensor labels = randint(0, 5, {128}).to(device);
    optim::AdamW opt(model.parameters(), {.lr = 1e-3});
    for (int step = 0; step < 30; ++step) {
      opt.zero_grad();
      nn::functional::cross_entropy(model(x), labels, {.label_smoothing = 0.1}).backward();
      optim::clip_grad_norm_(model.parameters(), 1.0);
      opt.step();
    }
    return model.state_dict();
  };
  const auto on_cpu = run(Device::cpu());
  const auto on_device = run(device());
  ASSERT_EQ(on_cpu.size(), on_device.size());
  for (std::size_t i = 0; i < on_cpu.size(); ++i) {
    const auto& [name, value] = on_cpu[i];
    const Tensor& other = on_device[i].second;
    EXPECT_EQ(on_device[i].first, name);
    EXPECT_TRUE(other.device().type() == device().type()) << name;
    EXPECT_TRUE(testing::all_close(other, value.shape(), testing::values_of(value), 1e-4, 1e-5)) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, TrainingOnDevice, ::testing::ValuesIn(testing::test_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ignis

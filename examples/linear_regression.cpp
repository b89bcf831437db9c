// A small regression that converges to a known solution: y = 3x₁ − 2x₂ + 0.5 + noise, fitted by
// nn::Linear with autograd and SGD on the best available device.
#include <fmt/format.h>

#include <ignis/ignis.hpp>
#include <iostream>

int main() {
  using namespace ignis;
  manual_seed(0);
  const Device device = cuda::is_available() ? Device("cuda") : Device::cpu();
  if (cuda::is_available()) {
    fmt::print("Device: {} ({})\n", device.str(), cuda::device_name(0));
  } else {
    fmt::print("Device: cpu (CUDA not available: {})\n", cuda::unavailable_reason().message);
  }

  // Data: 1000 samples, 2 features.
  const Tensor x = randn({1000, 2}).to(device);
  const Tensor true_w = tensor({{3.0, -2.0}}).to(device);
  const Tensor y = linear(x, true_w) + 0.5 + 0.1 * randn({1000, 1}).to(device);

  nn::Linear model(2, 1);
  model.to(device);
  optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  for (int step = 0; step <= 100; ++step) {
    optimizer.zero_grad();
    const Tensor loss = nn::functional::mse_loss(model(x), y);
    loss.backward();
    optimizer.step();
    if (step % 20 == 0) fmt::print("step {:3d}  loss {:.6f}\n", step, loss.item<double>());
  }
  fmt::print("learned w = [{:.3f}, {:.3f}], b = {:.3f} (true: [3, -2], 0.5)\n", model.weight.at<double>({0, 0}),
             model.weight.at<double>({0, 1}), model.bias.at<double>({0}));
  std::cout << model << "\n" << model.weight << "\n";
  return 0;
}

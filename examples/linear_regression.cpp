// Fits y = 3x₁ − 2x₂ + 0.5 + noise by gradient descent, with gradients written out by hand
// (autograd arrives with the next milestone). Runs on CUDA when it is available, else the CPU.
#include <fmt/format.h>

#include <ignis/ignis.hpp>
#include <iostream>

int main() {
  using namespace ignis;
  manual_seed(0);
  // The best available device, and why.
  const auto cuda = diag::cuda_backend_status();
  const Device device = cuda.available ? Device("cuda") : Device::cpu();
  fmt::print("Device: {}{}\n", device.str(), cuda.available ? "" : " (CUDA not available: " + cuda.reason + ")");

  // Data: 1000 samples, 2 features.
  const Tensor x = randn({1000, 2}, {.device = device});
  const Tensor true_w = tensor({{3.0}, {-2.0}}).to(device);
  const Tensor y = matmul(x, true_w) + 0.5 + 0.1 * randn({1000, 1}, {.device = device});

  Tensor w = zeros({2, 1}, {.device = device});
  Tensor b = zeros({1}, {.device = device});
  const double lr = 0.1;
  for (int step = 0; step <= 100; ++step) {
    const Tensor pred = matmul(x, w) + b;
    const Tensor err = pred - y;
    const Tensor loss = mean(err * err);
    // d loss / d w = 2/N xᵀ err ; d loss / d b = 2/N Σ err
    const Tensor grad_w = matmul(x.t(), err) * (2.0 / 1000);
    const Tensor grad_b = sum(err, {0}) * (2.0 / 1000);
    w = w - lr * grad_w;
    b = b - lr * grad_b;
    if (step % 20 == 0) fmt::print("step {:3d}  loss {:.6f}\n", step, loss.item<double>());
  }
  fmt::print("learned w = [{:.3f}, {:.3f}], b = {:.3f} (true: [3, -2], 0.5)\n", w.at<double>({0, 0}),
             w.at<double>({1, 0}), b.at<double>({0}));
  std::cout << "w =\n" << w << "\n";
  return 0;
}

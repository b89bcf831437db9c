// The tutorial's PyTorch-style program in C++: choose the device by availability, build
// Linear(10, 2), move model and data there, MSE loss, backward — then an SGD loop whose loss falls.
#include <fmt/format.h>

#include <ignis/ignis.hpp>

int main() {
  using namespace ignis;
  manual_seed(0);

  // device = "cuda" if torch.cuda.is_available() else "cpu"
  const Device device = cuda::is_available() ? Device("cuda") : Device::cpu();
  if (cuda::is_available()) {
    fmt::print("Device: {} ({})\n", device.str(), cuda::device_name(0));
  } else {
    fmt::print("Device: cpu (CUDA not available: {})\n", cuda::unavailable_reason().message);
  }

  nn::Linear model(10, 2);
  model.to(device);
  const Tensor x = randn({100, 10}).to(device);
  // A learnable target: y = x A + noise, so the loss can fall far below its start.
  const Tensor a = randn({10, 2}).to(device);
  const Tensor y = matmul(x, a) + 0.01 * randn({100, 2}).to(device);

  Tensor loss = nn::functional::mse_loss(model(x), y);
  loss.backward();
  fmt::print("initial loss {:.4f}; weight.grad has shape {}\n", loss.item<double>(), model.weight.grad().shape().str());

  optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  for (int epoch = 1; epoch <= 100; ++epoch) {
    optimizer.zero_grad();
    loss = nn::functional::mse_loss(model(x), y);
    loss.backward();
    optimizer.step();
    if (epoch % 20 == 0) fmt::print("epoch {:3d}  loss {:.6f}\n", epoch, loss.item<double>());
  }
  return 0;
}

// The tutorial's first program against an installed ignis: Linear(10, 2) fitted to random data
// with mse_loss, backward and an optimizer, on the GPU when one is usable.
#include <ignis/ignis.hpp>

#include <iostream>

int main() {
  using namespace ignis;
  manual_seed(0);
  const Device device = cuda::is_available() ? Device("cuda") : Device("cpu");
  nn::Linear model(10, 2);
  model.to(device);
  const Tensor x = randn({100, 10}).to(device);
  const Tensor y = randn({100, 2}).to(device);
  optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  double first = 0, last = 0;
  for (int step = 0; step < 50; ++step) {
    optimizer.zero_grad();
    const Tensor loss = nn::functional::mse_loss(model(x), y);
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  std::cout << "ignis " << build_info::kVersion << " on " << device.str() << ": loss " << first << " -> " << last
            << "\n";
  return last < first ? 0 : 1;
}

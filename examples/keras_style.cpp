// The tutorial's Keras program in C++: Sequential([Dense(64, relu), Dense(1)]),
// compile(adam, mse), fit(epochs=10) on synthetic regression data; the loss falls.
#include <ignis/ignis.hpp>
#include <iostream>

int main() {
  using namespace ignis;
  manual_seed(0);
  // y = sum of sin of 8 features, plus noise: 2048 samples.
  const Tensor x_train = randn({2048, 8});
  const Tensor y_train = sin(x_train).sum({1}, kKeepDim) + 0.05 * randn({2048, 1});

  keras::DeviceScope scope(cuda::is_available() ? "/GPU:0" : "/CPU:0");

  keras::Sequential model({keras::Dense(64, "relu"), keras::Dense(1)});
  model.compile({.optimizer = "adam", .loss = "mse", .metrics = {"mae"}});
  const keras::History history = model.fit(x_train, y_train, {.epochs = 10, .validation_split = 0.1});
  std::cout << model.summary();
  std::cout << "loss: first epoch " << history["loss"].front() << ", last " << history["loss"].back() << "\n";
  return 0;
}

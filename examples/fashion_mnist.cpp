// The task of `ignis train`, written with the library API: an MLP on Fashion-MNIST.
#include <fmt/format.h>

#include <ignis/ignis.hpp>

int main() {
  using namespace ignis;
  const train::DeviceChoice choice = train::choose_device("auto");  // CUDA if usable, else why not
  fmt::print("Device: {} — {}\n", choice.device.str(), choice.reason);
  keras::DeviceScope scope(choice.device.str());

  const data::FashionMnist d = data::load_fashion_mnist();  // /usr/share/datasets/fashion-mnist
  manual_seed(0);
  keras::Sequential model({keras::Input({28, 28}), keras::Flatten(), keras::Dense(256, "relu"),
                           keras::Dense(128, "relu"), keras::Dense(10)});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  fmt::print("{}", model.summary());

  model.fit(d.train_images, d.train_labels, {.epochs = 10, .batch_size = 64, .validation_split = 0.1});
  const keras::Logs test = model.evaluate(d.test_images, d.test_labels);
  fmt::print("test accuracy: {:.2f}%\n", 100 * *train::find(test, "accuracy"));
  return 0;
}

// A small CNN on Fashion-MNIST written PyTorch-style: nn::Conv2d, BatchNorm2d, MaxPool2d,
// Dropout2d and AdaptiveAvgPool2d in an nn::Sequential, a DataLoader, Adam, and a hand-written
// training loop with model.train() / model.eval().
//   build/examples/cnn_fashion_mnist [epochs=2]
#include <fmt/format.h>

#include <cstdlib>
#include <ignis/ignis.hpp>

int main(int argc, char** argv) {
  using namespace ignis;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;
  manual_seed(0);
  const data::FashionMnist d = data::load_fashion_mnist();  // /usr/share/datasets/fashion-mnist

  // (N, 28, 28) -> (N, 1, 28, 28): NCHW, as nn::Conv2d expects.
  auto images = [](const Tensor& t) { return t.reshape({t.size(0), 1, 28, 28}); };
  auto train_set = std::make_shared<data::TensorDataset>(images(d.train_images), d.train_labels);
  auto test_set = std::make_shared<data::TensorDataset>(images(d.test_images), d.test_labels);
  data::DataLoader train(train_set, {.batch_size = 64, .shuffle = true});
  data::DataLoader test(test_set, {.batch_size = 500});

  nn::Sequential model(nn::Conv2d(1, 16, 3, {.padding = {1, 1}}), nn::BatchNorm2d(16), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Conv2d(16, 32, 3, {.padding_mode = Padding::kSame}), nn::BatchNorm2d(32), nn::ReLU(),
                       nn::MaxPool2d(2), nn::Dropout2d(0.1), nn::Conv2d(32, 64, 3), nn::ReLU(),
                       nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, 10));
  fmt::print("{}\n{} parameters\n", model.repr(), model.parameter_count());
  optim::Adam optimizer(model.parameters(), {.lr = 2e-3});

  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    train.set_epoch(epoch);
    double loss_sum = 0;
    std::int64_t batches = 0;
    for (const data::Batch& batch : train) {
      optimizer.zero_grad();
      Tensor loss = nn::functional::cross_entropy(model(batch.input), batch.target);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    model.eval();  // batch norm uses its running statistics, dropout is off
    NoGradGuard no_grad;
    std::int64_t correct = 0;
    for (const data::Batch& batch : test) {
      correct += (argmax(model(batch.input), 1) == batch.target).sum().item<std::int64_t>();
    }
    fmt::print("epoch {}: train loss {:.4f}, test accuracy {:.2f}%\n", epoch, loss_sum / static_cast<double>(batches),
               100.0 * static_cast<double>(correct) / static_cast<double>(d.test_labels.size(0)));
  }
  return 0;
}

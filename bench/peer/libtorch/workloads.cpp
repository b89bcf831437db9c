#include "workloads.hpp"

#include <stdexcept>

namespace libtorch_peer {
namespace {

namespace nn = torch::nn;

/// Inputs x and targets y = x·a + 0.1·noise, seeded (as make_batch of the Python peer).
std::pair<torch::Tensor, torch::Tensor> make_batch(int64_t batch, int64_t features, int64_t outputs,
                                                   uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor x = torch::randn({batch, features}, gen);
  torch::Tensor a = torch::randn({features, outputs}, gen);
  torch::Tensor y = x.matmul(a) + 0.1 * torch::randn({batch, outputs}, gen);
  return {x, y};
}

/// Standard-normal inputs of `shape` and class-index targets in [0, classes), seeded.
std::pair<torch::Tensor, torch::Tensor> make_classes(at::IntArrayRef shape, int64_t classes, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor x = torch::randn(shape, gen);
  torch::Tensor y = torch::randint(0, classes, {shape[0]}, gen);
  return {x, y};
}

// W3's model arithmetic per step: 3 GEMMs forward and 6 backward, 2·M·N·K each (as the ignis
// side counts it).
constexpr double kW3FlopPerStep = 3.0 * 2 * 128 * (784 * 512 + 512 * 512 + 512 * 10);

/// The Sequential model on `device`, its forward, and Adam(lr 1e-3) over its parameters.
void adam_sequential(Workload& w, nn::Sequential model, const torch::Device& device) {
  model->to(device);
  w.forward = [model](const torch::Tensor& x) mutable { return model->forward(x); };
  w.optimizer = std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(1e-3));
}

void cross_entropy(Workload& w) {
  w.loss = [loss = nn::CrossEntropyLoss()](const torch::Tensor& out, const torch::Tensor& y) mutable {
    return loss(out, y);
  };
}

void mse(Workload& w) {
  w.loss = [loss = nn::MSELoss()](const torch::Tensor& out, const torch::Tensor& y) mutable { return loss(out, y); };
}

}  // namespace

Workload make_workload(const std::string& name, const torch::Device& device) {
  torch::manual_seed(0);  // the models' initialisation, as torch.manual_seed(0) in Python
  Workload w;
  std::pair<torch::Tensor, torch::Tensor> data;
  if (name == "W1") {
    nn::Linear model(10, 2);
    data = make_batch(100, 10, 2, 1);
    model->to(device);
    w.forward = [model](const torch::Tensor& x) mutable { return model->forward(x); };
    w.optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.01));
    mse(w);
  } else if (name == "W2") {
    nn::Linear l1(8, 64);  // one statement each: initialised in this order, as in Python
    nn::Linear l2(64, 1);
    nn::Sequential model(l1, nn::ReLU(), l2);
    data = make_batch(32, 8, 1, 2);
    adam_sequential(w, model, device);
    mse(w);
    w.items_per_step = 32;
  } else if (name == "W3") {
    nn::Linear l1(784, 512);
    nn::Linear l2(512, 512);
    nn::Linear l3(512, 10);
    nn::Sequential model(l1, nn::ReLU(), l2, nn::ReLU(), l3);
    data = make_classes({128, 784}, 10, 3);
    adam_sequential(w, model, device);
    cross_entropy(w);
    w.items_per_step = 128;
    w.flop_per_step = kW3FlopPerStep;
  } else if (name == "W4") {
    nn::Conv2d c1(nn::Conv2dOptions(1, 32, 3));
    nn::Conv2d c2(nn::Conv2dOptions(32, 64, 3));
    nn::Linear l1(9216, 128);
    nn::Linear l2(128, 10);
    nn::Sequential model(c1, nn::ReLU(), c2, nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Flatten(), l1,
                         nn::ReLU(), l2);
    data = make_classes({64, 1, 28, 28}, 10, 4);
    adam_sequential(w, model, device);
    cross_entropy(w);
    w.items_per_step = 64;
  } else {
    throw std::invalid_argument("unknown workload '" + name + "' (have W1, W2, W3, W4)");
  }
  w.x = data.first.to(device);
  w.y = data.second.to(device);
  return w;
}

torch::Tensor train_step(Workload& w) {
  w.optimizer->zero_grad();
  torch::Tensor loss = w.loss(w.forward(w.x), w.y);
  loss.backward();
  w.optimizer->step();
  return loss;
}

}  // namespace libtorch_peer

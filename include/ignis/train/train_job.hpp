#pragma once
// The main job behind `ignis train`: a model trained on Fashion-MNIST on the best device, with
// the device decision explained, the model summary, progress per epoch, and test results.
#include <array>
#include <cstdint>
#include <ostream>
#include <string>

#include "ignis/core/device.hpp"
#include "ignis/data/fashion_mnist.hpp"
#include "ignis/train/fit.hpp"

namespace ignis::train {

struct TrainJobOptions {
  std::string model = "mlp";       // "mlp" (784-256-128-10, ReLU) or "cnn" (2 conv + pool blocks, 2 dense)
  std::int64_t epochs = 10;
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  std::string optimizer = "adam";  // sgd, adam, adamw, rmsprop
  std::string device = "auto";     // auto (CUDA when usable, else the CPU), cpu, cuda, cuda:N
  std::string data = data::kFashionMnistDefaultDir;
  std::uint64_t seed = 0;          // initialisation and shuffling
  std::string out;                 // folder for results.json and history.csv (none if empty)
  Verbosity verbose = Verbosity::kAuto;
};

/// Where training runs and why.
struct DeviceChoice {
  Device device = Device::cpu();
  std::string reason;  // e.g. "CUDA not available: no NVIDIA driver; run `ignis doctor`"
};

/// "auto": CUDA when the backend is usable, else the CPU with the reason. An explicit "cuda"
/// that cannot be used throws BackendUnavailableError with the reason.
DeviceChoice choose_device(const std::string& spec);

struct TrainJobResult {
  Device device = Device::cpu();
  History history;
  double test_loss = 0, test_accuracy = 0;
  std::array<double, 10> class_accuracy{};
  double train_seconds = 0, samples_per_second = 0;
};

TrainJobResult run_train_job(const TrainJobOptions& options, std::ostream& out);

}  // namespace ignis::train

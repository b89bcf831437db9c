#pragma once
// The main job behind `ignis train`: a model trained on the best device, with the device decision
// explained, the model summary, progress per epoch, and held-out results. The data is
// Fashion-MNIST (a folder of its IDX files, the default) or the user's own (a file: CSV, NPZ, an
// NPY or IDX pair; ignis/data/labeled_data.hpp), on which an MLP learns a classification or a
// regression (ignis/train/user_model.hpp).
#include <array>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ignis/core/device.hpp"
#include "ignis/data/fashion_mnist.hpp"
#include "ignis/train/fit.hpp"
#include "ignis/train/logs.hpp"
#include "ignis/train/user_model.hpp"

namespace ignis::train {

inline constexpr std::int64_t kAutoBatchSize = 0;

struct TrainJobOptions {
  std::string model = "mlp";       // "mlp" (784-256-128-10, ReLU) or "cnn" (2 conv + pool blocks, 2 dense)
  std::int64_t epochs = 10;
  /// Samples per step; kAutoBatchSize: the largest batch up to max_auto_batch_size whose step
  /// fits in the device's memory or budget (train::find_max_batch_size, before training).
  std::int64_t batch_size = 64;
  std::int64_t max_auto_batch_size = 8192;
  double lr = 1e-3;
  std::string optimizer = "adam";  // sgd, adam, adamw, rmsprop
  std::string device = "auto";     // auto (CUDA when usable, else the CPU), cpu, cuda, cuda:N
  std::string data = data::kFashionMnistDefaultDir;  // a Fashion-MNIST folder, or a data file
  // The user's own data (when `data` is a file):
  std::string targets;                  // the targets' file of an NPY or IDX pair
  std::string target;                   // CSV: the target column (default: the last)
  std::string task = "auto";            // auto, classification or regression
  double validation_split = 0.2;        // held out (shuffled with `seed`) to report on
  bool normalize = false;               // standardise each feature (training split's mean, std)
  std::vector<std::int64_t> hidden = {256, 128};  // the MLP's ReLU layers
  std::uint64_t seed = 0;          // initialisation and shuffling
  std::string out;                 // folder for results.json and history.csv (none if empty)
  Verbosity verbose = Verbosity::kAuto;
  /// Added to fit()'s callbacks (the CLI's TensorBoard logger and checkpoints live in layers
  /// above train, so it passes them in here).
  std::vector<std::shared_ptr<Callback>> callbacks;
  std::string resume_from;         // FitOptions::resume_from (a TrainingCheckpoint directory)
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
  std::int64_t batch_size = 0;        // the batch trained with (found by the search with "auto")
  std::int64_t micro_batch_size = 0;  // fit()'s micro-batches after running out of memory (0: none)
  History history;
  double test_loss = 0, test_accuracy = 0;
  std::array<double, 10> class_accuracy{};  // Fashion-MNIST's classes
  double train_seconds = 0, samples_per_second = 0;
  // The user's own data:
  Logs validation;                          // loss and accuracy (or mae) on the held-out split
  std::shared_ptr<UserModel> user_model;    // what `--out` saves (ignis/io/model_folder.hpp)
};

TrainJobResult run_train_job(const TrainJobOptions& options, std::ostream& out);

}  // namespace ignis::train

#pragma once
// keras::Sequential: compile(optimizer, loss, metrics), fit, evaluate, predict, summary — on the
// device of the innermost DeviceScope, or the one given to to().
#include <cstdint>
#include <functional>
#include <memory>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ignis/keras/layers.hpp"
#include "ignis/nn/sequential.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/train/batch_size_search.hpp"
#include "ignis/train/fit.hpp"

namespace ignis::keras {

using History = train::History;
using Logs = train::Logs;

struct CompileOptions {
  /// "sgd", "adam", "adamw", "rmsprop" (Keras's default learning rates: 0.01, 0.001, 0.001, 0.001).
  std::string optimizer = "rmsprop";
  /// "mse", "mae", "huber", "sparse_categorical_crossentropy", "categorical_crossentropy",
  /// "binary_crossentropy". Cross-entropies read logits unless the model ends in softmax/sigmoid.
  std::string loss;
  std::vector<std::string> metrics;  // "accuracy", "mae", "mse"
  std::optional<double> learning_rate;
  /// Instead of a name: makes the optimizer over the model's parameters, e.g.
  /// [](auto params) { return std::make_unique<optim::SGD>(params, optim::SgdOptions{.lr = 0.1}); }
  std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)> make_optimizer;
  /// Instead of a name: the loss of (model output, target); used as given (logits or not).
  train::LossFn loss_fn;
};

struct FitArgs {
  std::int64_t epochs = 1;
  std::int64_t batch_size = 32;
  bool shuffle = true;
  /// Fraction of the samples held out for validation: the last ones, before shuffling (Keras).
  double validation_split = 0.0;
  std::optional<std::pair<Tensor, Tensor>> validation_data;
  std::vector<std::shared_ptr<train::Callback>> callbacks;
  std::int64_t initial_epoch = 0;
  train::Verbosity verbose = train::Verbosity::kAuto;
  std::ostream* out = nullptr;
  std::uint64_t seed = 0;  // shuffle order
  std::string resume_from; // train::FitOptions::resume_from
  /// On out of memory: micro-batches with accumulated gradients (default), or throw.
  train::OnOutOfMemory on_out_of_memory = train::OnOutOfMemory::kMicroBatch;
};

class Sequential {
 public:
  explicit Sequential(std::initializer_list<Layer> layers = {}, std::string name = "sequential");
  void add(const Layer& layer);

  /// Builds every layer for inputs of `input_shape` (without the batch dimension).
  void build(const Shape& input_shape);
  bool built() const { return built_; }
  void compile(CompileOptions options);

  History fit(const Tensor& x, const Tensor& y, FitArgs args = {});
  /// The largest batch of (x, y) whose training step fits in the device's memory or budget, up
  /// to max_batch_size (0: all of x); see train::find_max_batch_size. Builds the model and
  /// creates the optimizer if fit() has not yet; leaves parameters and optimizer as they were.
  train::BatchSizeSearchResult find_max_batch_size(const Tensor& x, const Tensor& y, std::int64_t max_batch_size = 0);
  /// {"loss", metrics...} over (x, y).
  Logs evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size = 32);
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);
  Tensor operator()(const Tensor& x);

  /// Keras's table: layer (type), output shape, parameter count, totals.
  std::string summary() const;
  Sequential& to(Device device);
  Device device() const { return device_; }
  /// The underlying torch-style module (state_dict names "0.weight", ...).
  nn::Sequential& module() { return module_; }
  optim::Optimizer* optimizer() { return optimizer_.get(); }

 private:
  void require_built(const char* op) const;
  /// Builds the model for x and creates the optimizer, once.
  void prepare_training(const Tensor& x);
  void require_compiled(const char* op) const;
  train::LossFn loss_fn() const;
  bool outputs_probabilities() const;

  std::string name_;
  std::vector<Layer> layers_;
  std::vector<std::pair<Layer, Shape>> output_shapes_;
  nn::Sequential module_;
  bool built_ = false;
  std::optional<Shape> declared_input_;
  Device device_ = Device::cpu();
  std::optional<CompileOptions> compiled_;
  std::unique_ptr<optim::Optimizer> optimizer_;
};

/// Makes `device` the default for Keras models built (or fitted) in this scope, like tf.device:
/// accepts "/GPU:0", "/CPU:0", "cuda:0", "cpu".
class DeviceScope {
 public:
  explicit DeviceScope(const std::string& device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
  /// The innermost scope's device (the CPU outside any scope).
  static Device current();

 private:
  Device previous_ = Device::cpu();
};

/// "/GPU:1" -> cuda:1, "/CPU:0" -> cpu, otherwise Device(spec).
Device parse_keras_device(const std::string& spec);

}  // namespace ignis::keras

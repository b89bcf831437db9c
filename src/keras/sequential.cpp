// keras::Sequential on top of nn::Sequential, the optimizers, the losses and train::fit.
#include "ignis/keras/sequential.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/data/dataset.hpp"
#include "ignis/nn/loss.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/layout.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::keras {

namespace {

thread_local std::optional<Device> scoped_device;

Shape without_batch(const Tensor& x) {
  if (x.dim() == 0) throw ShapeError("[keras] inputs need a batch dimension");
  return Shape(std::span<const std::int64_t>(x.shape().begin() + 1, static_cast<std::size_t>(x.dim() - 1)));
}

std::unique_ptr<optim::Optimizer> make_optimizer(const CompileOptions& o, std::vector<Tensor> params) {
  const std::string& n = o.optimizer;
  if (n == "sgd") return std::make_unique<optim::SGD>(std::move(params), optim::SgdOptions{.lr = o.learning_rate.value_or(0.01)});
  if (n == "adam") return std::make_unique<optim::Adam>(std::move(params), optim::AdamOptions{.lr = o.learning_rate.value_or(1e-3), .eps = 1e-7});
  if (n == "adamw") {
    return std::make_unique<optim::AdamW>(std::move(params),
                                          optim::AdamOptions{.lr = o.learning_rate.value_or(1e-3), .eps = 1e-7, .weight_decay = 4e-3});
  }
  if (n == "rmsprop") {
    return std::make_unique<optim::RMSprop>(std::move(params),
                                            optim::RmspropOptions{.lr = o.learning_rate.value_or(1e-3), .alpha = 0.9, .eps = 1e-7});
  }
  ignis::detail::fail<ValueError>("[compile] unknown optimizer \"{}\"; known: sgd, adam, adamw, rmsprop", n);
}

}  // namespace

Device parse_keras_device(const std::string& spec) {
  auto indexed = [&](const std::string& prefix) -> std::optional<int> {
    if (spec.rfind(prefix, 0) != 0) return std::nullopt;
    const std::string rest = spec.substr(prefix.size());
    if (rest.empty()) return 0;
    try {
      std::size_t used = 0;
      const int i = std::stoi(rest, &used);
      if (used == rest.size() && i >= 0) return i;
    } catch (const std::exception&) {
    }
    ignis::detail::fail<DeviceError>("[DeviceScope] cannot parse device \"{}\"", spec);
  };
  if (auto i = indexed("/GPU:")) return Device::cuda(*i);
  if (auto i = indexed("/device:GPU:")) return Device::cuda(*i);
  if (indexed("/CPU:") || indexed("/device:CPU:")) return Device::cpu();
  return Device(spec);
}

DeviceScope::DeviceScope(const std::string& device) : previous_(current()) { scoped_device = parse_keras_device(device); }
DeviceScope::~DeviceScope() { scoped_device = previous_; }
Device DeviceScope::current() { return scoped_device.value_or(Device::cpu()); }

Sequential::Sequential(std::initializer_list<Layer> layers, std::string name) : name_(std::move(name)) {
  for (const Layer& l : layers) add(l);
}

void Sequential::add(const Layer& layer) {
  if (built_ && !declared_input_) {
    ignis::detail::fail<ValueError>("[{}] cannot add layers to a model built from data; declare the input with an "
                                    "Input layer first",
                                    name_);
  }
  if (auto shape = layer.impl()->declared_shape()) {
    if (!layers_.empty()) ignis::detail::fail<ValueError>("[{}] an Input layer must come first", name_);
    declared_input_ = *shape;
  }
  layers_.push_back(layer);
  if (declared_input_) {  // the input shape is known: (re)build now, so summary() works at once
    built_ = false;
    build(*declared_input_);
  }
}

void Sequential::build(const Shape& input_shape) {
  if (built_) return;
  module_ = nn::Sequential();
  output_shapes_.clear();
  Shape shape = input_shape;
  for (const Layer& l : layers_) {
    shape = l.impl()->build(shape);
    output_shapes_.emplace_back(l, shape);
    if (auto m = l.impl()->module()) module_.push_back(m);
  }
  device_ = DeviceScope::current();
  module_.to(device_);
  built_ = true;
}

void Sequential::require_built(const char* op) const {
  if (!built_) {
    ignis::detail::fail<ValueError>("[{}] {}: this model has not yet been built. Build it by calling build(input_shape), "
                             "by starting with an Input layer, or by calling it on a batch of data",
                             name_, op);
  }
}

void Sequential::require_compiled(const char* op) const {
  if (!compiled_) ignis::detail::fail<ValueError>("[{}] {}: call compile() first (optimizer, loss, metrics)", name_, op);
}

void Sequential::compile(CompileOptions options) {
  if (options.loss.empty() && !options.loss_fn) {
    ignis::detail::fail<ValueError>("[{}] compile: give a loss, e.g. {{.loss = \"mse\"}}, or a loss_fn", name_);
  }
  compiled_ = std::move(options);
  loss_fn();  // validates the loss name now
  optimizer_.reset();
}

bool Sequential::outputs_probabilities() const {
  if (layers_.empty()) return false;
  const std::string last = layers_.back().impl()->activation();
  return last == "softmax" || last == "sigmoid";
}

train::LossFn Sequential::loss_fn() const {
  namespace F = nn::functional;
  if (compiled_->loss_fn) return compiled_->loss_fn;
  const std::string& n = compiled_->loss;
  const bool probs = outputs_probabilities();
  if (n == "mse" || n == "mean_squared_error") {
    return [](const Tensor& out, const Tensor& y) { return F::mse_loss(out, y.reshape(out.shape())); };
  }
  if (n == "mae" || n == "mean_absolute_error") {
    return [](const Tensor& out, const Tensor& y) { return F::l1_loss(out, y.reshape(out.shape())); };
  }
  if (n == "huber") {
    return [](const Tensor& out, const Tensor& y) { return F::huber_loss(out, y.reshape(out.shape())); };
  }
  if (n == "sparse_categorical_crossentropy") {
    if (probs) {  // softmax outputs: log of the clipped probabilities (Keras clips at 1e-7)
      return [](const Tensor& out, const Tensor& y) { return F::nll_loss(log(clamp(out, 1e-7, 1.0)), y); };
    }
    return [](const Tensor& out, const Tensor& y) { return F::cross_entropy(out, y); };
  }
  if (n == "categorical_crossentropy") {  // one-hot (or soft) targets
    return [probs](const Tensor& out, const Tensor& y) {
      const Tensor log_p = probs ? log(clamp(out, 1e-7, 1.0)) : log_softmax(out, -1);
      return mean(-sum(log_p * y, {-1}));
    };
  }
  if (n == "binary_crossentropy") {
    if (probs) {
      return [](const Tensor& out, const Tensor& y) {
        const Tensor p = clamp(out, 1e-7, 1.0 - 1e-7), t = y.reshape(out.shape());
        return mean(-(t * log(p) + (1.0 - t) * log(1.0 - p)));
      };
    }
    return [](const Tensor& out, const Tensor& y) { return F::binary_cross_entropy_with_logits(out, y.reshape(out.shape())); };
  }
  ignis::detail::fail<ValueError>("[compile] unknown loss \"{}\"; known: mse, mae, huber, sparse_categorical_crossentropy, "
                           "categorical_crossentropy, binary_crossentropy",
                           n);
}

Tensor Sequential::operator()(const Tensor& x) {
  if (!built_) build(declared_input_.value_or(without_batch(x)));
  return module_(x.to(device_));
}

Sequential& Sequential::to(Device device) {
  device_ = device;
  if (built_) module_.to(device);
  return *this;
}

void Sequential::prepare_training(const Tensor& x) {
  if (!built_) build(declared_input_.value_or(without_batch(x)));
  if (!optimizer_) {
    optimizer_ = compiled_->make_optimizer ? compiled_->make_optimizer(module_.parameters())
                                           : make_optimizer(*compiled_, module_.parameters());
    if (!optimizer_) ignis::detail::fail<ValueError>("[{}] compile: make_optimizer returned no optimizer", name_);
  }
}

train::BatchSizeSearchResult Sequential::find_max_batch_size(const Tensor& x, const Tensor& y, std::int64_t max_batch_size) {
  require_compiled("find_max_batch_size");
  if (!x.defined() || !y.defined() || x.dim() == 0 || y.dim() == 0 || x.size(0) != y.size(0)) {
    ignis::detail::fail<ShapeError>("[{}] find_max_batch_size: x and y must have the same number of samples", name_);
  }
  prepare_training(x);
  const data::TensorDataset dataset(x.detach(), y.detach());
  return train::find_max_batch_size(module_, loss_fn(), *optimizer_, dataset, {.max_batch_size = max_batch_size});
}

History Sequential::fit(const Tensor& x, const Tensor& y, FitArgs args) {
  require_compiled("fit");
  if (!x.defined() || !y.defined() || x.dim() == 0 || y.dim() == 0 || x.size(0) != y.size(0)) {
    ignis::detail::fail<ShapeError>("[{}] fit: x and y must have the same number of samples (first dimension), got {} and {}",
                             name_, x.defined() ? x.shape() : Shape{}, y.defined() ? y.shape() : Shape{});
  }
  if (args.validation_split < 0 || args.validation_split >= 1) {
    ignis::detail::fail<ValueError>("[{}] fit: validation_split must be in [0, 1), got {}", name_, args.validation_split);
  }
  prepare_training(x);

  // Keras holds out the last samples, before any shuffling.
  const std::int64_t n = x.size(0);
  const auto held_out = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * args.validation_split));
  const Tensor x_train = layout::narrow(x.detach(), 0, 0, n - held_out), y_train = layout::narrow(y.detach(), 0, 0, n - held_out);
  std::optional<data::DataLoader> validation;
  const data::DataLoaderOptions val_options{.batch_size = args.batch_size, .prefetch = 0, .device = device_};
  if (held_out > 0) {
    validation.emplace(std::make_shared<data::TensorDataset>(layout::narrow(x.detach(), 0, n - held_out, held_out),
                                                             layout::narrow(y.detach(), 0, n - held_out, held_out)),
                       val_options);
  } else if (args.validation_data) {
    validation.emplace(std::make_shared<data::TensorDataset>(args.validation_data->first.detach(),
                                                             args.validation_data->second.detach()),
                       val_options);
  }
  // Under a memory budget, batches are prepared in step (no prefetch thread): their memory then
  // comes and goes with the step, and an out-of-memory error happens inside the step, where
  // micro-batching can handle it, not in the loader.
  const bool budgeted = memory_limit(device_) > 0 || memory_limit(Device::cpu()) > 0;
  data::DataLoader train_loader(std::make_shared<data::TensorDataset>(x_train, y_train),
                                {.batch_size = args.batch_size, .shuffle = args.shuffle, .seed = args.seed,
                                 .prefetch = budgeted ? 0 : 2, .device = device_, .pin_memory = device_.is_cuda()});
  train::FitOptions options{.epochs = args.epochs,
                            .initial_epoch = args.initial_epoch,
                            .callbacks = args.callbacks,
                            .metrics = compiled_->metrics,
                            .probabilities = outputs_probabilities(),
                            .verbose = args.verbose,
                            .out = args.out,
                            .resume_from = args.resume_from,
                            .on_out_of_memory = args.on_out_of_memory};
  return train::fit(module_, loss_fn(), *optimizer_, train_loader, validation ? &*validation : nullptr, options);
}

Logs Sequential::evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size) {
  require_compiled("evaluate");
  if (!built_) build(declared_input_.value_or(without_batch(x)));
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x.detach(), y.detach()),
                          {.batch_size = batch_size, .prefetch = 0, .device = device_});
  return train::evaluate(module_, loss_fn(), loader, compiled_->metrics, outputs_probabilities());
}

Tensor Sequential::predict(const Tensor& x, std::int64_t batch_size) {
  if (!built_) build(declared_input_.value_or(without_batch(x)));
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x.detach(), x.detach()),
                          {.batch_size = batch_size, .prefetch = 0, .device = device_});
  return train::predict(module_, loader);
}

std::string Sequential::summary() const {
  require_built("summary");
  const std::string rule(65, '_'), thick(65, '=');
  std::string s = fmt::format("Model: \"{}\"\n{}\n {:<27} {:<25} {:<9}\n{}\n", name_, rule, "Layer (type)", "Output Shape",
                              "Param #", thick);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < output_shapes_.size(); ++i) {
    const auto& [layer, shape] = output_shapes_[i];
    std::int64_t params = 0;
    if (auto m = layer.impl()->module()) params = m->parameter_count();
    total += params;
    std::string dims = "(None";
    for (std::int64_t d : shape) dims += fmt::format(", {}", d);
    dims += ")";
    s += fmt::format(" {:<27} {:<25} {:<9}\n", fmt::format("{} ({})", layer.name(), layer.type()), dims, params);
    if (i + 1 < output_shapes_.size()) s += "\n";
  }
  s += fmt::format("{}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: 0\n{}\n", thick, total, total, rule);
  return s;
}

}  // namespace ignis::keras

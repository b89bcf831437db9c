// Keras layers as builders of nn modules.
#include "ignis/keras/layers.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>

#include "core/check.hpp"
#include "ignis/backend/cuda.hpp"
#include "layer_support.hpp"
#include "ignis/nn/activation.hpp"
#include "ignis/nn/layers.hpp"
#include "ignis/nn/linear.hpp"
#include "ignis/nn/sequential.hpp"
#include "ignis/tensor/allocator.hpp"

namespace ignis::keras {

namespace {
std::mutex names_mutex;
std::map<std::string, int> name_counts;
}  // namespace

namespace detail {

/// Keras's automatic names: dense, dense_1, dense_2, ...
std::string unique_name(const std::string& base) {
  std::lock_guard lock(names_mutex);
  const int n = name_counts[base]++;
  return n == 0 ? base : fmt::format("{}_{}", base, n);
}

std::shared_ptr<nn::Module> activation_module(const std::string& name) {
  if (name.empty() || name == "linear") return nullptr;
  if (name == "relu") return std::make_shared<nn::ReLU>();
  if (name == "sigmoid") return std::make_shared<nn::Sigmoid>();
  if (name == "tanh") return std::make_shared<nn::Tanh>();
  if (name == "softmax") return std::make_shared<nn::Softmax>(-1);
  if (name == "gelu") return std::make_shared<nn::GELU>();
  if (name == "leaky_relu") return std::make_shared<nn::LeakyReLU>(0.2);  // Keras's default slope
  ignis::detail::fail<ValueError>("[keras] unknown activation \"{}\"; known: linear, relu, sigmoid, tanh, softmax, gelu, "
                           "leaky_relu",
                           name);
}

}  // namespace detail

namespace {

using detail::activation_module;
using detail::unique_name;


class DenseImpl : public detail::LayerImpl {
 public:
  DenseImpl(std::int64_t units, std::string activation, bool use_bias)
      : units_(units), activation_(std::move(activation)), use_bias_(use_bias) {
    if (units < 1) ignis::detail::fail<ValueError>("[Dense] units must be ≥ 1, got {}", units);
    activation_module(activation_);  // validate the name now, not at build time
    name = unique_name("dense");
  }
  std::string type() const override { return "Dense"; }
  std::string activation() const override { return activation_; }
  Shape build(const Shape& input_shape) override {
    if (input_shape.empty()) ignis::detail::fail<ShapeError>("[Dense {}] needs inputs with at least 1 feature dimension", name);
    auto linear = std::make_shared<nn::Linear>(input_shape.back(), units_, nn::LinearOptions{.bias = use_bias_});
    if (auto act = activation_module(activation_)) {
      auto seq = std::make_shared<nn::Sequential>();
      seq->push_back(linear);
      seq->push_back(act);
      module_ = seq;
    } else {
      module_ = linear;
    }
    Shape out = input_shape;
    out[out.size() - 1] = units_;
    return out;
  }
  std::shared_ptr<nn::Module> module() const override { return module_; }

 private:
  std::int64_t units_;
  std::string activation_;
  bool use_bias_;
  std::shared_ptr<nn::Module> module_;
};

class ActivationImpl : public detail::LayerImpl {
 public:
  explicit ActivationImpl(std::string activation) : activation_(std::move(activation)), module_(activation_module(activation_)) {
    name = unique_name("activation");
  }
  std::string type() const override { return "Activation"; }
  std::string activation() const override { return activation_; }
  Shape build(const Shape& input_shape) override { return input_shape; }
  std::shared_ptr<nn::Module> module() const override { return module_; }

 private:
  std::string activation_;
  std::shared_ptr<nn::Module> module_;
};

class DropoutImpl : public detail::LayerImpl {
 public:
  explicit DropoutImpl(double rate) : module_(std::make_shared<nn::Dropout>(rate)) { name = unique_name("dropout"); }
  std::string type() const override { return "Dropout"; }
  Shape build(const Shape& input_shape) override { return input_shape; }
  std::shared_ptr<nn::Module> module() const override { return module_; }

 private:
  std::shared_ptr<nn::Module> module_;
};

class FlattenImpl : public detail::LayerImpl {
 public:
  FlattenImpl() : module_(std::make_shared<nn::Flatten>(1, -1)) { name = unique_name("flatten"); }
  std::string type() const override { return "Flatten"; }
  Shape build(const Shape& input_shape) override { return Shape{numel(input_shape)}; }
  std::shared_ptr<nn::Module> module() const override { return module_; }

 private:
  std::shared_ptr<nn::Module> module_;
};

class InputImpl : public detail::LayerImpl {
 public:
  explicit InputImpl(Shape shape) : shape_(shape) { name = unique_name("input_layer"); }
  std::string type() const override { return "InputLayer"; }
  Shape build(const Shape& input_shape) override {
    if (input_shape != shape_) {
      ignis::detail::fail<ShapeError>("[Input] the model was declared for inputs {} but gets {}", shape_, input_shape);
    }
    return shape_;
  }
  std::shared_ptr<nn::Module> module() const override { return nullptr; }
  std::optional<Shape> declared_shape() const override { return shape_; }

 private:
  Shape shape_;
};

}  // namespace

Layer::Layer(std::shared_ptr<detail::LayerImpl> impl) : impl_(std::move(impl)) {}

Dense::Dense(std::int64_t units, std::string activation, bool use_bias)
    : Layer(std::make_shared<DenseImpl>(units, std::move(activation), use_bias)) {}
Activation::Activation(std::string activation) : Layer(std::make_shared<ActivationImpl>(std::move(activation))) {}
Dropout::Dropout(double rate) : Layer(std::make_shared<DropoutImpl>(rate)) {}
Flatten::Flatten() : Layer(std::make_shared<FlattenImpl>()) {}
Input::Input(Shape shape) : Layer(std::make_shared<InputImpl>(shape)) {}

void clear_session() {
  {
    std::lock_guard lock(names_mutex);
    name_counts.clear();
  }
  empty_cpu_cache();
  cuda::empty_cache();  // a no-op without a usable CUDA backend
}

}  // namespace ignis::keras

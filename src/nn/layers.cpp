// Linear, the activations, Dropout, Flatten, Embedding, LayerNorm, Sequential.
#include <fmt/format.h>

#include <cmath>

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/linalg.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/nn/activation.hpp"
#include "ignis/nn/functional.hpp"
#include "ignis/nn/init.hpp"
#include "ignis/nn/layers.hpp"
#include "ignis/nn/linear.hpp"
#include "ignis/nn/sequential.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  if (in_features <= 0 || out_features <= 0) {
    detail::fail<ValueError>("[linear] sizes must be positive, got in_features={} out_features={}", in_features,
                             out_features);
  }
  Tensor w = empty({out_features, in_features});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  weight = register_parameter("weight", w);
  if (options.bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    Tensor b = empty({out_features});
    init::uniform_(b, -bound, bound);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) {
  check_input(x, weight, "weight");
  if (x.dim() == 0 || x.size(-1) != in_features_) {
    detail::fail<ShapeError>("{} expected input with {} features in its last dimension, got shape {}", where(),
                             in_features_, x.shape());
  }
  return bias.defined() ? linear(x, weight, bias) : linear(x, weight);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_,
                     bias.defined() ? "True" : "False");
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate_); }
std::string GELU::extra_repr() const { return approximate_ == GeluApproximation::kTanh ? "approximate='tanh'" : ""; }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return functional::leaky_relu(x, negative_slope_); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope_); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim_); }

Dropout::Dropout(double p) : Module("Dropout"), p_(p) {
  if (p < 0 || p > 1) detail::fail<ValueError>("[dropout] probability must be in [0, 1], got {}", p);
}
Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p_, is_training()); }
std::string Dropout::extra_repr() const { return fmt::format("p={}", p_); }

Dropout2d::Dropout2d(double p) : Module("Dropout2d"), p_(p) {
  if (p < 0 || p > 1) detail::fail<ValueError>("[dropout2d] probability must be in [0, 1], got {}", p);
}
Tensor Dropout2d::forward(const Tensor& x) { return functional::dropout2d(x, p_, is_training()); }
std::string Dropout2d::extra_repr() const { return fmt::format("p={}", p_); }

Tensor Flatten::forward(const Tensor& x) { return x.flatten(start_dim_, end_dim_); }
std::string Flatten::extra_repr() const { return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_); }

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim) : Module("Embedding") {
  Tensor w = empty({num_embeddings, embedding_dim});
  init::normal_(w);
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) {
  if (!indices.defined()) detail::fail<ValueError>("{} the input is an undefined tensor", where());
  if (indices.device() != weight.device()) {
    detail::fail<DeviceError>("{} weight is on {} but the indices are on {} — call model.to(device)", where(),
                              weight.device(), indices.device());
  }
  return functional::embedding(indices, weight);
}

std::string Embedding::extra_repr() const { return fmt::format("{}, {}", weight.size(0), weight.size(1)); }

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : Module("LayerNorm"), normalized_shape_(normalized_shape), options_(options) {
  if (options.elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    if (options.bias) bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  if (weight.defined()) check_input(x, weight, "weight");
  return functional::layer_norm(x, normalized_shape_, weight.defined() ? std::optional<Tensor>(weight) : std::nullopt,
                                bias.defined() ? std::optional<Tensor>(bias) : std::nullopt, options_.eps);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("({}), eps={}, elementwise_affine={}", fmt::join(normalized_shape_, ", "), options_.eps,
                     options_.elementwise_affine ? "True" : "False");
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, module] : named_children()) y = module->forward(y);
  return y;
}

}  // namespace ignis::nn

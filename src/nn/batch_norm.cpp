// BatchNorm1d / BatchNorm2d over functional::batch_norm, with PyTorch's buffer handling.
#include "ignis/nn/batch_norm.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/nn/functional.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn {

BatchNorm::BatchNorm(const char* type_name, std::int64_t num_features, BatchNormOptions options,
                     std::vector<int> ranks)
    : Module(type_name), num_features_(num_features), options_(options), ranks_(std::move(ranks)) {
  if (num_features <= 0) detail::fail<ValueError>("[{}] num_features must be positive, got {}", type_name, num_features);
  if (options.affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = DType::kInt64}));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  if (!x.defined()) detail::fail<ValueError>("{} the input is an undefined tensor", where());
  if (std::find(ranks_.begin(), ranks_.end(), x.dim()) == ranks_.end() || x.size(1) != num_features_) {
    detail::fail<ShapeError>("{} expected a {}-D input with {} channels in dimension 1, got shape {}", where(),
                             fmt::join(ranks_, " or "), num_features_, x.shape());
  }
  if (weight.defined()) check_input(x, weight, "weight");
  if (running_mean.defined()) check_input(x, running_mean, "running_mean");
  double momentum = options_.momentum.value_or(0.0);
  if (is_training() && options_.track_running_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.copy_(num_batches_tracked + 1);
    if (!options_.momentum) momentum = 1.0 / static_cast<double>(num_batches_tracked.item<std::int64_t>());
  }
  // Batch statistics in training, and in eval when no running statistics are kept (as PyTorch).
  const bool use_batch_stats = is_training() || !options_.track_running_stats;
  auto opt = [](const Tensor& t) { return t.defined() ? std::optional<Tensor>(t) : std::nullopt; };
  return functional::batch_norm(x, opt(running_mean), opt(running_var), opt(weight), opt(bias), use_batch_stats,
                                momentum, options_.eps);
}

std::string BatchNorm::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features_, options_.eps,
                     options_.momentum ? fmt::format("{}", *options_.momentum) : "None",
                     options_.affine ? "True" : "False", options_.track_running_stats ? "True" : "False");
}

}  // namespace ignis::nn

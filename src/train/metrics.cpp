#include "ignis/train/metrics.hpp"

#include <cmath>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"

namespace ignis::train {

void Accuracy::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  const std::int64_t n = target.dim() == 0 ? 1 : target.size(0);
  const bool binary = output.dim() <= 1 || (output.dim() == 2 && output.size(1) == 1);
  Tensor correct;
  if (binary) {
    const Tensor decision = ops::gt(ops::reshape(output, {-1}), probabilities_ ? 0.5 : 0.0);
    correct = ops::eq(decision, ops::gt(ops::reshape(target, {-1}), 0.5));
  } else {
    correct = ops::eq(ops::argmax(output, 1), ops::to(target, DType::kInt64));
  }
  add(static_cast<double>(ops::sum(correct).item<std::int64_t>()), n);
}

void MeanAbsoluteError::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  const Tensor d = ops::abs(ops::sub(output, ops::reshape(target, output.shape())));
  add(ops::sum(ops::to(d, DType::kFloat64)).item<double>() * static_cast<double>(output.size(0)) /
          static_cast<double>(std::max<std::int64_t>(d.numel(), 1)),
      output.size(0));
}

void MeanSquaredError::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  const Tensor d = ops::sub(output, ops::reshape(target, output.shape()));
  add(ops::sum(ops::to(ops::mul(d, d), DType::kFloat64)).item<double>() * static_cast<double>(output.size(0)) /
          static_cast<double>(std::max<std::int64_t>(d.numel(), 1)),
      output.size(0));
}

std::unique_ptr<Metric> make_metric(const std::string& name, bool probabilities) {
  if (name == "accuracy" || name == "acc") return std::make_unique<Accuracy>(probabilities);
  if (name == "mae" || name == "mean_absolute_error") return std::make_unique<MeanAbsoluteError>();
  if (name == "mse" || name == "mean_squared_error") return std::make_unique<MeanSquaredError>();
  detail::fail<ValueError>("[metrics] unknown metric \"{}\"; known: accuracy, mae, mse", name);
}

}  // namespace ignis::train

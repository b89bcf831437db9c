// Losses as compositions of differentiable ops (PyTorch's formulas; the label-smoothing and
// weighting rules follow aten/src/ATen/native/LossNLL.cpp).
#include "ignis/nn/loss.hpp"

#include "autograd/record.hpp"
#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/index.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn::functional {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::kMean: return mean(loss);
    case Reduction::kSum: return sum(loss);
    case Reduction::kNone: break;
  }
  return loss;
}

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  if (!input.defined() || !target.defined()) detail::fail<ValueError>("[{}] input or target is undefined", op);
  if (input.device() != target.device()) {
    detail::fail<DeviceError>("[{}] input is on {} but target is on {}; move the target with .to({})", op,
                              input.device(), target.device(), input.device());
  }
  if (input.shape() != target.shape()) {
    detail::fail<ShapeError>("[{}] input shape {} and target shape {} differ; reshape the target (broadcasting "
                             "them would silently compare every pair)",
                             op, input.shape(), target.shape());
  }
  if (!is_floating_point(input.dtype())) {
    detail::fail<DTypeError>("[{}] input must be floating point, got {}", op, input.dtype());
  }
}

/// Checks (N, C, ...) scores against (N, ...) class indices; returns the int64 target.
Tensor check_classification(const char* op, const Tensor& scores, const Tensor& target) {
  if (!scores.defined() || !target.defined()) detail::fail<ValueError>("[{}] input or target is undefined", op);
  if (scores.device() != target.device()) {
    detail::fail<DeviceError>("[{}] input is on {} but target is on {}; move the target with .to({})", op,
                              scores.device(), target.device(), scores.device());
  }
  if (!is_integral(target.dtype())) {
    detail::fail<DTypeError>("[{}] target must hold class indices (int64 or int32), got {}; for "
                             "probabilities use binary_cross_entropy_with_logits",
                             op, target.dtype());
  }
  bool ok = scores.dim() >= 2 && target.dim() == scores.dim() - 1 && target.size(0) == scores.size(0);
  for (int d = 2; ok && d < scores.dim(); ++d) ok = target.size(d - 1) == scores.size(d);
  if (!ok) {
    detail::fail<ShapeError>("[{}] expected input (N, C, ...) and target (N, ...), got input {} and target {}", op,
                             scores.shape(), target.shape());
  }
  return target.to(DType::kInt64);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("mse_loss", input, target);
  if (reduction == Reduction::kNone) {
    const Tensor d = input - target;
    return d * d;
  }
  // One graph node instead of four (sub, mul, sum, div): the loss of small models is a good part
  // of their step (W1 in docs/benchmarks.md). d/d(input) = 2 (input - target) / n.
  const Tensor d = ops::sub(input, target);
  const Tensor total = ops::sum(ops::mul(d, d));
  const double n = static_cast<double>(std::max<std::int64_t>(d.numel(), 1));
  Tensor y = reduction == Reduction::kMean ? ops::div(total, d.numel() == 0 ? 0.0 : n) : total;
  if (!autograd::needs_grad({&input, &target})) return y;
  const double scale = reduction == Reduction::kMean ? 2.0 / n : 2.0;
  const bool need_input = input.requires_grad(), need_target = target.requires_grad();
  return autograd::record("MseLossBackward", y, {&input, &target}, [=](const Tensor& g) {
    const Tensor grad = ops::mul(d, ops::mul(g, scale));
    return autograd::Grads{need_input ? grad : Tensor(), need_target ? ops::neg(grad) : Tensor()};
  });
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("l1_loss", input, target);
  return reduce(abs(input - target), reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_pair("smooth_l1_loss", input, target);
  if (beta < 0) detail::fail<ValueError>("[smooth_l1_loss] beta must be ≥ 0, got {}", beta);
  const Tensor d = abs(input - target);
  if (beta == 0) return reduce(d, reduction);
  return reduce(where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_pair("huber_loss", input, target);
  if (delta <= 0) detail::fail<ValueError>("[huber_loss] delta must be > 0, got {}", delta);
  const Tensor d = abs(input - target);
  return reduce(where(d <= delta, d * d * 0.5, (d - 0.5 * delta) * delta), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options) {
  const Tensor t = check_classification("nll_loss", log_probs, target);
  const std::int64_t classes = log_probs.size(1);
  const Tensor valid = t != options.ignore_index;
  const Tensor safe = where(valid, t, 0);
  if (t.numel() > 0) {
    const std::int64_t lo = ops::min(safe).item<std::int64_t>(), hi = ops::max(safe).item<std::int64_t>();
    if (lo < 0 || hi >= classes) {
      detail::fail<IndexError>("[nll_loss] target class {} is out of range for {} classes (0 to {})",
                               lo < 0 ? lo : hi, classes, classes - 1);
    }
  }
  Tensor weight_of_target = valid.to(log_probs.dtype());
  if (options.weight) {
    weight_of_target = weight_of_target * index_select(*options.weight, 0, safe.reshape({-1})).reshape(t.shape());
  }
  const Tensor picked = gather(log_probs, 1, safe.unsqueeze(1)).squeeze(1);
  const Tensor loss = -picked * weight_of_target;
  if (options.reduction == Reduction::kMean) return sum(loss) / sum(weight_of_target);
  return reduce(loss, options.reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options) {
  const Tensor t = check_classification("cross_entropy", logits, target);
  const double eps = options.label_smoothing;
  if (eps < 0 || eps > 1) detail::fail<ValueError>("[cross_entropy] label_smoothing must be in [0, 1], got {}", eps);
  const Tensor log_probs = log_softmax(logits, 1);
  const Tensor nll = nll_loss(log_probs, t, {options.reduction, options.ignore_index, options.weight});
  if (eps == 0) return nll;
  // Smoothing term: -Σ_c w_c log p_c per sample, zero where ignored, reduced like the NLL part.
  const std::int64_t classes = logits.size(1);
  Shape weight_shape;
  weight_shape.resize(logits.dim(), 1);
  weight_shape[1] = classes;
  const Tensor weighted = options.weight ? log_probs * options.weight->reshape(weight_shape) : log_probs;
  const Tensor valid = t != options.ignore_index;
  const Tensor smooth = -sum(weighted, {1}) * valid.to(logits.dtype());
  Tensor smooth_reduced;
  switch (options.reduction) {
    case Reduction::kMean: {
      Tensor denominator = sum(valid.to(logits.dtype()));
      if (options.weight) {
        denominator = sum(index_select(*options.weight, 0, where(valid, t, 0).reshape({-1})).reshape(t.shape()) *
                          valid.to(logits.dtype()));
      }
      smooth_reduced = sum(smooth) / denominator;
      break;
    }
    case Reduction::kSum: smooth_reduced = sum(smooth); break;
    case Reduction::kNone: smooth_reduced = smooth; break;
  }
  return nll * (1 - eps) + smooth_reduced * (eps / static_cast<double>(classes));
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const BceWithLogitsOptions& options) {
  check_pair("binary_cross_entropy_with_logits", logits, target);
  // (1 - t) x + w (log(1 + e^-|x|) + max(-x, 0)), w = 1 + (pos_weight - 1) t: stable for any x.
  const Tensor softplus_neg = log(exp(-abs(logits)) + 1.0) + relu(-logits);
  const Tensor log_weight = options.pos_weight ? (*options.pos_weight - 1.0) * target + 1.0 : ones_like(target);
  return reduce((1.0 - target) * logits + log_weight * softplus_neg, options.reduction);
}

}  // namespace ignis::nn::functional

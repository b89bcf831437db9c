#pragma once
// Losses, as torch.nn.functional (and the module forms below). Inputs and targets must have the
// same shape (ShapeError otherwise: PyTorch would broadcast, which is almost always a bug).
#include <cstdint>
#include <optional>

#include "ignis/tensor/tensor.hpp"

namespace ignis::nn {

enum class Reduction { kMean, kSum, kNone };

struct CrossEntropyOptions {
  Reduction reduction = Reduction::kMean;
  std::int64_t ignore_index = -100;    // targets with this class count neither in the loss nor the mean
  double label_smoothing = 0.0;         // in [0, 1]: mix the target with the uniform distribution
  std::optional<Tensor> weight;         // per-class weights (C)
};

struct NllLossOptions {
  Reduction reduction = Reduction::kMean;
  std::int64_t ignore_index = -100;
  std::optional<Tensor> weight;
};

struct BceWithLogitsOptions {
  Reduction reduction = Reduction::kMean;
  std::optional<Tensor> pos_weight;  // weight of positive examples, broadcast over the last dim
};

namespace functional {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean);
/// 0.5 d²/beta where |d| < beta, else |d| - beta/2.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean,
                      double beta = 1.0);
/// 0.5 d² where |d| <= delta, else delta (|d| - delta/2).
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean,
                  double delta = 1.0);
/// From logits (N, C) or (N, C, d1, ...) and class indices (N) or (N, d1, ...), int64 or int32.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& options = {});
/// From log-probabilities, same shapes as cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options = {});
/// Binary cross-entropy from logits (numerically stable); target of the same shape in [0, 1].
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

}  // namespace functional

/// Module forms: MSELoss loss; loss(prediction, target).
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const { return functional::mse_loss(input, target, reduction_); }

 private:
  Reduction reduction_;
};

class L1Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::kMean) : reduction_(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const { return functional::l1_loss(input, target, reduction_); }

 private:
  Reduction reduction_;
};

class SmoothL1Loss {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::kMean, double beta = 1.0) : reduction_(reduction), beta_(beta) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::smooth_l1_loss(input, target, reduction_, beta_);
  }

 private:
  Reduction reduction_;
  double beta_;
};

class HuberLoss {
 public:
  explicit HuberLoss(Reduction reduction = Reduction::kMean, double delta = 1.0) : reduction_(reduction), delta_(delta) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return functional::huber_loss(input, target, reduction_, delta_);
  }

 private:
  Reduction reduction_;
  double delta_;
};

class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {}) : options_(std::move(options)) {}
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return functional::cross_entropy(logits, target, options_);
  }

 private:
  CrossEntropyOptions options_;
};

class NLLLoss {
 public:
  explicit NLLLoss(NllLossOptions options = {}) : options_(std::move(options)) {}
  Tensor operator()(const Tensor& log_probs, const Tensor& target) const {
    return functional::nll_loss(log_probs, target, options_);
  }

 private:
  NllLossOptions options_;
};

class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(BceWithLogitsOptions options = {}) : options_(std::move(options)) {}
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return functional::binary_cross_entropy_with_logits(logits, target, options_);
  }

 private:
  BceWithLogitsOptions options_;
};

}  // namespace ignis::nn

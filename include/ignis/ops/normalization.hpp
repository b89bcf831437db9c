#pragma once
// Batch and layer normalisation without autograd (the fused forward and backward that
// torch.nn.functional.batch_norm and its gradient run): x is (N, C, ...) with C channels; the
// statistics are per channel over the other dimensions. float32 and float64 only; every tensor
// shares x's dtype and device. The autograd op and the running-statistics update are
// ignis::batch_norm_with_stats (autograd/normalization.hpp) and nn::functional::batch_norm.
#include <array>
#include <optional>

#include "ignis/tensor/tensor.hpp"

namespace ignis::ops {

struct BatchNormForward {
  Tensor y;
  /// The statistics y was normalised with, (C): the batch mean and biased variance in training,
  /// the given ones otherwise.
  Tensor mean, var;
};

/// training: normalises by the batch's statistics (more than one value per channel needed);
/// otherwise by `mean` and `var` (C), which must then be given. weight and bias (C) are
/// optional (1 and 0).
BatchNormForward batch_norm(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                            const std::optional<Tensor>& mean, const std::optional<Tensor>& var, bool training,
                            double eps);

struct BatchNormGrads {
  Tensor x, weight, bias;  // undefined where not wanted
};

/// The gradients of batch_norm from grad_y and the forward's x, weight and statistics
/// (BatchNormForward::mean/var); `want` names which of x, weight (only with a weight) and bias
/// to compute.
BatchNormGrads batch_norm_backward(const Tensor& grad_y, const Tensor& x, const std::optional<Tensor>& weight,
                                   const Tensor& mean, const Tensor& var, bool training, double eps,
                                   std::array<bool, 3> want);

struct LayerNormForward {
  Tensor y;
  /// Each row's mean and 1 / sqrt(biased variance + eps), shaped like x without its normalized
  /// dimensions (torch.native_layer_norm's, without the trailing size-1 dimensions).
  Tensor mean, rstd;
};

/// Layer normalisation (torch.nn.functional.layer_norm's fused forward): x must end with
/// normalized_shape, and each row of its product(normalized_shape) last values is normalised
/// by its own mean and biased variance. weight and bias, optional (1 and 0), have
/// normalized_shape. float32 and float64; every tensor shares x's dtype and device.
LayerNormForward layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                            const std::optional<Tensor>& bias, double eps);

struct LayerNormGrads {
  Tensor x, weight, bias;  // undefined where not wanted
};

/// The gradients of layer_norm from grad_y (x's shape) and the forward's x, weight and
/// statistics (LayerNormForward::mean/rstd); `want` names which of x, weight (only with a
/// weight) and bias to compute.
LayerNormGrads layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Shape& normalized_shape,
                                   const std::optional<Tensor>& weight, const Tensor& mean, const Tensor& rstd,
                                   std::array<bool, 3> want);

}  // namespace ignis::ops

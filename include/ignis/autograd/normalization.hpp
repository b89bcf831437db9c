#pragma once
// Differentiable batch normalisation (shapes and rules as ignis/ops/normalization.hpp):
// gradients flow to the input, the weight and the bias. In training the batch statistics are
// part of the function (x's gradient flows through them); otherwise the given statistics are
// constants. Running-statistics updates are nn::functional::batch_norm's.
#include <optional>

#include "ignis/ops/normalization.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

/// y and the statistics it was normalised with (the batch's in training; no gradient).
ops::BatchNormForward batch_norm_with_stats(const Tensor& x, const std::optional<Tensor>& weight,
                                            const std::optional<Tensor>& bias, const std::optional<Tensor>& mean,
                                            const std::optional<Tensor>& var, bool training, double eps);

/// Differentiable layer normalisation (shapes and rules as ops::layer_norm): y and each row's
/// statistics (no gradient); gradients flow to x, the weight and the bias through the fused
/// backward (ops::layer_norm_backward).
ops::LayerNormForward layer_norm_with_stats(const Tensor& x, const Shape& normalized_shape,
                                            const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                                            double eps);

}  // namespace ignis

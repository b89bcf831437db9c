#pragma once
// Differentiable 2-D convolution and pooling (shapes and options as ignis/ops/conv.hpp).
// Gradients flow to the input, the weight and the bias; max pooling routes each output's
// gradient to the position of its maximum (the first one on ties, as PyTorch).
#include <optional>

#include "ignis/ops/conv.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor conv2d(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              const Conv2dOptions& options = {});
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);

}  // namespace ignis

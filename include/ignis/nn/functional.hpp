#pragma once
// Functional forms of the layers (torch.nn.functional); losses are in ignis/nn/loss.hpp.
#include <cstdint>
#include <optional>

#include "ignis/autograd/conv.hpp"
#include "ignis/core/shape.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::nn::functional {

Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// Zeroes each element with probability p and scales the rest by 1/(1-p) when training; the
/// identity otherwise.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);
/// Normalises over the trailing dimensions `normalized_shape`: (x - mean) / sqrt(var + eps),
/// then * weight + bias when given.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight = std::nullopt,
                  const std::optional<Tensor>& bias = std::nullopt, double eps = 1e-5);
/// Zeroes whole channels (dimension 1 of (N, C, ...), or 0 of an unbatched (C, H, W)) with
/// probability p and scales the rest by 1/(1-p) when training; the identity otherwise.
Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);
/// Batch normalisation over dimension 1 of (N, C, ...) (torch.nn.functional.batch_norm). With
/// training, normalises by the batch statistics and, when running_mean/running_var are given,
/// updates them in place: running = (1 - momentum) * running + momentum * batch (unbiased
/// variance for running_var). Without training, normalises by the running statistics.
Tensor batch_norm(const Tensor& x, const std::optional<Tensor>& running_mean, const std::optional<Tensor>& running_var,
                  const std::optional<Tensor>& weight = std::nullopt, const std::optional<Tensor>& bias = std::nullopt,
                  bool training = false, double momentum = 0.1, double eps = 1e-5);
using ignis::adaptive_avg_pool2d;
using ignis::avg_pool2d;
using ignis::conv2d;
using ignis::max_pool2d;
/// Rows of `weight` (num_embeddings, dim) picked by integer `indices`: shape indices.shape + (dim).
Tensor embedding(const Tensor& indices, const Tensor& weight);

}  // namespace ignis::nn::functional

#pragma once
// Differentiable matrix products (shape rules as ignis/ops/linalg.hpp).
#include <optional>

#include "ignis/ops/linalg.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor matmul(const Tensor& a, const Tensor& b);
/// x (..., in) @ weight (out, in)^T + bias (out).
Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt);

}  // namespace ignis

#pragma once
// Matrix products, with torch.matmul's rules: 1-D x 1-D is a dot product, 2-D x 2-D a matrix
// product, 1-D operands gain (and lose) a dimension, and leading batch dimensions broadcast.
#include <optional>

#include "ignis/tensor/tensor.hpp"

namespace ignis::ops {

Tensor matmul(const Tensor& a, const Tensor& b);
/// x (..., in) @ weight (out, in)^T + bias (out): torch.nn.functional.linear.
Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt);

}  // namespace ignis::ops

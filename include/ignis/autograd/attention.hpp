#pragma once
// Differentiable scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention):
// the fused op of ignis/ops/attention.hpp forward, its fused gradient backward. Gradients reach
// q, k and v; the mask is not differentiated.
#include "ignis/ops/attention.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

}  // namespace ignis

#pragma once
// Scaled dot-product attention without autograd, as one fused op (torch.nn.functional.
// scaled_dot_product_attention): q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev),
//
//   out = dropout(softmax(scale · q kᵀ + mask)) v,   scale = 1/√E unless given,
//
// computed block by block (FlashAttention's loop) so the (L, S) score matrix is never stored
// whole. q, k and v share a dtype (float32 or float64), a device and their leading dimensions.
// A query row that may attend to no key gives 0 (torch's math path gives NaN there).
// The differentiable op is ignis::scaled_dot_product_attention (autograd/attention.hpp).
#include <optional>

#include "ignis/tensor/generator.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

struct AttentionOptions {
  /// Broadcastable to (..., L, S): bool (true = takes part, as torch) or q's dtype (added to the
  /// scores, -inf to exclude). Not differentiated.
  std::optional<Tensor> attn_mask;
  /// Probability of dropping each attention weight (the kept ones scaled by 1/(1-p)).
  double dropout_p = 0.0;
  /// Query i attends to keys j <= i only (top-left aligned when L != S, as torch); exclusive
  /// with attn_mask.
  bool is_causal = false;
  /// Multiplies q kᵀ; 1/√E when absent.
  std::optional<double> scale;
  /// Draws the dropout mask; the default generator when null.
  Generator* generator = nullptr;
};

namespace ops {

struct AttentionForward {
  Tensor out;
  /// (..., L): the log-sum-exp of each query row's scores, what the backward pass recomputes the
  /// probabilities from; -inf for a row with nothing to attend to.
  Tensor lse;
  /// Where the dropout mask was drawn from (the backward pass draws it again).
  PhiloxState dropout_state;
};

AttentionForward scaled_dot_product_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                      const AttentionOptions& options = {});

inline Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                           const AttentionOptions& options = {}) {
  return scaled_dot_product_attention_forward(q, k, v, options).out;
}

struct AttentionGrads {
  Tensor q, k, v;
};

/// The gradients of the forward pass `forward` (computed from q, k, v and options) given the
/// gradient of its output.
AttentionGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k,
                                                     const Tensor& v, const AttentionForward& forward,
                                                     const AttentionOptions& options = {});

}  // namespace ops
}  // namespace ignis

#pragma once
// MultiheadAttention (torch.nn.MultiheadAttention): PyTorch's parameter names, layouts,
// initialisation and mask conventions, computed by the fused scaled_dot_product_attention.
#include <cstdint>
#include <memory>
#include <optional>

#include "ignis/nn/linear.hpp"
#include "ignis/nn/module.hpp"

namespace ignis::nn {

struct MultiheadAttentionOptions {
  double dropout = 0.0;              // on the attention weights, in training mode
  bool bias = true;                  // in_proj_bias and out_proj.bias
  bool batch_first = false;          // inputs (N, L, E) instead of (L, N, E)
  std::optional<std::int64_t> kdim;  // the key's features; embed_dim when absent
  std::optional<std::int64_t> vdim;  // the value's features; embed_dim when absent
};

/// The masks and switches of one MultiheadAttention::forward call (torch's keyword arguments).
struct MhaForwardOptions {
  /// (N, S) (unbatched: (S)): bool, true = this key is padding and is IGNORED (PyTorch's
  /// convention for this argument, the opposite of scaled_dot_product_attention's bool mask),
  /// or the query's float dtype, added to the scores.
  std::optional<Tensor> key_padding_mask;
  /// Return the attention weights (softmax(q kᵀ/√d + mask), after dropout, as torch).
  bool need_weights = false;
  /// (L, S) or (N·num_heads, L, S): bool, true = NOT allowed to attend (PyTorch's MHA
  /// convention), or the query's float dtype, added to the scores.
  std::optional<Tensor> attn_mask;
  /// Average the returned weights over the heads: (N, L, S) instead of (N, num_heads, L, S).
  bool average_attn_weights = true;
  /// Query i attends to keys j <= i only. Without attn_mask this applies the causal mask (torch
  /// raises there instead); with attn_mask it is a hint that the mask is causal, and the mask is
  /// what is applied.
  bool is_causal = false;
};

struct MhaOutput {
  Tensor output;   // (L, N, E), (N, L, E) with batch_first, or (L, E) unbatched
  Tensor weights;  // (N, L, S) or (N, num_heads, L, S) (unbatched without N); undefined unless
                   // need_weights
};

/// Multi-head attention: out_proj(concat_h softmax(q_h k_hᵀ / √head_dim + mask) v_h), with q, k, v
/// the input projections of query, key and value split into num_heads heads of embed_dim /
/// num_heads channels.
///
/// Parameters (torch's names and layouts): `in_proj_weight` (3E, E) holding the q, k and v
/// projections one under the other when kdim == vdim == E, otherwise `q_proj_weight` (E, E),
/// `k_proj_weight` (E, kdim), `v_proj_weight` (E, vdim); `in_proj_bias` (3E) with bias; and the
/// child `out_proj` (Linear(E, E)). Initialisation as torch: xavier_uniform_ for the input
/// projections, zero biases, out_proj.weight as a Linear's.
///
/// Without need_weights the heads run through the fused scaled_dot_product_attention, which never
/// stores the (L, S) score matrix; a query row whose keys are all masked then gives 0. With
/// need_weights the scores are computed explicitly (matmul, softmax) so the weights can be
/// returned; such a row then gives NaN, as in torch.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                     MultiheadAttentionOptions options = {});

  /// query (L, N, E), key (S, N, kdim), value (S, N, vdim) (batch_first: N first; unbatched: no N).
  MhaOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                    const MhaForwardOptions& options = {});
  /// Self-attention without masks: forward(x, x, x).output.
  Tensor forward(const Tensor& x) override;

  std::int64_t embed_dim() const { return embed_dim_; }
  std::int64_t num_heads() const { return num_heads_; }
  bool batch_first() const { return options_.batch_first; }

  Tensor in_proj_weight;                               // (3E, E); undefined when kdim or vdim != E
  Tensor q_proj_weight, k_proj_weight, v_proj_weight;  // defined only when kdim or vdim != E
  Tensor in_proj_bias;                                 // (3E); undefined without bias
  std::shared_ptr<Linear> out_proj;

 private:
  std::int64_t embed_dim_, num_heads_, kdim_, vdim_;
  MultiheadAttentionOptions options_;
};

}  // namespace ignis::nn

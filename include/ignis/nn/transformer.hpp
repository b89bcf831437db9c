#pragma once
// TransformerEncoderLayer and TransformerDecoderLayer (torch.nn's): PyTorch's child names, so
// state dicts line up key for key, and its post-norm / pre-norm (norm_first) formulas.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ignis/nn/attention.hpp"
#include "ignis/nn/layers.hpp"
#include "ignis/nn/linear.hpp"
#include "ignis/nn/module.hpp"

namespace ignis::nn {

struct TransformerLayerOptions {
  std::int64_t dim_feedforward = 2048;
  double dropout = 0.1;             // every Dropout of the layer, and the attention weights'
  std::string activation = "relu";  // of the feed-forward block: "relu" or "gelu" (exact)
  double layer_norm_eps = 1e-5;
  bool batch_first = false;  // (N, L, E) instead of (L, N, E)
  bool norm_first = false;   // pre-norm: x + f(norm(x)); post-norm: norm(x + f(x))
  bool bias = true;          // of every Linear, the attention's and the LayerNorms'
};

/// Masks of TransformerEncoderLayer::forward (see MhaForwardOptions for their conventions:
/// bool src_mask true = not allowed, bool src_key_padding_mask true = padding).
struct EncoderLayerForwardOptions {
  std::optional<Tensor> src_mask;              // (L, L) or (N·nhead, L, L)
  std::optional<Tensor> src_key_padding_mask;  // (N, L)
  bool is_causal = false;  // causal self-attention (applied when src_mask is absent)
};

/// Self-attention then a feed-forward block (linear2(dropout(activation(linear1(x))))), each
/// added to its input (torch.nn.TransformerEncoderLayer):
///   post-norm: x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(ff(x)))
///   pre-norm:  x = x + dropout1(self_attn(norm1(x))); x = x + dropout2(ff(norm2(x)))
/// Children: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(std::int64_t d_model, std::int64_t nhead,
                          TransformerLayerOptions options = {});

  /// src (L, N, E), (N, L, E) with batch_first, or unbatched (L, E); the result has its shape.
  Tensor forward(const Tensor& src, const EncoderLayerForwardOptions& options);
  Tensor forward(const Tensor& src) override { return forward(src, EncoderLayerForwardOptions{}); }

  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  Tensor feed_forward(const Tensor& x);
  TransformerLayerOptions options_;
};

/// Masks of TransformerDecoderLayer::forward, with MhaForwardOptions's conventions.
struct DecoderLayerForwardOptions {
  std::optional<Tensor> tgt_mask;                 // (T, T) or (N·nhead, T, T), self-attention
  std::optional<Tensor> memory_mask;              // (T, S) or (N·nhead, T, S), cross-attention
  std::optional<Tensor> tgt_key_padding_mask;     // (N, T)
  std::optional<Tensor> memory_key_padding_mask;  // (N, S)
  bool tgt_is_causal = false;                     // causal self-attention (when tgt_mask is absent)
  bool memory_is_causal = false;  // causal cross-attention (when memory_mask is absent)
};

/// Self-attention over the target, attention from the target to the memory (the encoder's
/// output), then the feed-forward block (torch.nn.TransformerDecoderLayer):
///   post-norm: x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x))
///   pre-norm:  x = x + sa(norm1(x)); x = x + mha(norm2(x), memory); x = x + ff(norm3(x))
/// with sa/mha/ff followed by dropout1/2/3. Children: self_attn, multihead_attn, linear1,
/// dropout, linear2, norm1, norm2, norm3, dropout1, dropout2, dropout3.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(std::int64_t d_model, std::int64_t nhead,
                          TransformerLayerOptions options = {});

  /// tgt (T, N, E) and memory (S, N, E) (batch_first: N first; unbatched: no N).
  Tensor forward(const Tensor& tgt, const Tensor& memory,
                 const DecoderLayerForwardOptions& options = {});
  /// Throws ValueError: a decoder layer needs the memory; call forward(tgt, memory).
  Tensor forward(const Tensor& tgt) override;

  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;

 private:
  Tensor feed_forward(const Tensor& x);
  TransformerLayerOptions options_;
};

}  // namespace ignis::nn

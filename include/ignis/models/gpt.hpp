#pragma once
// GPT: nanoGPT's model (Karpathy, github.com/karpathy/nanoGPT, model.py) with its parameter
// names, layouts and initialisation, so that a state dict moves between the two both ways:
//
//   transformer.wte.weight (vocab, C)      tied with lm_head.weight
//   transformer.wpe.weight (block, C)
//   transformer.h.{i}.ln_1.weight/bias, .attn.c_attn.weight (3C, C)/bias, .attn.c_proj.*,
//                     .ln_2.*, .mlp.c_fc.weight (4C, C)/bias, .mlp.c_proj.weight (C, 4C)/bias
//   transformer.ln_f.weight/bias
//
// Pre-norm blocks: x + attn(ln_1(x)), then x + mlp(ln_2(x)); causal self-attention through the
// fused scaled_dot_product_attention; the MLP's GELU is the exact one (nanoGPT's nn.GELU()).
// Initialisation: every Linear and Embedding weight N(0, 0.02), biases 0, and the residual
// projections (c_proj) N(0, 0.02/√(2·n_layer)).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ignis/nn/layers.hpp"
#include "ignis/nn/linear.hpp"
#include "ignis/nn/module.hpp"
#include "ignis/nn/sequential.hpp"
#include "ignis/tensor/generator.hpp"

namespace ignis::models {

struct GptConfig {
  std::int64_t block_size = 128;  // the longest context
  std::int64_t vocab_size = 256;  // bytes
  std::int64_t n_layer = 4;
  std::int64_t n_head = 4;
  std::int64_t n_embd = 256;
  double dropout = 0.0;  // embeddings, attention weights, residual branches
  bool bias = true;      // in the Linear and LayerNorm layers

  /// Throws ValueError naming the field when the configuration cannot build a model.
  void validate() const;
};

/// nanoGPT's CausalSelfAttention: one projection to q, k, v (c_attn), the heads' fused causal
/// attention, the output projection (c_proj).
class CausalSelfAttention : public nn::Module {
 public:
  explicit CausalSelfAttention(const GptConfig& config);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<nn::Linear> c_attn, c_proj;

 private:
  std::int64_t n_head_, n_embd_;
  double dropout_;
  std::shared_ptr<nn::Dropout> resid_dropout_;
};

class GptMlp : public nn::Module {
 public:
  explicit GptMlp(const GptConfig& config);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<nn::Linear> c_fc, c_proj;

 private:
  std::shared_ptr<nn::Dropout> dropout_;
};

class GptBlock : public nn::Module {
 public:
  explicit GptBlock(const GptConfig& config);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
  std::shared_ptr<CausalSelfAttention> attn;
  std::shared_ptr<GptMlp> mlp;
};

/// nanoGPT's `transformer` ModuleDict: the embeddings, the blocks and the final norm.
class GptTransformer : public nn::Module {
 public:
  explicit GptTransformer(const GptConfig& config);
  /// Not a layer of its own: GPT::forward runs its parts.
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<nn::Embedding> wte, wpe;
  std::shared_ptr<nn::Dropout> drop;
  std::shared_ptr<nn::Sequential> h;
  std::shared_ptr<nn::LayerNorm> ln_f;
};

struct GenerateOptions {
  std::int64_t max_new_tokens = 100;
  double temperature = 1.0;             // > 0; below 1 sharpens, above 1 flattens
  std::optional<std::int64_t> top_k;    // sample among the k most likely tokens only
  Generator* generator = nullptr;       // the default generator when null
};

class GPT : public nn::Module {
 public:
  /// Builds and initialises the model; the initialisation draws from `generator` (the default
  /// one when null).
  explicit GPT(GptConfig config, Generator* generator = nullptr);

  /// idx (B, T) int64 token ids, T <= block_size -> logits (B, T, vocab_size).
  Tensor forward(const Tensor& idx) override;
  /// Mean cross-entropy of the next-token predictions: logits of idx against targets (B, T).
  Tensor loss(const Tensor& idx, const Tensor& targets);
  /// Continues each row of idx (B, T) by max_new_tokens sampled tokens (the context cropped to
  /// the last block_size), in evaluation mode without gradients; returns (B, T + new).
  Tensor generate(const Tensor& idx, const GenerateOptions& options = {});

  const GptConfig& config() const { return config_; }
  /// Parameters without the position embedding (nanoGPT's get_num_params()).
  std::int64_t non_embedding_parameter_count() const;

  std::shared_ptr<GptTransformer> transformer;
  std::shared_ptr<nn::Module> lm_head;  // holds "weight", the same tensor as transformer->wte->weight

 protected:
  std::string extra_repr() const override;

 private:
  GptConfig config_;
};

}  // namespace ignis::models

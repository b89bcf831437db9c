// nanoGPT's GPT in ignis's modules (see the header for the names and the initialisation).
#include "ignis/models/gpt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.hpp"
#include "ignis/autograd/attention.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/join.hpp"
#include "ignis/autograd/linalg.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/nn/activation.hpp"
#include "ignis/nn/functional.hpp"
#include "ignis/nn/init.hpp"
#include "ignis/nn/loss.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::models {

namespace {

constexpr double kInitStd = 0.02;

/// A module holding one parameter under "weight" that belongs to another module (weight tying):
/// nanoGPT's lm_head, whose weight is the token embedding's.
class TiedWeight : public nn::Module {
 public:
  explicit TiedWeight(const Tensor& weight) : Module("Linear"), weight_(register_shared_parameter("weight", weight)) {}
  Tensor forward(const Tensor& x) override { return linear(x, weight_); }

 protected:
  std::string extra_repr() const override {
    return fmt::format("in_features={}, out_features={}, bias=False", weight_.size(1), weight_.size(0));
  }

 private:
  Tensor weight_;  // the same handle as the embedding's (to() changes data in place, not handles)
};

nn::LayerNormOptions layer_norm_options(const GptConfig& c) { return {.eps = 1e-5, .bias = c.bias}; }

}  // namespace

void GptConfig::validate() const {
  const auto positive = [](std::int64_t v, const char* what) {
    if (v <= 0) detail::fail<ValueError>("[GPT] {} must be positive, got {}", what, v);
  };
  positive(block_size, "block_size");
  positive(vocab_size, "vocab_size");
  positive(n_layer, "n_layer");
  positive(n_head, "n_head");
  positive(n_embd, "n_embd");
  if (n_embd % n_head != 0) {
    detail::fail<ValueError>("[GPT] n_embd ({}) must be a multiple of n_head ({}): each head gets n_embd / n_head "
                             "channels",
                             n_embd, n_head);
  }
  if (!(dropout >= 0 && dropout < 1)) detail::fail<ValueError>("[GPT] dropout must be in [0, 1), got {}", dropout);
}

CausalSelfAttention::CausalSelfAttention(const GptConfig& c)
    : Module("CausalSelfAttention"), n_head_(c.n_head), n_embd_(c.n_embd), dropout_(c.dropout) {
  c_attn = register_module("c_attn", std::make_shared<nn::Linear>(c.n_embd, 3 * c.n_embd, nn::LinearOptions{c.bias}));
  c_proj = register_module("c_proj", std::make_shared<nn::Linear>(c.n_embd, c.n_embd, nn::LinearOptions{c.bias}));
  resid_dropout_ = register_module("resid_dropout", std::make_shared<nn::Dropout>(c.dropout));
}

Tensor CausalSelfAttention::forward(const Tensor& x) {
  const std::int64_t b = x.size(0), t = x.size(1), head_size = n_embd_ / n_head_;
  const Tensor qkv = c_attn->forward(x);
  // (B, T, C) slices of the projection viewed as (B, nh, T, hs): no copies.
  const auto heads = [&](int part) {
    return qkv.narrow(2, part * n_embd_, n_embd_).view({b, t, n_head_, head_size}).transpose(1, 2);
  };
  const Tensor y = scaled_dot_product_attention(heads(0), heads(1), heads(2),
                                                {.dropout_p = is_training() ? dropout_ : 0.0, .is_causal = true});
  // The fused op lays its output out as (B, T, nh, hs): merging the heads is a view.
  return resid_dropout_->forward(c_proj->forward(y.transpose(1, 2).reshape({b, t, n_embd_})));
}

GptMlp::GptMlp(const GptConfig& c) : Module("MLP") {
  c_fc = register_module("c_fc", std::make_shared<nn::Linear>(c.n_embd, 4 * c.n_embd, nn::LinearOptions{c.bias}));
  register_module("gelu", std::make_shared<nn::GELU>());
  c_proj = register_module("c_proj", std::make_shared<nn::Linear>(4 * c.n_embd, c.n_embd, nn::LinearOptions{c.bias}));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(c.dropout));
}

Tensor GptMlp::forward(const Tensor& x) { return dropout_->forward(c_proj->forward(gelu(c_fc->forward(x)))); }

GptBlock::GptBlock(const GptConfig& c) : Module("Block") {
  ln_1 = register_module("ln_1", std::make_shared<nn::LayerNorm>(Shape{c.n_embd}, layer_norm_options(c)));
  attn = register_module("attn", std::make_shared<CausalSelfAttention>(c));
  ln_2 = register_module("ln_2", std::make_shared<nn::LayerNorm>(Shape{c.n_embd}, layer_norm_options(c)));
  mlp = register_module("mlp", std::make_shared<GptMlp>(c));
}

Tensor GptBlock::forward(const Tensor& x) {
  const Tensor y = x + attn->forward(ln_1->forward(x));
  return y + mlp->forward(ln_2->forward(y));
}

GptTransformer::GptTransformer(const GptConfig& c) : Module("ModuleDict") {
  wte = register_module("wte", std::make_shared<nn::Embedding>(c.vocab_size, c.n_embd));
  wpe = register_module("wpe", std::make_shared<nn::Embedding>(c.block_size, c.n_embd));
  drop = register_module("drop", std::make_shared<nn::Dropout>(c.dropout));
  h = register_module("h", std::make_shared<nn::Sequential>());
  for (std::int64_t i = 0; i < c.n_layer; ++i) h->push_back(std::make_shared<GptBlock>(c));
  ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(Shape{c.n_embd}, layer_norm_options(c)));
}

Tensor GptTransformer::forward(const Tensor&) {
  detail::fail<ValueError>("[GPT] transformer is a container; call the GPT itself");
}

GPT::GPT(GptConfig config, Generator* generator) : Module("GPT"), config_(config) {
  config_.validate();
  transformer = register_module("transformer", std::make_shared<GptTransformer>(config_));
  lm_head = register_module("lm_head", std::make_shared<TiedWeight>(transformer->wte->weight));
  // nanoGPT's _init_weights, then the scaled residual projections.
  NoGradGuard no_grad;
  const double residual_std = kInitStd / std::sqrt(2.0 * static_cast<double>(config_.n_layer));
  for (auto& [name, p] : named_parameters()) {
    const bool is_bias = name.size() >= 5 && name.ends_with(".bias");
    const bool is_norm = name.find(".ln_") != std::string::npos;
    if (is_norm) continue;  // LayerNorm: weight 1, bias 0 as constructed
    if (is_bias) {
      nn::init::zeros_(p);
    } else {
      nn::init::normal_(p, 0.0, name.ends_with("c_proj.weight") ? residual_std : kInitStd, generator);
    }
  }
}

Tensor GPT::forward(const Tensor& idx) {
  if (!idx.defined() || idx.dim() != 2 || idx.dtype() != kInt64) {
    detail::fail<ShapeError>("[GPT] expected token ids of shape (batch, time) and dtype int64, got {}",
                             idx.defined() ? fmt::format("{} {}", idx.shape(), name(idx.dtype())) : "undefined");
  }
  const std::int64_t t = idx.size(1);
  if (t > config_.block_size) {
    detail::fail<ShapeError>("[GPT] a sequence of {} tokens is longer than the block size {}; crop it to the last {}",
                             t, config_.block_size, config_.block_size);
  }
  const Tensor pos = arange(t, {.dtype = kInt64, .device = idx.device()});
  Tensor x = transformer->drop->forward(transformer->wte->forward(idx) + transformer->wpe->forward(pos));
  x = transformer->h->forward(x);
  x = transformer->ln_f->forward(x);
  return lm_head->forward(x);
}

Tensor GPT::loss(const Tensor& idx, const Tensor& targets) {
  const Tensor logits = forward(idx);
  return nn::functional::cross_entropy(logits.reshape({-1, config_.vocab_size}), targets.reshape({-1}));
}

Tensor GPT::generate(const Tensor& idx, const GenerateOptions& options) {
  if (!(options.temperature > 0)) {
    detail::fail<ValueError>("[GPT] temperature must be positive, got {}", options.temperature);
  }
  if (options.top_k && *options.top_k <= 0) detail::fail<ValueError>("[GPT] top_k must be positive, got {}", *options.top_k);
  if (!idx.defined() || idx.dim() != 2 || idx.size(1) == 0) {
    detail::fail<ShapeError>("[GPT] generate needs a prompt of shape (batch, time) with at least one token");
  }
  NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  Generator& generator = options.generator != nullptr ? *options.generator : default_generator();
  const std::int64_t batch = idx.size(0), vocab = config_.vocab_size;
  Tensor tokens = idx;
  for (std::int64_t step = 0; step < options.max_new_tokens; ++step) {
    const std::int64_t t = tokens.size(1);
    const Tensor context = t > config_.block_size ? tokens.narrow(1, t - config_.block_size, config_.block_size) : tokens;
    const Tensor last = forward(context).select(1, -1).to(Device::cpu()).to(kFloat64).contiguous();
    const Tensor draws = rand({batch}, {.dtype = kFloat64}, &generator);
    const double* logits = last.data_ptr<double>();
    std::vector<std::int64_t> next(static_cast<std::size_t>(batch));
    for (std::int64_t b = 0; b < batch; ++b) {
      std::vector<double> row(logits + b * vocab, logits + (b + 1) * vocab);
      for (double& v : row) v /= options.temperature;
      double cutoff = -INFINITY;
      if (options.top_k && *options.top_k < vocab) {
        std::vector<double> sorted = row;
        std::nth_element(sorted.begin(), sorted.begin() + (*options.top_k - 1), sorted.end(), std::greater<>());
        cutoff = sorted[static_cast<std::size_t>(*options.top_k - 1)];
      }
      const double top = *std::max_element(row.begin(), row.end());
      double total = 0;
      for (double& v : row) {
        v = v < cutoff ? 0.0 : std::exp(v - top);
        total += v;
      }
      // Inverse CDF of the softmax at one uniform draw.
      double u = draws.data_ptr<double>()[b] * total;
      std::int64_t choice = -1, last_possible = 0;
      for (std::int64_t j = 0; j < vocab && choice < 0; ++j) {
        const double w = row[static_cast<std::size_t>(j)];
        if (w <= 0) continue;
        last_possible = j;
        if (u < w) choice = j;
        u -= w;
      }
      next[static_cast<std::size_t>(b)] = choice >= 0 ? choice : last_possible;  // u at the very end: rounding
    }
    const Tensor column = from_vector(next, {batch, 1}).to(tokens.device());
    tokens = cat({tokens, column}, 1);
  }
  train(was_training);
  return tokens;
}

std::int64_t GPT::non_embedding_parameter_count() const {
  return parameter_count() - transformer->wpe->weight.numel();
}

std::string GPT::extra_repr() const {
  return fmt::format("block_size={}, vocab_size={}, n_layer={}, n_head={}, n_embd={}, dropout={}, bias={}",
                     config_.block_size, config_.vocab_size, config_.n_layer, config_.n_head, config_.n_embd,
                     config_.dropout, config_.bias ? "True" : "False");
}

}  // namespace ignis::models

// TransformerEncoderLayer and TransformerDecoderLayer, in torch's order of children and formulas.
#include "ignis/nn/transformer.hpp"

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/operators.hpp"

namespace ignis::nn {

namespace {

void validate(std::int64_t d_model, std::int64_t nhead, const TransformerLayerOptions& o,
              const char* layer) {
  if (o.activation != "relu" && o.activation != "gelu") {
    detail::fail<ValueError>("[{}] activation must be \"relu\" or \"gelu\", got \"{}\"", layer,
                             o.activation);
  }
  if (d_model <= 0 || nhead <= 0 || o.dim_feedforward <= 0) {
    detail::fail<ValueError>(
        "[{}] sizes must be positive, got d_model={} nhead={} dim_feedforward={}", layer, d_model,
        nhead, o.dim_feedforward);
  }
  if (d_model % nhead != 0) {
    detail::fail<ValueError>(
        "[{}] d_model ({}) must be divisible by nhead ({}): each head gets d_model / nhead "
        "channels; pick an nhead that divides {}",
        layer, d_model, nhead, d_model);
  }
}

Tensor activate(const Tensor& x, const std::string& activation) {
  return activation == "gelu" ? gelu(x) : relu(x);
}

MultiheadAttentionOptions attention_options(const TransformerLayerOptions& o) {
  return {.dropout = o.dropout, .bias = o.bias, .batch_first = o.batch_first};
}

LayerNormOptions norm_options(const TransformerLayerOptions& o) {
  return {.eps = o.layer_norm_eps, .bias = o.bias};
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(std::int64_t d_model, std::int64_t nhead,
                                                 TransformerLayerOptions options)
    : Module("TransformerEncoderLayer"), options_(options) {
  validate(d_model, nhead, options, "transformerencoderlayer");
  const LinearOptions linear_options{options.bias};
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(
                                               d_model, nhead, attention_options(options)));
  linear1 = register_module(
      "linear1", std::make_shared<Linear>(d_model, options.dim_feedforward, linear_options));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module(
      "linear2", std::make_shared<Linear>(options.dim_feedforward, d_model, linear_options));
  norm1 =
      register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, norm_options(options)));
  norm2 =
      register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, norm_options(options)));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
}

Tensor TransformerEncoderLayer::feed_forward(const Tensor& x) {
  return dropout2->forward(
      linear2->forward(dropout->forward(activate(linear1->forward(x), options_.activation))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src,
                                        const EncoderLayerForwardOptions& options) {
  const auto self_attention = [&](const Tensor& x) {
    const MhaForwardOptions mha{.key_padding_mask = options.src_key_padding_mask,
                                .attn_mask = options.src_mask,
                                .is_causal = options.is_causal};
    return dropout1->forward(self_attn->forward(x, x, x, mha).output);
  };
  Tensor x = src;
  if (options_.norm_first) {
    x = x + self_attention(norm1->forward(x));
    return x + feed_forward(norm2->forward(x));
  }
  x = norm1->forward(x + self_attention(x));
  return norm2->forward(x + feed_forward(x));
}

TransformerDecoderLayer::TransformerDecoderLayer(std::int64_t d_model, std::int64_t nhead,
                                                 TransformerLayerOptions options)
    : Module("TransformerDecoderLayer"), options_(options) {
  validate(d_model, nhead, options, "transformerdecoderlayer");
  const LinearOptions linear_options{options.bias};
  self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(
                                               d_model, nhead, attention_options(options)));
  multihead_attn = register_module(
      "multihead_attn",
      std::make_shared<MultiheadAttention>(d_model, nhead, attention_options(options)));
  linear1 = register_module(
      "linear1", std::make_shared<Linear>(d_model, options.dim_feedforward, linear_options));
  dropout = register_module("dropout", std::make_shared<Dropout>(options.dropout));
  linear2 = register_module(
      "linear2", std::make_shared<Linear>(options.dim_feedforward, d_model, linear_options));
  norm1 =
      register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, norm_options(options)));
  norm2 =
      register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, norm_options(options)));
  norm3 =
      register_module("norm3", std::make_shared<LayerNorm>(Shape{d_model}, norm_options(options)));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(options.dropout));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(options.dropout));
  dropout3 = register_module("dropout3", std::make_shared<Dropout>(options.dropout));
}

Tensor TransformerDecoderLayer::feed_forward(const Tensor& x) {
  return dropout3->forward(
      linear2->forward(dropout->forward(activate(linear1->forward(x), options_.activation))));
}

Tensor TransformerDecoderLayer::forward(const Tensor&) {
  detail::fail<ValueError>(
      "{} needs the memory (the encoder's output): call forward(tgt, memory, options)", where());
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const DecoderLayerForwardOptions& options) {
  if (!memory.defined()) detail::fail<ValueError>("{} memory is an undefined tensor", where());
  const auto self_attention = [&](const Tensor& x) {
    const MhaForwardOptions mha{.key_padding_mask = options.tgt_key_padding_mask,
                                .attn_mask = options.tgt_mask,
                                .is_causal = options.tgt_is_causal};
    return dropout1->forward(self_attn->forward(x, x, x, mha).output);
  };
  const auto cross_attention = [&](const Tensor& x) {
    const MhaForwardOptions mha{.key_padding_mask = options.memory_key_padding_mask,
                                .attn_mask = options.memory_mask,
                                .is_causal = options.memory_is_causal};
    return dropout2->forward(multihead_attn->forward(x, memory, memory, mha).output);
  };
  Tensor x = tgt;
  if (options_.norm_first) {
    x = x + self_attention(norm1->forward(x));
    x = x + cross_attention(norm2->forward(x));
    return x + feed_forward(norm3->forward(x));
  }
  x = norm1->forward(x + self_attention(x));
  x = norm2->forward(x + cross_attention(x));
  return norm3->forward(x + feed_forward(x));
}

}  // namespace ignis::nn

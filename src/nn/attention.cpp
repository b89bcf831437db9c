// MultiheadAttention: torch's parameters and mask conventions on top of the fused attention op.
#include "ignis/nn/attention.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "core/check.hpp"
#include "ignis/autograd/attention.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/linalg.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/nn/functional.hpp"
#include "ignis/nn/init.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn {

namespace {

/// A bool mask (true = blocked) as the additive mask torch turns it into: -inf where blocked.
/// Every mask becomes additive so the pieces (attn_mask, key_padding_mask, the causal rule)
/// combine by addition, whatever kind each was given as.
Tensor additive(const Tensor& blocked, DType dtype) {
  return masked_fill(zeros(blocked.shape(), {.dtype = dtype, .device = blocked.device()}), blocked,
                     -INFINITY);
}

/// (L, S) bool, true where key j comes after query i: the causal rule, top-left aligned.
Tensor causal_blocked(std::int64_t l, std::int64_t s, Device device) {
  const Tensor rows = arange(l, {.dtype = kInt64, .device = device}).unsqueeze(1);
  const Tensor cols = arange(s, {.dtype = kInt64, .device = device}).unsqueeze(0);
  return rows < cols;
}

}  // namespace

MultiheadAttention::MultiheadAttention(std::int64_t embed_dim, std::int64_t num_heads,
                                       MultiheadAttentionOptions options)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(options.kdim.value_or(embed_dim)),
      vdim_(options.vdim.value_or(embed_dim)),
      options_(options) {
  if (embed_dim <= 0 || num_heads <= 0 || kdim_ <= 0 || vdim_ <= 0) {
    detail::fail<ValueError>(
        "[multiheadattention] sizes must be positive, got embed_dim={} num_heads={} kdim={} "
        "vdim={}",
        embed_dim, num_heads, kdim_, vdim_);
  }
  if (embed_dim % num_heads != 0) {
    detail::fail<ValueError>(
        "[multiheadattention] embed_dim ({}) must be divisible by num_heads ({}): each head "
        "gets embed_dim / num_heads channels; pick a num_heads that divides {}",
        embed_dim, num_heads, embed_dim);
  }
  if (!(options.dropout >= 0 && options.dropout <= 1)) {
    detail::fail<ValueError>("[multiheadattention] dropout must be in [0, 1], got {}",
                             options.dropout);
  }
  const auto xavier = [](Shape shape) {
    Tensor w = empty(shape);
    init::xavier_uniform_(w);
    return w;
  };
  // torch registers the packed weight only when all three projections read embed_dim features.
  if (kdim_ == embed_dim && vdim_ == embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", xavier({3 * embed_dim, embed_dim}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", xavier({embed_dim, embed_dim}));
    k_proj_weight = register_parameter("k_proj_weight", xavier({embed_dim, kdim_}));
    v_proj_weight = register_parameter("v_proj_weight", xavier({embed_dim, vdim_}));
  }
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}));
  out_proj = register_module(
      "out_proj", std::make_shared<Linear>(embed_dim, embed_dim, LinearOptions{options.bias}));
  if (options.bias) init::zeros_(out_proj->bias);
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x).output; }

MhaOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const MhaForwardOptions& options) {
  const bool packed = in_proj_weight.defined();
  const Tensor& first_weight = packed ? in_proj_weight : q_proj_weight;
  check_input(query, first_weight, packed ? "in_proj_weight" : "q_proj_weight");
  check_input(key, first_weight, packed ? "in_proj_weight" : "q_proj_weight");
  check_input(value, first_weight, packed ? "in_proj_weight" : "q_proj_weight");
  const char* layout = options_.batch_first ? "(N, L, E)" : "(L, N, E)";
  if ((query.dim() != 2 && query.dim() != 3) || key.dim() != query.dim() ||
      value.dim() != query.dim()) {
    detail::fail<ShapeError>(
        "{} query, key and value must all be batched {} or all unbatched (L, E), got query {}, "
        "key {}, value {}",
        where(), layout, query.shape(), key.shape(), value.shape());
  }
  const bool batched = query.dim() == 3;
  // Everything below works on batch-first (N, L, ·) views.
  const auto batch_first = [&](const Tensor& t) {
    return !batched ? t.unsqueeze(0) : options_.batch_first ? t : t.transpose(0, 1);
  };
  const Tensor q_in = batch_first(query), k_in = batch_first(key), v_in = batch_first(value);
  const std::int64_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1), e = embed_dim_,
                     h = num_heads_;
  if (k_in.size(0) != n || v_in.size(0) != n || v_in.size(1) != s || q_in.size(2) != e ||
      k_in.size(2) != kdim_ || v_in.size(2) != vdim_) {
    detail::fail<ShapeError>(
        "{} expected query {}, key {} and value {} with the same batch size N, key and value "
        "of the same length S, and E={}, kdim={}, vdim={} features; got query {}, key {}, "
        "value {}",
        where(), layout, options_.batch_first ? "(N, S, kdim)" : "(S, N, kdim)",
        options_.batch_first ? "(N, S, vdim)" : "(S, N, vdim)", e, kdim_, vdim_, query.shape(),
        key.shape(), value.shape());
  }

  // Input projections. Self-attention with the packed weight is one matmul, sliced.
  const auto bias_part = [&](int i) -> std::optional<Tensor> {
    if (!in_proj_bias.defined()) return std::nullopt;
    return in_proj_bias.narrow(0, i * e, e);
  };
  Tensor q, k, v;
  if (packed && query.is_same(key) && key.is_same(value)) {
    const Tensor qkv = in_proj_bias.defined() ? linear(q_in, in_proj_weight, in_proj_bias)
                                              : linear(q_in, in_proj_weight);
    q = qkv.narrow(2, 0, e), k = qkv.narrow(2, e, e), v = qkv.narrow(2, 2 * e, e);
  } else {
    const auto weight_part = [&](int i) {
      return packed   ? in_proj_weight.narrow(0, i * e, e)
             : i == 0 ? q_proj_weight
             : i == 1 ? k_proj_weight
                      : v_proj_weight;
    };
    q = linear(q_in, weight_part(0), bias_part(0));
    k = linear(k_in, weight_part(1), bias_part(1));
    v = linear(v_in, weight_part(2), bias_part(2));
  }
  const std::int64_t head_dim = e / h;
  const auto heads = [&](const Tensor& t, std::int64_t len) {
    return t.reshape({n, len, h, head_dim}).transpose(1, 2);
  };
  const Tensor qh = heads(q, l), kh = heads(k, s), vh = heads(v, s);

  // The masks, each made additive and broadcastable to the scores (N, H, L, S).
  const DType dtype = query.dtype();
  const auto check_mask = [&](const Tensor& m, const char* what) {
    if (!m.defined()) detail::fail<ValueError>("{} {} is an undefined tensor", where(), what);
    if (m.device() != query.device()) {
      detail::fail<DeviceError>("{} {} is on {} but the query is on {} — move it with .to({})",
                                where(), what, m.device(), query.device(), query.device());
    }
  };
  std::vector<Tensor> masks;
  bool fused_causal = false;
  if (options.attn_mask) {
    const Tensor& m = *options.attn_mask;
    check_mask(m, "attn_mask");
    if (m.dtype() != kBool && m.dtype() != dtype) {
      detail::fail<DTypeError>(
          "{} attn_mask must be bool (true = not allowed) or the query's dtype {} (added to the "
          "scores), got {}",
          where(), dtype, m.dtype());
    }
    const bool two_d = m.dim() == 2 && m.size(0) == l && m.size(1) == s;
    const bool three_d = m.dim() == 3 && m.size(0) == n * h && m.size(1) == l && m.size(2) == s;
    if (!two_d && !three_d) {
      detail::fail<ShapeError>(
          "{} attn_mask must be (L, S) = ({}, {}) or (N·num_heads, L, S) = ({}, {}, {}), got {}",
          where(), l, s, n * h, l, s, m.shape());
    }
    const Tensor shaped = three_d ? m.reshape({n, h, l, s}) : m;
    masks.push_back(m.dtype() == kBool ? additive(shaped, dtype) : shaped);
  } else if (options.is_causal) {
    // The fused op applies the causal rule itself when it is the only mask.
    if (!options.key_padding_mask && !options.need_weights) {
      fused_causal = true;
    } else {
      masks.push_back(additive(causal_blocked(l, s, query.device()), dtype));
    }
  }
  if (options.key_padding_mask) {
    const Tensor& m = *options.key_padding_mask;
    check_mask(m, "key_padding_mask");
    if (m.dtype() != kBool && m.dtype() != dtype) {
      detail::fail<DTypeError>(
          "{} key_padding_mask must be bool (true = ignore this key) or the query's dtype {}, "
          "got {}",
          where(), dtype, m.dtype());
    }
    const bool ok = batched ? (m.dim() == 2 && m.size(0) == n && m.size(1) == s)
                            : (m.dim() == 1 && m.size(0) == s);
    if (!ok) {
      detail::fail<ShapeError>(
          "{} key_padding_mask must be {} (one flag per key), got {}", where(),
          batched ? fmt::format("(N, S) = ({}, {})", n, s) : fmt::format("(S) = ({})", s),
          m.shape());
    }
    const Tensor shaped = m.reshape({n, 1, 1, s});
    masks.push_back(m.dtype() == kBool ? additive(shaped, dtype) : shaped);
  }
  std::optional<Tensor> mask;
  for (const Tensor& m : masks) mask = mask ? *mask + m : m;

  const double dropout_p = is_training() ? options_.dropout : 0.0;
  Tensor y, weights;
  if (!options.need_weights) {
    y = scaled_dot_product_attention(
        qh, kh, vh, {.attn_mask = mask, .dropout_p = dropout_p, .is_causal = fused_causal});
  } else {
    // Explicit scores so the weights exist to be returned (torch's need_weights path: q scaled
    // first, weights returned after dropout).
    Tensor scores =
        matmul(qh * (1.0 / std::sqrt(static_cast<double>(head_dim))), kh.transpose(-2, -1));
    if (mask) scores = scores + *mask;
    Tensor attn = softmax(scores, -1);
    if (dropout_p > 0) attn = functional::dropout(attn, dropout_p, true);
    y = matmul(attn, vh);
    weights = options.average_attn_weights ? mean(attn, {1}) : attn;
    if (!batched) weights = weights.select(0, 0);
  }
  Tensor out = out_proj->forward(y.transpose(1, 2).reshape({n, l, e}));
  out = !batched ? out.select(0, 0) : options_.batch_first ? out : out.transpose(0, 1);
  return {out, weights};
}

}  // namespace ignis::nn

// Scaled dot-product attention: argument checks, the (B, H, rows, cols) views the backends work
// on, and the output layouts. The output (and each gradient) is allocated as (B, L, H, ·) and
// handed out as its (B, H, L, ·) view, so the usual `out.transpose(1, 2).reshape(B, L, H·Ev)`
// that merges the heads is free, as is the head split of q, k and v's gradients.
#include "ignis/ops/attention.hpp"

#include <cmath>

#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

/// t (..., rows, cols) as (B, H, rows, cols): a matrix is one head of one batch, a 3-D tensor
/// (N, rows, cols) N batches of one head; leading dimensions beyond two are merged into B.
Tensor as_4d(const Tensor& t) {
  if (t.dim() == 2) return layout::unsqueeze(layout::unsqueeze(t, 0), 0);
  if (t.dim() == 3) return layout::unsqueeze(t, 1);
  if (t.dim() == 4) return t;
  const std::int64_t heads = t.size(-3), rows = t.size(-2), cols = t.size(-1);
  std::int64_t batch = 1;
  for (std::int64_t d = 0; d + 3 < t.dim(); ++d) batch *= t.size(d);
  return ops::reshape(t, {batch, heads, rows, cols});
}

/// t with a column stride of 1 and a row stride the GEMMs accept; copied only when needed.
Tensor rows_usable(const Tensor& t) {
  const bool unit_columns = t.size(3) <= 1 || t.stride(3) == 1;
  const bool rows_apart = t.stride(2) >= std::max<std::int64_t>(t.size(3), 1);
  return unit_columns && rows_apart ? t : ops::contiguous(t);
}

/// A new (B, H, rows, cols) tensor laid out as (B, rows, H, cols).
Tensor new_heads_interleaved(std::int64_t b, std::int64_t h, std::int64_t rows, std::int64_t cols, DType dtype,
                             Device device) {
  return layout::permute(new_tensor({b, rows, h, cols}, dtype, device), {0, 2, 1, 3});
}

struct Operands {
  Tensor q, k, v, mask;  // 4-D and usable by the backends
  kernels::AttentionParams params;
};

Operands check_and_view(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options) {
  check_defined(q, kOp, "query");
  check_defined(k, kOp, "key");
  check_defined(v, kOp, "value");
  check_same_device(kOp, q, k);
  check_same_device(kOp, q, v);
  if (q.dtype() != kFloat32 && q.dtype() != kFloat64) {
    detail::fail<DTypeError>("[{}] needs float32 or float64 query, key and value, got {}", kOp, name(q.dtype()));
  }
  if (k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
    detail::fail<DTypeError>("[{}] query, key and value must share a dtype, got {}, {} and {}", kOp, name(q.dtype()),
                             name(k.dtype()), name(v.dtype()));
  }
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim()) {
    detail::fail<ShapeError>("[{}] expected query (..., L, E), key (..., S, E) and value (..., S, Ev) of one rank "
                             "(at least 2), got shapes {}, {} and {}",
                             kOp, q.shape(), k.shape(), v.shape());
  }
  for (std::int64_t d = 0; d + 2 < q.dim(); ++d) {
    if (k.size(d) != q.size(d) || v.size(d) != q.size(d)) {
      detail::fail<ShapeError>("[{}] query, key and value must have the same leading (batch, head) dimensions, got "
                               "shapes {}, {} and {}",
                               kOp, q.shape(), k.shape(), v.shape());
    }
  }
  if (k.size(-1) != q.size(-1) || v.size(-2) != k.size(-2)) {
    detail::fail<ShapeError>("[{}] key must have query's embedding size E and value key's length S: got query {}, "
                             "key {}, value {}",
                             kOp, q.shape(), k.shape(), v.shape());
  }
  if (!(options.dropout_p >= 0 && options.dropout_p < 1)) {
    detail::fail<ValueError>("[{}] dropout_p must be in [0, 1), got {}", kOp, options.dropout_p);
  }
  if (options.scale && !std::isfinite(*options.scale)) {
    detail::fail<ValueError>("[{}] scale must be finite, got {}", kOp, *options.scale);
  }
  if (options.is_causal && options.attn_mask) {
    detail::fail<ValueError>("[{}] give either is_causal or attn_mask, not both (fold the causal rule into the mask)",
                             kOp);
  }

  Operands o;
  o.q = rows_usable(as_4d(q));
  o.k = rows_usable(as_4d(k));
  o.v = rows_usable(as_4d(v));
  kernels::AttentionParams& p = o.params;
  p.batch = o.q.size(0);
  p.heads = o.q.size(1);
  p.q_len = o.q.size(2);
  p.kv_len = o.k.size(2);
  p.head_dim = o.q.size(3);
  p.value_dim = o.v.size(3);
  p.scale = options.scale ? *options.scale : 1.0 / std::sqrt(static_cast<double>(std::max<std::int64_t>(p.head_dim, 1)));
  p.causal = options.is_causal;
  p.dropout_p = options.dropout_p;

  if (options.attn_mask) {
    const Tensor& mask = *options.attn_mask;
    check_defined(mask, kOp, "attn_mask");
    check_same_device(kOp, q, mask);
    if (mask.dtype() != kBool && mask.dtype() != q.dtype()) {
      detail::fail<DTypeError>("[{}] attn_mask must be bool (true = attend) or the query's dtype {} (added to the "
                               "scores), got {}",
                               kOp, name(q.dtype()), name(mask.dtype()));
    }
    Shape full = q.shape();
    full[full.size() - 1] = k.size(-2);
    bool broadcastable = mask.dim() <= q.dim();
    for (std::int64_t d = 1; broadcastable && d <= mask.dim(); ++d) {
      const std::int64_t m = mask.size(-d), f = full[full.size() - d];
      broadcastable = m == f || m == 1;
    }
    if (!broadcastable) {
      detail::fail<ShapeError>("[{}] attn_mask of shape {} does not broadcast to the scores' shape {} (..., L, S)", kOp,
                               mask.shape(), full);
    }
    o.mask = as_4d(layout::expand(mask, full));
    p.mask = mask.dtype() == kBool ? kernels::AttentionMaskKind::kBool : kernels::AttentionMaskKind::kAdditive;
  }
  return o;
}

/// out's shape: q's with the last dimension Ev.
Shape with_last(const Shape& shape, std::int64_t last) {
  Shape s = shape;
  s[s.size() - 1] = last;
  return s;
}

}  // namespace

AttentionForward scaled_dot_product_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                      const AttentionOptions& options) {
  Operands o = check_and_view(q, k, v, options);
  kernels::AttentionParams& p = o.params;
  AttentionForward result;
  if (p.dropout_p > 0) {
    Generator& generator = options.generator != nullptr ? *options.generator : default_generator();
    result.dropout_state = generator.reserve(p.dropout_blocks());
    p.seed = result.dropout_state.seed;
    p.offset = result.dropout_state.offset;
  }
  const backend::AttentionTensors t{
      .q = o.q,
      .k = o.k,
      .v = o.v,
      .mask = o.mask,
      .out = new_heads_interleaved(p.batch, p.heads, p.q_len, p.value_dim, q.dtype(), q.device()),
      .lse = new_tensor({p.batch, p.heads, p.q_len}, q.dtype(), q.device()),
  };
  if (p.batch * p.heads * p.q_len > 0) backend_of(q).attention(p, t);
  result.out = ops::reshape(t.out, with_last(q.shape(), p.value_dim));
  Shape lse_shape = q.shape();
  lse_shape.erase(lse_shape.size() - 1);
  result.lse = ops::reshape(t.lse, lse_shape);
  return result;
}

AttentionGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k,
                                                     const Tensor& v, const AttentionForward& forward,
                                                     const AttentionOptions& options) {
  Operands o = check_and_view(q, k, v, options);
  kernels::AttentionParams& p = o.params;
  p.seed = forward.dropout_state.seed;
  p.offset = forward.dropout_state.offset;
  check_defined(grad_out, kOp, "grad_out");
  check_same_device(kOp, q, grad_out);
  if (grad_out.shape() != forward.out.shape() || grad_out.dtype() != q.dtype()) {
    detail::fail<ShapeError>("[{}] the output's gradient must have the output's shape {} and dtype {}, got {} {}", kOp,
                             forward.out.shape(), name(q.dtype()), grad_out.shape(), name(grad_out.dtype()));
  }
  const backend::AttentionTensors t{
      .q = o.q,
      .k = o.k,
      .v = o.v,
      .mask = o.mask,
      .out = rows_usable(as_4d(forward.out)),
      .lse = ops::reshape(ops::contiguous(forward.lse), {p.batch, p.heads, p.q_len}),
  };
  const backend::AttentionGradTensors g{
      .grad_out = rows_usable(as_4d(grad_out)),
      .grad_q = new_heads_interleaved(p.batch, p.heads, p.q_len, p.head_dim, q.dtype(), q.device()),
      .grad_k = new_heads_interleaved(p.batch, p.heads, p.kv_len, p.head_dim, q.dtype(), q.device()),
      .grad_v = new_heads_interleaved(p.batch, p.heads, p.kv_len, p.value_dim, q.dtype(), q.device()),
  };
  if (g.grad_q.numel() + g.grad_k.numel() + g.grad_v.numel() > 0) backend_of(q).attention_backward(p, t, g);
  return {ops::reshape(g.grad_q, q.shape()), ops::reshape(g.grad_k, k.shape()), ops::reshape(g.grad_v, v.shape())};
}

}  // namespace ignis::ops

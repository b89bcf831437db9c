#pragma once
// The math of scaled dot-product attention shared by the CPU and CUDA backends: which (query,
// key) pairs take part (causal rule, boolean or additive mask), the dropout decision of each
// attention probability, and the online-softmax recurrence of the fused forward pass.
//
//   S = scale · Q Kᵀ + mask,  P = softmax_rows(S),  O = (P ⊙ Z) V
//
// where Z is the dropout multiplier (0 or 1/(1-p)). The forward pass keeps, per query row, the
// log-sum-exp of its scores (lse) so the backward pass recomputes P = exp(S - lse) block by
// block instead of storing it (FlashAttention, Dao et al. 2022). With D_i = Σ_k dO_ik O_ik:
//
//   dV = (P ⊙ Z)ᵀ dO,  dS = P ⊙ (Z ⊙ (dO Vᵀ) - D),  dQ = scale · dS K,  dK = scale · dSᵀ Q.
//
// A query row with no key to attend to (all masked) gets the output 0 and lse -inf.
#include <cmath>
#include <cstdint>

#include "ignis/core/host_device.hpp"
#include "philox.hpp"

namespace ignis::kernels {

enum class AttentionMaskKind : int { kNone, kBool, kAdditive };

/// Strides (in elements) of a (batch, heads, rows, cols) operand; cols is 1 for q, k, v, out and
/// their gradients; a broadcast mask has stride 0 in any dimension.
struct AttentionStrides {
  std::int64_t batch, head, row, col;

  IGNIS_HOST_DEVICE std::int64_t matrix(std::int64_t b, std::int64_t h) const { return b * batch + h * head; }
};

/// One attention problem: q (B, H, L, E), k (B, H, S, E), v (B, H, S, Ev) -> out (B, H, L, Ev).
struct AttentionParams {
  std::int64_t batch = 0, heads = 0, q_len = 0, kv_len = 0, head_dim = 0, value_dim = 0;
  double scale = 1.0;
  bool causal = false;  // query i sees keys j <= i (torch's is_causal: top-left aligned)
  AttentionMaskKind mask = AttentionMaskKind::kNone;
  double dropout_p = 0.0;  // probability of dropping an attention probability
  std::uint64_t seed = 0, offset = 0;  // the dropout's Philox stream (kernels/philox.hpp)

  /// Philox blocks the dropout mask uses: one 32-bit word per (b, h, i, j).
  IGNIS_HOST_DEVICE std::uint64_t dropout_blocks() const {
    return dropout_p > 0 ? (static_cast<std::uint64_t>(batch * heads * q_len * kv_len) + 3) / 4 : 0;
  }
};

/// -infinity in T, for masked scores.
template <class T>
IGNIS_HOST_DEVICE inline T minus_infinity() {
  return -static_cast<T>(INFINITY);
}

/// The score of query i and key j from their scaled dot product: -inf when the causal rule or a
/// boolean mask (false = masked, as torch) excludes the pair; the additive mask's value added
/// otherwise. `mask_at` is the mask element's offset (unused without a mask).
template <class T>
IGNIS_HOST_DEVICE inline T masked_score(const AttentionParams& p, T scaled_dot, std::int64_t i, std::int64_t j,
                                        const bool* bool_mask, const T* additive_mask, std::int64_t mask_at) {
  if (p.causal && j > i) return minus_infinity<T>();
  if (p.mask == AttentionMaskKind::kBool) return bool_mask[mask_at] ? scaled_dot : minus_infinity<T>();
  if (p.mask == AttentionMaskKind::kAdditive) return scaled_dot + additive_mask[mask_at];
  return scaled_dot;
}

/// Whether the causal rule leaves every key of [j_begin, j_end) out of query i's row.
IGNIS_HOST_DEVICE inline bool causally_hidden(const AttentionParams& p, std::int64_t i, std::int64_t j_begin) {
  return p.causal && j_begin > i;
}

/// The dropout multiplier of probability (b, h, i, j): 1/(1-p) if kept, 0 if dropped; 1 without
/// dropout. Word (e mod 4) of Philox block offset + e/4 decides, e = ((b·H + h)·L + i)·S + j,
/// so every device and every pass (forward, backward) draws the same mask.
template <class T>
IGNIS_HOST_DEVICE inline T dropout_multiplier(const AttentionParams& p, std::int64_t bh, std::int64_t i,
                                              std::int64_t j) {
  if (p.dropout_p <= 0) return T(1);
  const auto e = static_cast<std::uint64_t>((bh * p.q_len + i) * p.kv_len + j);
  const PhiloxBlock r = philox_block(p.seed, p.offset + e / 4);
  return uniform24(r.w[e % 4]) >= static_cast<float>(p.dropout_p) ? static_cast<T>(1.0 / (1.0 - p.dropout_p)) : T(0);
}

/// The online softmax of one query row: the running maximum m and the running sum l of
/// exp(s - m). add() takes the next score and returns (weight of this score, factor by which the
/// output accumulated so far must be rescaled).
template <class T>
struct OnlineSoftmax {
  T m = minus_infinity<T>();
  T l = T(0);

  struct Step {
    T weight, rescale;
  };

  IGNIS_HOST_DEVICE Step add(T s) {
    if (s == minus_infinity<T>()) return {T(0), T(1)};
    if (s > m) {
      const T rescale = m == minus_infinity<T>() ? T(0) : exp_of(m - s);
      l = l * rescale + T(1);
      m = s;
      return {T(1), rescale};
    }
    const T w = exp_of(s - m);
    l += w;
    return {w, T(1)};
  }
  /// Folds in a block whose scores have maximum block_max and Σ exp(s - block_max) = block_sum;
  /// returns the rescale factor of what was accumulated before (the block's weights are then
  /// exp(s - m) with the new m).
  IGNIS_HOST_DEVICE T merge_block_max(T block_max) {
    if (block_max <= m) return T(1);
    const T rescale = m == minus_infinity<T>() ? T(0) : exp_of(m - block_max);
    l *= rescale;
    m = block_max;
    return rescale;
  }
  /// 1 / l, or 0 for a row with nothing to attend to.
  IGNIS_HOST_DEVICE T inverse_sum() const { return l > T(0) ? T(1) / l : T(0); }
  /// log-sum-exp of the row's scores, -inf for an empty row.
  IGNIS_HOST_DEVICE T lse() const { return l > T(0) ? m + log_of(l) : minus_infinity<T>(); }

  IGNIS_HOST_DEVICE static T exp_of(T x) { return std::exp(x); }
  IGNIS_HOST_DEVICE static T log_of(T x) { return std::log(x); }
};

/// The probability of a score given its row's log-sum-exp (0 for masked scores and empty rows).
template <class T>
IGNIS_HOST_DEVICE inline T probability(T score, T lse) {
  return score == minus_infinity<T>() ? T(0) : static_cast<T>(std::exp(score - lse));
}

}  // namespace ignis::kernels

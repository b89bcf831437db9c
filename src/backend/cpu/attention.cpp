// Fused scaled dot-product attention on the CPU, FlashAttention's loop (Dao et al., 2022): the
// forward pass walks each block of query rows over the blocks of keys, computing one block of
// scores with a GEMM, folding it into the rows' online softmax and accumulating the output with a
// second GEMM; only a (kQueryBlock × kKeyBlock) score block exists at a time. The backward pass
// recomputes each block's probabilities from the saved log-sum-exp. The per-element math (mask,
// causal rule, dropout, softmax recurrence) is kernels/attention_functors.hpp, shared with CUDA.
// float32 GEMMs go to oneDNN's sgemm (single-threaded inside the parallel loop); float64, the
// gradcheck dtype, to a plain loop.
#include <dnnl.h>

#include <algorithm>
#include <vector>

#include "backend/floating_dispatch.hpp"
#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using kernels::AttentionMaskKind;
using kernels::AttentionStrides;
using kernels::OnlineSoftmax;

constexpr std::int64_t kQueryBlock = 64;
constexpr std::int64_t kKeyBlock = 64;

/// C (m × n, row stride ldc) = alpha · op(A) op(B) + beta · C, row-major; op transposes when
/// the flag is set. A is (m × k) or, transposed, stored (k × m); likewise B.
void block_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                          std::max<std::int64_t>(lda, 1), b, std::max<std::int64_t>(ldb, 1), beta,
                                          c, std::max<std::int64_t>(ldc, 1));
  if (status != dnnl_success) {
    detail::fail<Error>("[scaled_dot_product_attention] oneDNN sgemm failed with status {}", static_cast<int>(status));
  }
}

void block_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                const double* a, std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c,
                std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        acc += (trans_a ? a[p * lda + i] : a[i * lda + p]) * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
      }
      double& out = c[i * ldc + j];
      out = alpha * acc + (beta == 0 ? 0.0 : beta * out);
    }
  }
}

AttentionStrides strides_of(const Tensor& t) {
  if (!t.defined()) return {0, 0, 0, 0};
  return {t.stride(0), t.stride(1), t.stride(2), t.stride(3)};
}

/// Pointers to one (batch, head) matrix of every operand, and the masked scores of its blocks.
template <class T>
struct HeadView {
  const AttentionParams& p;
  const T *q, *k, *v;
  std::int64_t q_row, k_row, v_row;
  const bool* bool_mask;
  const T* additive_mask;
  AttentionStrides mask;
  std::int64_t bh;

  HeadView(const AttentionParams& params, const AttentionTensors& t, std::int64_t b, std::int64_t h)
      : p(params),
        q(t.q.data_ptr<T>() + strides_of(t.q).matrix(b, h)),
        k(t.k.data_ptr<T>() + strides_of(t.k).matrix(b, h)),
        v(t.v.data_ptr<T>() + strides_of(t.v).matrix(b, h)),
        q_row(t.q.stride(2)),
        k_row(t.k.stride(2)),
        v_row(t.v.stride(2)),
        bool_mask(params.mask == AttentionMaskKind::kBool ? t.mask.data_ptr<bool>() : nullptr),
        additive_mask(params.mask == AttentionMaskKind::kAdditive ? t.mask.data_ptr<T>() : nullptr),
        mask(strides_of(t.mask)),
        bh(b * params.heads + h) {
    const std::int64_t offset = mask.matrix(b, h);
    if (bool_mask != nullptr) bool_mask += offset;
    if (additive_mask != nullptr) additive_mask += offset;
  }

  /// scores (rows × cols, row stride kKeyBlock) = masked scale · Q[i0:] K[j0:]ᵀ.
  void scores(std::int64_t i0, std::int64_t rows, std::int64_t j0, std::int64_t cols, T* s) const {
    block_gemm(false, true, rows, cols, p.head_dim, static_cast<T>(p.scale), q + i0 * q_row, q_row, k + j0 * k_row,
               k_row, T(0), s, kKeyBlock);
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        const std::int64_t i = i0 + r, j = j0 + c;
        T& score = s[r * kKeyBlock + c];
        score = kernels::masked_score<T>(p, score, i, j, bool_mask, additive_mask, i * mask.row + j * mask.col);
      }
    }
  }
};

template <class T>
void forward(const AttentionParams& p, const AttentionTensors& t) {
  const std::int64_t query_blocks = (p.q_len + kQueryBlock - 1) / kQueryBlock;
  const AttentionStrides out_strides = strides_of(t.out);
  T* const lse_all = t.lse.data_ptr<T>();
  cpu::parallel_for(0, p.batch * p.heads * query_blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> s(static_cast<std::size_t>(kQueryBlock * kKeyBlock));
    std::vector<T> acc(static_cast<std::size_t>(kQueryBlock * std::max<std::int64_t>(p.value_dim, 1)));
    std::vector<OnlineSoftmax<T>> rows(static_cast<std::size_t>(kQueryBlock));
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t bh = task / query_blocks, i0 = task % query_blocks * kQueryBlock;
      const std::int64_t b = bh / p.heads, h = bh % p.heads;
      const std::int64_t n_rows = std::min(kQueryBlock, p.q_len - i0);
      const HeadView<T> view(p, t, b, h);
      std::fill(acc.begin(), acc.end(), T(0));
      std::fill(rows.begin(), rows.end(), OnlineSoftmax<T>{});
      for (std::int64_t j0 = 0; j0 < p.kv_len && !kernels::causally_hidden(p, i0 + n_rows - 1, j0); j0 += kKeyBlock) {
        const std::int64_t n_cols = std::min(kKeyBlock, p.kv_len - j0);
        view.scores(i0, n_rows, j0, n_cols, s.data());
        for (std::int64_t r = 0; r < n_rows; ++r) {
          T* row = s.data() + r * kKeyBlock;
          const T block_max = *std::max_element(row, row + n_cols);
          OnlineSoftmax<T>& sm = rows[r];
          const T rescale = sm.merge_block_max(block_max);
          if (rescale != T(1)) {
            for (std::int64_t c = 0; c < p.value_dim; ++c) acc[r * p.value_dim + c] *= rescale;
          }
          for (std::int64_t c = 0; c < n_cols; ++c) {
            const T w = kernels::probability(row[c], sm.m);
            sm.l += w;
            row[c] = w * kernels::dropout_multiplier<T>(p, bh, i0 + r, j0 + c);
          }
        }
        block_gemm(false, false, n_rows, p.value_dim, n_cols, T(1), s.data(), kKeyBlock, view.v + j0 * view.v_row,
                   view.v_row, T(1), acc.data(), p.value_dim);
      }
      T* out = t.out.data_ptr<T>() + out_strides.matrix(b, h);
      for (std::int64_t r = 0; r < n_rows; ++r) {
        const T inv = rows[r].inverse_sum();
        T* out_row = out + (i0 + r) * out_strides.row;
        for (std::int64_t c = 0; c < p.value_dim; ++c) out_row[c] = acc[r * p.value_dim + c] * inv;
        lse_all[bh * p.q_len + i0 + r] = rows[r].lse();
      }
    }
  });
}

template <class T>
void backward(const AttentionParams& p, const AttentionTensors& t, const AttentionGradTensors& g) {
  const AttentionStrides out_s = strides_of(t.out), go_s = strides_of(g.grad_out);
  const AttentionStrides gq_s = strides_of(g.grad_q), gk_s = strides_of(g.grad_k), gv_s = strides_of(g.grad_v);
  const T* const lse_all = t.lse.data_ptr<T>();
  // One task per (batch, head): it owns that head's rows of all three gradients, so no two
  // threads ever add into the same element.
  cpu::parallel_for(0, p.batch * p.heads, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> prob(static_cast<std::size_t>(kQueryBlock * kKeyBlock));
    std::vector<T> kept(prob.size()), grad_s(prob.size());
    std::vector<T> delta(static_cast<std::size_t>(p.q_len));
    for (std::int64_t bh = begin; bh < end; ++bh) {
      const std::int64_t b = bh / p.heads, h = bh % p.heads;
      const HeadView<T> view(p, t, b, h);
      const T* out = t.out.data_ptr<T>() + out_s.matrix(b, h);
      const T* grad_out = g.grad_out.data_ptr<T>() + go_s.matrix(b, h);
      T* gq = g.grad_q.data_ptr<T>() + gq_s.matrix(b, h);
      T* gk = g.grad_k.data_ptr<T>() + gk_s.matrix(b, h);
      T* gv = g.grad_v.data_ptr<T>() + gv_s.matrix(b, h);
      const T* lse = lse_all + bh * p.q_len;
      for (std::int64_t i = 0; i < p.q_len; ++i) {
        T d = 0;
        for (std::int64_t c = 0; c < p.value_dim; ++c) d += grad_out[i * go_s.row + c] * out[i * out_s.row + c];
        delta[i] = d;
        std::fill(gq + i * gq_s.row, gq + i * gq_s.row + p.head_dim, T(0));
      }
      for (std::int64_t j = 0; j < p.kv_len; ++j) {
        std::fill(gk + j * gk_s.row, gk + j * gk_s.row + p.head_dim, T(0));
        std::fill(gv + j * gv_s.row, gv + j * gv_s.row + p.value_dim, T(0));
      }
      for (std::int64_t j0 = 0; j0 < p.kv_len; j0 += kKeyBlock) {
        const std::int64_t n_cols = std::min(kKeyBlock, p.kv_len - j0);
        for (std::int64_t i0 = 0; i0 < p.q_len; i0 += kQueryBlock) {
          const std::int64_t n_rows = std::min(kQueryBlock, p.q_len - i0);
          if (kernels::causally_hidden(p, i0 + n_rows - 1, j0)) continue;
          view.scores(i0, n_rows, j0, n_cols, prob.data());
          for (std::int64_t r = 0; r < n_rows; ++r) {
            for (std::int64_t c = 0; c < n_cols; ++c) {
              const std::int64_t at = r * kKeyBlock + c;
              prob[at] = kernels::probability(prob[at], lse[i0 + r]);
              kept[at] = prob[at] * kernels::dropout_multiplier<T>(p, bh, i0 + r, j0 + c);
            }
          }
          // dV[j] += (P ⊙ Z)ᵀ dO;  dP = dO Vᵀ
          block_gemm(true, false, n_cols, p.value_dim, n_rows, T(1), kept.data(), kKeyBlock,
                     grad_out + i0 * go_s.row, go_s.row, T(1), gv + j0 * gv_s.row, gv_s.row);
          block_gemm(false, true, n_rows, n_cols, p.value_dim, T(1), grad_out + i0 * go_s.row, go_s.row,
                     view.v + j0 * view.v_row, view.v_row, T(0), grad_s.data(), kKeyBlock);
          for (std::int64_t r = 0; r < n_rows; ++r) {
            for (std::int64_t c = 0; c < n_cols; ++c) {
              const std::int64_t at = r * kKeyBlock + c;
              const T z = kernels::dropout_multiplier<T>(p, bh, i0 + r, j0 + c);
              grad_s[at] = prob[at] * (z * grad_s[at] - delta[i0 + r]);
            }
          }
          // dQ[i] += scale · dS K;  dK[j] += scale · dSᵀ Q
          block_gemm(false, false, n_rows, p.head_dim, n_cols, static_cast<T>(p.scale), grad_s.data(), kKeyBlock,
                     view.k + j0 * view.k_row, view.k_row, T(1), gq + i0 * gq_s.row, gq_s.row);
          block_gemm(true, false, n_cols, p.head_dim, n_rows, static_cast<T>(p.scale), grad_s.data(), kKeyBlock,
                     view.q + i0 * view.q_row, view.q_row, T(1), gk + j0 * gk_s.row, gk_s.row);
        }
      }
    }
  });
}

}  // namespace

void CpuBackend::attention(const AttentionParams& params, const AttentionTensors& t) {
  with_floating(t.q.dtype(), "scaled_dot_product_attention", [&](auto tag) { forward<decltype(tag)>(params, t); });
}

void CpuBackend::attention_backward(const AttentionParams& params, const AttentionTensors& t,
                                    const AttentionGradTensors& g) {
  with_floating(t.q.dtype(), "scaled_dot_product_attention",
                [&](auto tag) { backward<decltype(tag)>(params, t, g); });
}

}  // namespace ignis::backend

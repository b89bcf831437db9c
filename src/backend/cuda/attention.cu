// Fused scaled dot-product attention on the GPU, float32 and float64: one thread per query row
// runs the online softmax over all keys (forward), one per query row computes D_i and dQ_i, one
// per key row dK_j and dV_j (backward), each recomputing its probabilities from the saved
// log-sum-exp; no (L, S) matrix is ever stored and no two threads write the same element. The
// per-element math is kernels/attention_functors.hpp, shared with the CPU. A simple kernel for
// correctness on every shape; cuDNN's fused attention (bf16/fp16) is the fast path to add with
// the narrow dtypes.
//
// NOT YET RUN ON A GPU: compiled and linked only; tests/ops/attention_test.cpp (device cases,
// part of scripts/gpu-check) compares it with the CPU.
#include <algorithm>

#include "backend/floating_dispatch.hpp"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "kernels/attention_functors.hpp"
#include "launch.cuh"

namespace ignis::backend {

namespace {

using cuda_detail::launch;
using kernels::AttentionMaskKind;
using kernels::AttentionParams;
using kernels::AttentionStrides;

constexpr unsigned kThreads = 128;

/// The raw pointers and strides of the operands, passed by value to the kernels.
template <class T>
struct Operands {
  const T *q, *k, *v;
  const bool* bool_mask;
  const T* additive_mask;
  T *out, *lse;
  AttentionStrides qs, ks, vs, ms, os;
  // Backward only.
  const T* grad_out;
  T *grad_q, *grad_k, *grad_v, *delta;
  AttentionStrides gos, gqs, gks, gvs;

  /// The masked score of query i and key j of head (b, h).
  __device__ T score(const AttentionParams& p, std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j) const {
    const T* qi = q + qs.matrix(b, h) + i * qs.row;
    const T* kj = k + ks.matrix(b, h) + j * ks.row;
    T dot = 0;
    for (std::int64_t c = 0; c < p.head_dim; ++c) dot += qi[c] * kj[c];
    return kernels::masked_score<T>(p, dot * static_cast<T>(p.scale), i, j, bool_mask, additive_mask,
                                    ms.matrix(b, h) + i * ms.row + j * ms.col);
  }
};

AttentionStrides strides_of(const Tensor& t) {
  if (!t.defined()) return {0, 0, 0, 0};
  return {t.stride(0), t.stride(1), t.stride(2), t.stride(3)};
}

/// (b, h, row) of a flat row index over (B, H, rows).
struct RowIndex {
  std::int64_t b, h, row, bh;
};
__device__ RowIndex row_index(const AttentionParams& p, std::int64_t flat, std::int64_t rows) {
  const std::int64_t bh = flat / rows;
  return {bh / p.heads, bh % p.heads, flat % rows, bh};
}

template <class T>
__global__ void forward_kernel(AttentionParams p, Operands<T> o) {
  const std::int64_t total = p.batch * p.heads * p.q_len;
  for (std::int64_t flat = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; flat < total;
       flat += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const RowIndex r = row_index(p, flat, p.q_len);
    T* out = o.out + o.os.matrix(r.b, r.h) + r.row * o.os.row;
    for (std::int64_t c = 0; c < p.value_dim; ++c) out[c] = 0;
    kernels::OnlineSoftmax<T> sm;
    for (std::int64_t j = 0; j < p.kv_len && !kernels::causally_hidden(p, r.row, j); ++j) {
      const auto step = sm.add(o.score(p, r.b, r.h, r.row, j));
      const T w = step.weight * kernels::dropout_multiplier<T>(p, r.bh, r.row, j);
      const T* vj = o.v + o.vs.matrix(r.b, r.h) + j * o.vs.row;
      for (std::int64_t c = 0; c < p.value_dim; ++c) out[c] = out[c] * step.rescale + w * vj[c];
    }
    const T inv = sm.inverse_sum();
    for (std::int64_t c = 0; c < p.value_dim; ++c) out[c] *= inv;
    o.lse[flat] = sm.lse();
  }
}

/// D_i = dO_i · O_i, then dQ_i = scale · Σ_j dS_ij K_j.
template <class T>
__global__ void grad_q_kernel(AttentionParams p, Operands<T> o) {
  const std::int64_t total = p.batch * p.heads * p.q_len;
  for (std::int64_t flat = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; flat < total;
       flat += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const RowIndex r = row_index(p, flat, p.q_len);
    const T* go = o.grad_out + o.gos.matrix(r.b, r.h) + r.row * o.gos.row;
    const T* out = o.out + o.os.matrix(r.b, r.h) + r.row * o.os.row;
    T delta = 0;
    for (std::int64_t c = 0; c < p.value_dim; ++c) delta += go[c] * out[c];
    o.delta[flat] = delta;
    T* gq = o.grad_q + o.gqs.matrix(r.b, r.h) + r.row * o.gqs.row;
    for (std::int64_t c = 0; c < p.head_dim; ++c) gq[c] = 0;
    const T lse = o.lse[flat];
    for (std::int64_t j = 0; j < p.kv_len && !kernels::causally_hidden(p, r.row, j); ++j) {
      const T prob = kernels::probability(o.score(p, r.b, r.h, r.row, j), lse);
      if (prob == T(0)) continue;
      const T* vj = o.v + o.vs.matrix(r.b, r.h) + j * o.vs.row;
      T dp = 0;
      for (std::int64_t c = 0; c < p.value_dim; ++c) dp += go[c] * vj[c];
      const T ds = prob * (kernels::dropout_multiplier<T>(p, r.bh, r.row, j) * dp - delta) * static_cast<T>(p.scale);
      const T* kj = o.k + o.ks.matrix(r.b, r.h) + j * o.ks.row;
      for (std::int64_t c = 0; c < p.head_dim; ++c) gq[c] += ds * kj[c];
    }
  }
}

/// dV_j = Σ_i (P ⊙ Z)_ij dO_i and dK_j = scale · Σ_i dS_ij Q_i; reads the D of grad_q_kernel.
template <class T>
__global__ void grad_kv_kernel(AttentionParams p, Operands<T> o) {
  const std::int64_t total = p.batch * p.heads * p.kv_len;
  for (std::int64_t flat = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; flat < total;
       flat += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const RowIndex r = row_index(p, flat, p.kv_len);
    const std::int64_t j = r.row;
    T* gk = o.grad_k + o.gks.matrix(r.b, r.h) + j * o.gks.row;
    T* gv = o.grad_v + o.gvs.matrix(r.b, r.h) + j * o.gvs.row;
    for (std::int64_t c = 0; c < p.head_dim; ++c) gk[c] = 0;
    for (std::int64_t c = 0; c < p.value_dim; ++c) gv[c] = 0;
    const T* vj = o.v + o.vs.matrix(r.b, r.h) + j * o.vs.row;
    for (std::int64_t i = 0; i < p.q_len; ++i) {
      if (kernels::causally_hidden(p, i, j)) continue;
      const std::int64_t row = r.bh * p.q_len + i;
      const T prob = kernels::probability(o.score(p, r.b, r.h, i, j), o.lse[row]);
      if (prob == T(0)) continue;
      const T z = kernels::dropout_multiplier<T>(p, r.bh, i, j);
      const T* go = o.grad_out + o.gos.matrix(r.b, r.h) + i * o.gos.row;
      T dp = 0;
      for (std::int64_t c = 0; c < p.value_dim; ++c) {
        dp += go[c] * vj[c];
        gv[c] += prob * z * go[c];
      }
      const T ds = prob * (z * dp - o.delta[row]) * static_cast<T>(p.scale);
      const T* qi = o.q + o.qs.matrix(r.b, r.h) + i * o.qs.row;
      for (std::int64_t c = 0; c < p.head_dim; ++c) gk[c] += ds * qi[c];
    }
  }
}

unsigned blocks_for(std::int64_t rows) {
  const std::int64_t blocks = (rows + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

template <class T>
Operands<T> operands_of(const AttentionParams& p, const AttentionTensors& t) {
  Operands<T> o{};
  o.q = t.q.data_ptr<T>();
  o.k = t.k.data_ptr<T>();
  o.v = t.v.data_ptr<T>();
  o.bool_mask = p.mask == AttentionMaskKind::kBool ? t.mask.data_ptr<bool>() : nullptr;
  o.additive_mask = p.mask == AttentionMaskKind::kAdditive ? t.mask.data_ptr<T>() : nullptr;
  o.out = t.out.data_ptr<T>();
  o.lse = t.lse.data_ptr<T>();
  o.qs = strides_of(t.q);
  o.ks = strides_of(t.k);
  o.vs = strides_of(t.v);
  o.ms = strides_of(t.mask);
  o.os = strides_of(t.out);
  return o;
}

}  // namespace

void CudaBackend::attention(const AttentionParams& params, const AttentionTensors& t) {
  if (params.batch * params.heads * params.q_len == 0) return;
  OpDevice d(t.q);
  with_floating(t.q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = decltype(tag);
    launch(forward_kernel<T>, {blocks_for(params.batch * params.heads * params.q_len), kThreads}, params,
           operands_of<T>(params, t));
  });
  IGNIS_CUDA_CHECK_LAUNCH("scaled_dot_product_attention");
}

void CudaBackend::attention_backward(const AttentionParams& params, const AttentionTensors& t,
                                     const AttentionGradTensors& g) {
  OpDevice d(t.q);
  with_floating(t.q.dtype(), "scaled_dot_product_attention", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t q_rows = params.batch * params.heads * params.q_len;
    const std::int64_t kv_rows = params.batch * params.heads * params.kv_len;
    const Tensor delta = new_contiguous(*this, {std::max<std::int64_t>(q_rows, 1)}, t.q.dtype(), t.q.device());
    Operands<T> o = operands_of<T>(params, t);
    o.grad_out = g.grad_out.data_ptr<T>();
    o.grad_q = g.grad_q.data_ptr<T>();
    o.grad_k = g.grad_k.data_ptr<T>();
    o.grad_v = g.grad_v.data_ptr<T>();
    o.delta = delta.data_ptr<T>();
    o.gos = strides_of(g.grad_out);
    o.gqs = strides_of(g.grad_q);
    o.gks = strides_of(g.grad_k);
    o.gvs = strides_of(g.grad_v);
    if (q_rows > 0) {
      launch(grad_q_kernel<T>, {blocks_for(q_rows), kThreads}, params, o);
      IGNIS_CUDA_CHECK_LAUNCH("scaled_dot_product_attention backward (dQ)");
    }
    if (kv_rows > 0) {
      launch(grad_kv_kernel<T>, {blocks_for(kv_rows), kThreads}, params, o);
      IGNIS_CUDA_CHECK_LAUNCH("scaled_dot_product_attention backward (dK, dV)");
    }
  });
}

}  // namespace ignis::backend

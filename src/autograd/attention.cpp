// Differentiable attention: the fused forward saves q, k, v, its output and the rows'
// log-sum-exp (not the probabilities); the fused backward recomputes the probabilities.
#include "ignis/autograd/attention.hpp"

#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options) {
  ops::AttentionForward forward = ops::scaled_dot_product_attention_forward(q, k, v, options);
  if (!needs_grad({&q, &k, &v})) return forward.out;
  Tensor out = forward.out;
  forward.out = forward.out.detach();  // the node must not hold its own output
  AttentionOptions saved = options;
  saved.generator = nullptr;  // the dropout state is in `forward`; the generator may be gone by then
  return record("ScaledDotProductAttentionBackward", out, {&q, &k, &v},
                [q = q.detach(), k = k.detach(), v = v.detach(), forward = std::move(forward),
                 saved = std::move(saved)](const Tensor& g) {
                  ops::AttentionGrads grads = ops::scaled_dot_product_attention_backward(g, q, k, v, forward, saved);
                  return Grads{grads.q, grads.k, grads.v};
                });
}

}  // namespace ignis

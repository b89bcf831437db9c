// Differentiable matmul and linear: d(a@b)/da = g @ bᵀ, d/db = aᵀ @ g, with 1-D operands treated
// as matrices and broadcast batch dimensions summed back.
#include "ignis/autograd/linalg.hpp"

#include "ignis/ops/copy.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/layout.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;
using autograd::reduce_to;

namespace {
Tensor transpose_last(const Tensor& t) { return layout::transpose(t, -1, -2); }
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor y = ops::matmul(a, b);
  if (!needs_grad({&a, &b})) return y;
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return record("MatmulBackward", y, {&a, &b}, [a, b, need_a, need_b](const Tensor& g) {
    const Tensor a2 = a.dim() == 1 ? layout::unsqueeze(a, 0) : a;
    const Tensor b2 = b.dim() == 1 ? layout::unsqueeze(b, -1) : b;
    Tensor g2 = g;  // restore the dimensions matmul dropped for 1-D operands
    if (a.dim() == 1) g2 = layout::unsqueeze(g2, g2.dim() - (b.dim() == 1 ? 0 : 1));
    if (b.dim() == 1) g2 = layout::unsqueeze(g2, -1);
    Tensor ga, gb;
    if (need_a) ga = reduce_to(ops::matmul(g2, transpose_last(b2)), a2.shape(), a.dtype()).reshape(a.shape());
    if (need_b) gb = reduce_to(ops::matmul(transpose_last(a2), g2), b2.shape(), b.dtype()).reshape(b.shape());
    return Grads{ga, gb};
  });
}

Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias) {
  Tensor y = ops::linear(x, weight, bias);
  const Tensor no_bias;
  const Tensor& b = bias ? *bias : no_bias;
  if (!needs_grad({&x, &weight, &b})) return y;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = b.defined() && b.requires_grad();
  return record("LinearBackward", y, {&x, &weight, &b}, [=](const Tensor& g) {
    const Tensor g2 = ops::reshape(g, {-1, weight.size(0)});
    Tensor gx, gw, gb;
    if (need_x) gx = ops::reshape(ops::matmul(g2, weight), x.shape());
    if (need_w) gw = ops::matmul(layout::t(g2), ops::reshape(x, {-1, weight.size(1)}));
    if (need_b) gb = ops::sum(g2, {0});
    return Grads{gx, gw, gb};
  });
}

}  // namespace ignis

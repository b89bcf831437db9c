// Differentiable batch and layer normalisation: the fused forwards of the ops layer, and their
// fused gradients as the nodes' backward.
#include "ignis/autograd/normalization.hpp"

#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

ops::BatchNormForward batch_norm_with_stats(const Tensor& x, const std::optional<Tensor>& weight,
                                            const std::optional<Tensor>& bias, const std::optional<Tensor>& mean,
                                            const std::optional<Tensor>& var, bool training, double eps) {
  ops::BatchNormForward out = ops::batch_norm(x, weight, bias, mean, var, training, eps);
  const Tensor w = weight.value_or(Tensor()), b = bias.value_or(Tensor());
  if (!needs_grad({&x, &w, &b})) return out;
  const std::array<bool, 3> want{x.requires_grad(), w.defined() && w.requires_grad(),
                                 b.defined() && b.requires_grad()};
  // The statistics are saved as computed (training) or as given: a later in-place update of
  // the running statistics must not change this graph's gradient.
  out.y = record("NativeBatchNormBackward", out.y, {&x, &w, &b},
                 [=, x_saved = x.detach(), w_saved = w.defined() ? std::optional<Tensor>(w.detach()) : std::nullopt,
                  m = training ? out.mean : out.mean.detach().clone(),
                  v = training ? out.var : out.var.detach().clone()](const Tensor& g) {
                   ops::BatchNormGrads grads = ops::batch_norm_backward(g, x_saved, w_saved, m, v, training, eps, want);
                   return Grads{grads.x, grads.weight, grads.bias};
                 });
  return out;
}

ops::LayerNormForward layer_norm_with_stats(const Tensor& x, const Shape& normalized_shape,
                                            const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                                            double eps) {
  ops::LayerNormForward out = ops::layer_norm(x, normalized_shape, weight, bias, eps);
  const Tensor w = weight.value_or(Tensor()), b = bias.value_or(Tensor());
  if (!needs_grad({&x, &w, &b})) return out;
  const std::array<bool, 3> want{x.requires_grad(), w.defined() && w.requires_grad(),
                                 b.defined() && b.requires_grad()};
  out.y = record("NativeLayerNormBackward", out.y, {&x, &w, &b},
                 [=, x_saved = x.detach(), w_saved = w.defined() ? std::optional<Tensor>(w.detach()) : std::nullopt,
                  mean = out.mean, rstd = out.rstd](const Tensor& g) {
                   ops::LayerNormGrads grads =
                       ops::layer_norm_backward(g, x_saved, normalized_shape, w_saved, mean, rstd, want);
                   return Grads{grads.x, grads.weight, grads.bias};
                 });
  return out;
}

}  // namespace ignis

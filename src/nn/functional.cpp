// Layers as compositions of differentiable ops: their gradients need no code of their own.
#include "ignis/nn/functional.hpp"

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/index.hpp"
#include "ignis/autograd/normalization.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn::functional {

Tensor leaky_relu(const Tensor& x, double negative_slope) { return where(x > 0.0, x, x * negative_slope); }

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  if (p < 0 || p > 1) detail::fail<ValueError>("[dropout] probability must be in [0, 1], got {}", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  const Tensor keep = rand(x.shape(), {.dtype = x.dtype(), .device = x.device()}, generator) >= p;
  return x * keep * (1.0 / (1.0 - p));
}

Tensor dropout2d(const Tensor& x, double p, bool training, Generator* generator) {
  if (p < 0 || p > 1) detail::fail<ValueError>("[dropout2d] probability must be in [0, 1], got {}", p);
  if (x.dim() != 3 && x.dim() != 4) {
    detail::fail<ShapeError>("[dropout2d] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {}",
                             x.shape());
  }
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  Shape mask_shape = x.shape();  // one draw per channel, broadcast over the plane
  mask_shape[x.dim() - 1] = mask_shape[x.dim() - 2] = 1;
  const Tensor keep = rand(mask_shape, {.dtype = x.dtype(), .device = x.device()}, generator) >= p;
  return x * keep * (1.0 / (1.0 - p));
}

Tensor batch_norm(const Tensor& x, const std::optional<Tensor>& running_mean, const std::optional<Tensor>& running_var,
                  const std::optional<Tensor>& weight, const std::optional<Tensor>& bias, bool training,
                  double momentum, double eps) {
  // Training normalises by the batch's statistics (the running ones are not read); evaluation by
  // the running ones, which must then exist.
  const ops::BatchNormForward out = batch_norm_with_stats(x, weight, bias, training ? std::nullopt : running_mean,
                                                          training ? std::nullopt : running_var, training, eps);
  if (training && running_mean && running_var) {
    for (const auto* t : {&running_mean, &running_var}) {
      if ((*t)->dim() != 1 || (*t)->size(0) != x.size(1)) {
        detail::fail<ShapeError>("[batch_norm] input {} has {} channels but a running statistic has shape {}",
                                 x.shape(), x.size(1), (*t)->shape());
      }
    }
    NoGradGuard no_grad;
    const std::int64_t count = x.numel() / x.size(1);
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    Tensor rm = *running_mean, rv = *running_var;
    rm.copy_(rm * (1.0 - momentum) + out.mean * momentum);
    rv.copy_(rv * (1.0 - momentum) + out.var * (momentum * unbias));
  }
  return out.y;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps) {
  // The fused op (one pass over each row forward, one backward) instead of ~9 composed ops
  // forward and ~20 backward: W8's LayerNorms.
  return layer_norm_with_stats(x, normalized_shape, weight, bias, eps).y;
}

Tensor embedding(const Tensor& indices, const Tensor& weight) {
  if (weight.dim() != 2) detail::fail<ShapeError>("[embedding] weight must be 2-D, got {}", weight.shape());
  Shape out = indices.shape();
  out.push_back(weight.size(1));
  return index_select(weight, 0, indices.reshape({-1})).reshape(out);
}

}  // namespace ignis::nn::functional

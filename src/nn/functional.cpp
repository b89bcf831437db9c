// Layers as compositions of differentiable ops: their gradients need no code of their own.
#include "ignis/nn/functional.hpp"

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/index.hpp"
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
  if (x.dim() < 2) detail::fail<ShapeError>("[batch_norm] expected an (N, C, ...) input, got shape {}", x.shape());
  const std::int64_t channels = x.size(1);
  Shape stat_shape(std::vector<std::int64_t>(static_cast<std::size_t>(x.dim()), 1));
  stat_shape[1] = channels;  // (1, C, 1, ...): broadcasts against x
  for (const auto* t : {&running_mean, &running_var, &weight, &bias}) {
    if (*t && ((*t)->dim() != 1 || (*t)->size(0) != channels)) {
      detail::fail<ShapeError>("[batch_norm] input {} has {} channels but a parameter or running statistic has "
                               "shape {}",
                               x.shape(), channels, (*t)->shape());
    }
  }
  Tensor y;
  if (training) {
    Dims dims{0};
    for (int d = 2; d < x.dim(); ++d) dims.push_back(d);
    const std::int64_t count = x.numel() / std::max<std::int64_t>(channels, 1);
    if (count <= 1) {
      detail::fail<ValueError>("[batch_norm] expected more than 1 value per channel when training, got input shape "
                               "{}; use a larger batch or eval mode",
                               x.shape());
    }
    const Tensor mu = mean(x, dims, kKeepDim);
    const Tensor centered = x - mu;
    const Tensor variance = mean(centered * centered, dims, kKeepDim);  // biased, for normalising
    y = centered * rsqrt(variance + eps);
    if (running_mean && running_var) {
      NoGradGuard no_grad;
      const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      Tensor rm = *running_mean, rv = *running_var;
      rm.copy_(rm * (1.0 - momentum) + mu.detach().reshape({channels}) * momentum);
      rv.copy_(rv * (1.0 - momentum) + variance.detach().reshape({channels}) * (momentum * unbias));
    }
  } else {
    if (!running_mean || !running_var) {
      detail::fail<ValueError>("[batch_norm] evaluation needs running_mean and running_var (or training=true)");
    }
    y = (x - running_mean->reshape(stat_shape)) * rsqrt(running_var->reshape(stat_shape) + eps);
  }
  if (weight) y = y * weight->reshape(stat_shape);
  if (bias) y = y + bias->reshape(stat_shape);
  return y;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                  const std::optional<Tensor>& bias, double eps) {
  const int n = normalized_shape.size();
  bool matches = n >= 1 && x.dim() >= n;
  for (int i = 0; matches && i < n; ++i) matches = x.size(x.dim() - n + i) == normalized_shape[i];
  if (!matches) {
    detail::fail<ShapeError>("[layer_norm] input shape {} does not end with normalized_shape {}", x.shape(),
                             normalized_shape);
  }
  Dims dims;
  for (int i = 0; i < n; ++i) dims.push_back(x.dim() - n + i);
  const Tensor mu = mean(x, dims, kKeepDim);
  const Tensor centered = x - mu;
  const Tensor variance = mean(centered * centered, dims, kKeepDim);  // biased, as PyTorch
  Tensor y = centered * rsqrt(variance + eps);
  if (weight) y = y * *weight;
  if (bias) y = y + *bias;
  return y;
}

Tensor embedding(const Tensor& indices, const Tensor& weight) {
  if (weight.dim() != 2) detail::fail<ShapeError>("[embedding] weight must be 2-D, got {}", weight.shape());
  Shape out = indices.shape();
  out.push_back(weight.size(1));
  return index_select(weight, 0, indices.reshape({-1})).reshape(out);
}

}  // namespace ignis::nn::functional

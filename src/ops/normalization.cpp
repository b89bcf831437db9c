// Batch normalisation: argument checks and the (N, C, S) view the backends work on; the
// normalisation itself is the backend's (oneDNN on the CPU).
#include "ignis/ops/normalization.hpp"

#include "conv_shapes.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

/// x as a contiguous (N, C, S) tensor, S the product of the dimensions after the channels.
Tensor channels_view(const Tensor& x) {
  const std::int64_t n = x.size(0), c = x.size(1);
  const std::int64_t s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
  return layout::view(ops::contiguous(x), {n, c, s});
}

/// The tensor of an optional per-channel argument after checking it (undefined when absent).
Tensor channel_argument(const std::optional<Tensor>& t, const Tensor& x, const char* what) {
  if (!t) return Tensor();
  check_defined(*t, "batch_norm", what);
  check_same_device("batch_norm", x, *t);
  check_floating_same("batch_norm", x, *t);
  if (t->dim() != 1 || t->size(0) != x.size(1)) {
    detail::fail<ShapeError>("[batch_norm] input {} has {} channels but {} has shape {}", x.shape(), x.size(1), what,
                             t->shape());
  }
  return ops::contiguous(*t);
}

kernels::BatchNormParams params_of(bool training, double eps) {
  if (!(eps >= 0)) detail::fail<ValueError>("[batch_norm] eps must be non-negative, got {}", eps);
  return {.eps = eps, .training = training};
}

}  // namespace

BatchNormForward batch_norm(const Tensor& x, const std::optional<Tensor>& weight, const std::optional<Tensor>& bias,
                            const std::optional<Tensor>& mean, const std::optional<Tensor>& var, bool training,
                            double eps) {
  check_defined(x, "batch_norm");
  if (x.dim() < 2) detail::fail<ShapeError>("[batch_norm] expected an (N, C, ...) input, got shape {}", x.shape());
  check_floating_same("batch_norm", x, x);
  const kernels::BatchNormParams params = params_of(training, eps);
  const Tensor w = channel_argument(weight, x, "weight"), b = channel_argument(bias, x, "bias");
  Tensor m = channel_argument(mean, x, "running_mean"), v = channel_argument(var, x, "running_var");
  if (training) {
    const std::int64_t count = x.numel() / std::max<std::int64_t>(x.size(1), 1);
    if (count <= 1) {
      detail::fail<ValueError>("[batch_norm] expected more than 1 value per channel when training, got input shape "
                               "{}; use a larger batch or eval mode",
                               x.shape());
    }
    m = new_tensor({x.size(1)}, x.dtype(), x.device());
    v = new_tensor({x.size(1)}, x.dtype(), x.device());
  } else if (!m.defined() || !v.defined()) {
    detail::fail<ValueError>("[batch_norm] evaluation needs running_mean and running_var (or training=true)");
  }
  const Tensor x3 = channels_view(x);
  Tensor y = new_tensor(x3.shape(), x.dtype(), x.device());
  backend_of(y).batch_norm(params, x3, w, b, m, v, y);
  return {layout::view(y, x.shape()), m, v};
}

BatchNormGrads batch_norm_backward(const Tensor& grad_y, const Tensor& x, const std::optional<Tensor>& weight,
                                   const Tensor& mean, const Tensor& var, bool training, double eps,
                                   std::array<bool, 3> want) {
  const Tensor w = channel_argument(weight, x, "weight");
  const Tensor x3 = channels_view(x);
  const Tensor g3 = layout::view(ops::contiguous(grad_y), x3.shape());
  const std::int64_t c = x.size(1);
  BatchNormGrads grads;
  if (want[0]) grads.x = new_tensor(x3.shape(), x.dtype(), x.device());
  if (want[1] && w.defined()) grads.weight = new_tensor({c}, x.dtype(), x.device());
  if (want[2]) grads.bias = new_tensor({c}, x.dtype(), x.device());
  backend_of(x).batch_norm_backward(params_of(training, eps), g3, x3, w, ops::contiguous(mean), ops::contiguous(var),
                                    grads.x, grads.weight, grads.bias);
  if (grads.x.defined()) grads.x = layout::view(grads.x, x.shape());
  return grads;
}

}  // namespace ignis::ops

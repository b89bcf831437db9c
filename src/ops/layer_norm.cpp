// Layer normalisation: argument checks and the (R, N) view the backends work on (R rows of the
// N = product(normalized_shape) values each row is normalised over); the normalisation itself
// is the backend's (kernels/layer_norm_functors.hpp).
#include "ignis/ops/normalization.hpp"

#include <limits>

#include "conv_shapes.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

struct Rows {
  std::int64_t rows, n;
  Shape leading;  // x's shape without the normalized dimensions: the statistics' shape
};

Rows rows_of(const Tensor& x, const Shape& normalized_shape) {
  const int k = normalized_shape.size();
  bool matches = k >= 1 && x.dim() >= k;
  for (int i = 0; matches && i < k; ++i) matches = x.size(x.dim() - k + i) == normalized_shape[i];
  if (!matches) {
    detail::fail<ShapeError>("[layer_norm] input shape {} does not end with normalized_shape {}", x.shape(),
                             normalized_shape);
  }
  Rows r{1, 1, {}};
  for (int i = 0; i < x.dim() - k; ++i) {
    r.rows *= x.size(i);
    r.leading.push_back(x.size(i));
  }
  for (int i = 0; i < k; ++i) r.n *= normalized_shape[i];
  return r;
}

/// The tensor of an optional weight or bias after checking it (undefined when absent).
Tensor affine_argument(const std::optional<Tensor>& t, const Tensor& x, const Shape& normalized_shape,
                       const char* what) {
  if (!t) return Tensor();
  check_defined(*t, "layer_norm", what);
  check_same_device("layer_norm", x, *t);
  check_floating_same("layer_norm", x, *t);
  if (t->shape() != normalized_shape) {
    detail::fail<ShapeError>("[layer_norm] {} has shape {} but normalized_shape is {}", what, t->shape(),
                             normalized_shape);
  }
  return layout::view(ops::contiguous(*t), {t->numel()});
}

}  // namespace

LayerNormForward layer_norm(const Tensor& x, const Shape& normalized_shape, const std::optional<Tensor>& weight,
                            const std::optional<Tensor>& bias, double eps) {
  check_defined(x, "layer_norm");
  check_floating_same("layer_norm", x, x);
  if (!(eps >= 0)) detail::fail<ValueError>("[layer_norm] eps must be non-negative, got {}", eps);
  const Rows r = rows_of(x, normalized_shape);
  const Tensor w = affine_argument(weight, x, normalized_shape, "weight");
  const Tensor b = affine_argument(bias, x, normalized_shape, "bias");
  const Tensor x2 = layout::view(ops::contiguous(x), {r.rows, r.n});
  Tensor y = new_tensor({r.rows, r.n}, x.dtype(), x.device());
  Tensor mean = new_tensor({r.rows}, x.dtype(), x.device()), rstd = new_tensor({r.rows}, x.dtype(), x.device());
  if (r.n == 0 && r.rows > 0) {  // the statistics of no values, as PyTorch: NaN
    mean.fill_(std::numeric_limits<double>::quiet_NaN());
    rstd.fill_(std::numeric_limits<double>::quiet_NaN());
  }
  backend_of(y).layer_norm(eps, x2, w, b, y, mean, rstd);
  return {layout::view(y, x.shape()), layout::view(mean, r.leading), layout::view(rstd, r.leading)};
}

LayerNormGrads layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Shape& normalized_shape,
                                   const std::optional<Tensor>& weight, const Tensor& mean, const Tensor& rstd,
                                   std::array<bool, 3> want) {
  check_defined(grad_y, "layer_norm_backward", "grad_y");
  check_defined(x, "layer_norm_backward");
  check_floating_same("layer_norm_backward", x, grad_y);
  const Rows r = rows_of(x, normalized_shape);
  if (grad_y.shape() != x.shape() || mean.numel() != r.rows || rstd.numel() != r.rows) {
    detail::fail<ShapeError>("[layer_norm_backward] grad_y {} must have the input's shape {}, mean {} and rstd {} "
                             "its {} rows",
                             grad_y.shape(), x.shape(), mean.shape(), rstd.shape(), r.rows);
  }
  const Tensor w = affine_argument(weight, x, normalized_shape, "weight");
  const Tensor x2 = layout::view(ops::contiguous(x), {r.rows, r.n});
  const Tensor g2 = layout::view(ops::contiguous(grad_y), {r.rows, r.n});
  LayerNormGrads grads;
  if (want[0]) grads.x = new_tensor({r.rows, r.n}, x.dtype(), x.device());
  if (want[1] && w.defined()) grads.weight = new_tensor({r.n}, x.dtype(), x.device());
  if (want[2]) grads.bias = new_tensor({r.n}, x.dtype(), x.device());
  backend_of(x).layer_norm_backward(g2, x2, w, layout::view(ops::contiguous(mean), {r.rows}),
                                    layout::view(ops::contiguous(rstd), {r.rows}), grads.x, grads.weight, grads.bias);
  if (grads.x.defined()) grads.x = layout::view(grads.x, x.shape());
  if (grads.weight.defined()) grads.weight = layout::view(grads.weight, normalized_shape);
  if (grads.bias.defined()) grads.bias = layout::view(grads.bias, normalized_shape);
  return grads;
}

}  // namespace ignis::ops

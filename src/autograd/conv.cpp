// Differentiable conv2d and pooling: the raw ops forward, the backend's gradient passes
// backward (oneDNN's backward-data/backward-weights primitives on the CPU).
#include "ignis/autograd/conv.hpp"

#include "ignis/ops/reduce.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

Tensor conv2d(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias,
              const Conv2dOptions& options) {
  Tensor y = ops::conv2d(x, weight, bias, options);
  const Tensor no_bias;
  const Tensor& b = bias ? *bias : no_bias;
  if (!needs_grad({&x, &weight, &b})) return y;
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = b.defined() && b.requires_grad();
  const Tensor x_saved = need_w ? x : Tensor();
  const Tensor w_saved = need_x ? weight : Tensor();
  return record("ConvolutionBackward", y, {&x, &weight, &b},
                [=, x_shape = x.shape(), w_shape = weight.shape()](const Tensor& g) {
                  Tensor gx, gw, gb;
                  if (need_x) gx = ops::conv2d_backward_input(g, w_saved, x_shape, options);
                  if (need_w) gw = ops::conv2d_backward_weight(g, x_saved, w_shape, options);
                  if (need_b) gb = ops::sum(g, g.dim() == 3 ? Dims{1, 2} : Dims{0, 2, 3});
                  return Grads{gx, gw, gb};
                });
}

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  auto [y, indices] = ops::max_pool2d_with_indices(x, options);
  if (!needs_grad(x)) return y;
  return record("MaxPool2DWithIndicesBackward", y, {&x},
                [indices = indices, options, x_shape = x.shape()](const Tensor& g) {
                  return Grads{ops::max_pool2d_backward(g, indices, x_shape, options)};
                });
}

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  Tensor y = ops::avg_pool2d(x, options);
  if (!needs_grad(x)) return y;
  return record("AvgPool2DBackward", y, {&x}, [options, x_shape = x.shape()](const Tensor& g) {
    return Grads{ops::avg_pool2d_backward(g, x_shape, options)};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  Tensor y = ops::adaptive_avg_pool2d(x, output_size);
  if (!needs_grad(x)) return y;
  return record("AdaptiveAvgPool2DBackward", y, {&x}, [x_shape = x.shape()](const Tensor& g) {
    return Grads{ops::adaptive_avg_pool2d_backward(g, x_shape)};
  });
}

}  // namespace ignis

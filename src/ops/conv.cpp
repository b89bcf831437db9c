// conv2d and its two gradients: argument checks, padding resolution ('same'), output shapes,
// and empty problems (answered here, so every backend sees only non-empty ones); the convolution
// itself is the backend's (oneDNN on the CPU, cuDNN on CUDA).
#include "ignis/ops/conv.hpp"

#include <algorithm>

#include "conv_shapes.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

/// The convolution's parameters for an (N, C, H, W) input x and weight w (kKerasSame's padding
/// depends on the input size).
kernels::Conv2dParams resolve(const Conv2dOptions& o, const Shape& x_shape, const Shape& w_shape) {
  for (int d = 0; d < 2; ++d) {
    if (o.stride[d] <= 0 || o.dilation[d] <= 0 || o.padding[d] < 0) {
      detail::fail<ValueError>("[conv2d] stride and dilation must be positive and padding non-negative, got "
                               "stride ({}, {}), padding ({}, {}), dilation ({}, {})",
                               o.stride[0], o.stride[1], o.padding[0], o.padding[1], o.dilation[0], o.dilation[1]);
    }
  }
  if (o.groups <= 0) detail::fail<ValueError>("[conv2d] groups must be positive, got {}", o.groups);
  kernels::Conv2dParams p;
  p.groups = o.groups;
  for (int d = 0; d < 2; ++d) {
    p.stride[d] = o.stride[d];
    p.dilation[d] = o.dilation[d];
    switch (o.padding_mode) {
      case Padding::kExplicit:
        p.pad_begin[d] = p.pad_end[d] = o.padding[d];
        break;
      case Padding::kValid:
        break;
      case Padding::kSame: {
        if (o.stride[d] != 1) {
          detail::fail<ValueError>("[conv2d] padding='same' needs stride 1, got stride ({}, {}); give explicit "
                                   "padding instead",
                                   o.stride[0], o.stride[1]);
        }
        const std::int64_t total = o.dilation[d] * (w_shape[2 + d] - 1);
        p.pad_begin[d] = total / 2;
        p.pad_end[d] = total - total / 2;
        break;
      }
      case Padding::kKerasSame: {
        // TensorFlow's rule: just enough for ceil(in / stride) outputs, the smaller half before.
        const std::int64_t in = x_shape[2 + d], s = o.stride[d];
        const std::int64_t out = (in + s - 1) / s;
        const std::int64_t total =
            std::max<std::int64_t>((out - 1) * s + (w_shape[2 + d] - 1) * o.dilation[d] + 1 - in, 0);
        p.pad_begin[d] = total / 2;
        p.pad_end[d] = total - total / 2;
        break;
      }
    }
  }
  return p;
}

Shape output_shape(const kernels::Conv2dParams& p, const Shape& x, const Shape& w) {
  Shape out{x[0], w[0], 0, 0};
  for (int d = 0; d < 2; ++d) {
    const std::int64_t padded = x[2 + d] + p.pad_begin[d] + p.pad_end[d];
    const std::int64_t span = p.dilation[d] * (w[2 + d] - 1) + 1;
    if (span > padded) {
      detail::fail<ShapeError>("[conv2d] the kernel ({}, {}) with dilation ({}, {}) spans more than the padded "
                               "input {}; pad the input or use a smaller kernel",
                               w[2], w[3], p.dilation[0], p.dilation[1], x);
    }
    out[2 + d] = kernels::window_output_size(x[2 + d], w[2 + d], p.stride[d], p.pad_begin[d] + p.pad_end[d],
                                             p.dilation[d]);
  }
  return out;
}

void check_weight(const Shape& x, const Tensor& weight, std::int64_t groups) {
  if (weight.dim() != 4) {
    detail::fail<ShapeError>("[conv2d] weight must be 4-D (out_channels, in_channels / groups, kH, kW), got "
                             "shape {}",
                             weight.shape());
  }
  if (weight.size(0) % groups != 0 || x[1] != weight.size(1) * groups) {
    detail::fail<ShapeError>("[conv2d] input {} has {} channels but weight {} with groups={} expects {} (and "
                             "out_channels divisible by groups)",
                             x, x[1], weight.shape(), groups, weight.size(1) * groups);
  }
}

/// An input with no elements (no input channels, an empty image) reads only padding zeros, so
/// every output is the bias, or zero without one.
void fill_with_bias(const Tensor& out, const Tensor& bias) {
  backend::Backend& b = backend_of(out);
  if (bias.defined()) {
    b.copy(layout::expand(layout::view(bias, {1, bias.size(0), 1, 1}), out.shape()), out);
  } else {
    b.fill(out, 0);
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias,
              const Conv2dOptions& options) {
  check_defined(x, "conv2d", "input");
  check_defined(weight, "conv2d", "weight");
  check_same_device("conv2d", x, weight);
  check_floating_same("conv2d", x, weight);
  const Tensor x4 = ops::contiguous(batched(x, "conv2d"));
  check_weight(x4.shape(), weight, options.groups);
  const kernels::Conv2dParams params = resolve(options, x4.shape(), weight.shape());
  Tensor b;
  if (bias) {
    check_defined(*bias, "conv2d", "bias");
    check_same_device("conv2d", x, *bias);
    check_floating_same("conv2d", x, *bias);
    if (bias->dim() != 1 || bias->size(0) != weight.size(0)) {
      detail::fail<ShapeError>("[conv2d] bias must have shape ({}), got {}", weight.size(0), bias->shape());
    }
    b = ops::contiguous(*bias);
  }
  Tensor out = new_tensor(output_shape(params, x4.shape(), weight.shape()), x.dtype(), x.device());
  if (out.numel() == 0) {
    // nothing to compute
  } else if (x4.numel() == 0) {
    fill_with_bias(out, b);
  } else {
    backend_of(out).conv2d(params, x4, ops::contiguous(weight), b, out);
  }
  return x.dim() == 3 ? layout::squeeze(out, 0) : out;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& x_shape,
                             const Conv2dOptions& options) {
  const Shape x4 = batched_shape(x_shape);
  const kernels::Conv2dParams params = resolve(options, x4, weight.shape());
  Tensor grad_x = new_tensor(x4, grad_out.dtype(), grad_out.device());
  const Tensor g = ops::contiguous(layout::view(ops::contiguous(grad_out), output_shape(params, x4, weight.shape())));
  if (grad_x.numel() == 0) {
    // nothing to compute
  } else if (g.numel() == 0 || weight.numel() == 0) {  // x reaches no output: its gradient is zero
    backend_of(grad_x).fill(grad_x, 0);
  } else {
    backend_of(grad_x).conv2d_backward_input(params, g, ops::contiguous(weight), grad_x);
  }
  return layout::view(grad_x, x_shape);
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& weight_shape,
                              const Conv2dOptions& options) {
  const Tensor x4 = ops::contiguous(batched(x, "conv2d"));
  const kernels::Conv2dParams params = resolve(options, x4.shape(), weight_shape);
  Tensor grad_w = new_tensor(weight_shape, grad_out.dtype(), grad_out.device());
  const Tensor g =
      ops::contiguous(layout::view(ops::contiguous(grad_out), output_shape(params, x4.shape(), weight_shape)));
  if (grad_w.numel() == 0) {
    // nothing to compute
  } else if (g.numel() == 0 || x4.numel() == 0) {  // no (input, output) pair meets a weight
    backend_of(grad_w).fill(grad_w, 0);
  } else {
    backend_of(grad_w).conv2d_backward_weight(params, g, x4, grad_w);
  }
  return grad_w;
}

}  // namespace ignis::ops

// Max, average and adaptive average 2-D pooling and their gradients: argument checks and output
// shapes (torch's pooling_output_shape, ceil_mode included); the loops are the backend's.
#include "conv_shapes.hpp"
#include "ignis/ops/conv.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

kernels::Pool2dParams resolve(const Pool2dOptions& o, const char* op) {
  const Size2 stride = o.stride.value_or(o.kernel_size);
  kernels::Pool2dParams p;
  for (int d = 0; d < 2; ++d) {
    if (o.kernel_size[d] <= 0 || stride[d] <= 0 || o.dilation[d] <= 0 || o.padding[d] < 0) {
      detail::fail<ValueError>("[{}] kernel_size, stride and dilation must be positive and padding non-negative, "
                               "got kernel_size ({}, {}), stride ({}, {}), padding ({}, {}), dilation ({}, {})",
                               op, o.kernel_size[0], o.kernel_size[1], stride[0], stride[1], o.padding[0],
                               o.padding[1], o.dilation[0], o.dilation[1]);
    }
    if (o.padding[d] > o.kernel_size[d] / 2) {
      detail::fail<ValueError>("[{}] padding ({}, {}) must be at most half of kernel_size ({}, {})", op,
                               o.padding[0], o.padding[1], o.kernel_size[0], o.kernel_size[1]);
    }
    p.kernel[d] = o.kernel_size[d];
    p.stride[d] = stride[d];
    p.padding[d] = o.padding[d];
    p.dilation[d] = o.dilation[d];
  }
  p.count_include_pad = o.count_include_pad;
  return p;
}

std::int64_t pooled_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pad, std::int64_t dil,
                         bool ceil_mode) {
  const std::int64_t room = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  if (room < 0) return 0;
  std::int64_t out = room / s + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;  // the last window must start inside the input
  return out;
}

Shape pooled_shape(const kernels::Pool2dParams& p, const Shape& x4, bool ceil_mode, const char* op) {
  Shape out{x4[0], x4[1], 0, 0};
  for (int d = 0; d < 2; ++d) {
    out[2 + d] = pooled_size(x4[2 + d], p.kernel[d], p.stride[d], p.padding[d], p.dilation[d], ceil_mode);
    if (out[2 + d] <= 0) {
      detail::fail<ShapeError>("[{}] input {} is too small for kernel_size ({}, {}) with padding ({}, {}) and "
                               "dilation ({}, {}): the output would be empty",
                               op, x4, p.kernel[0], p.kernel[1], p.padding[0], p.padding[1], p.dilation[0],
                               p.dilation[1]);
    }
  }
  return out;
}

/// Drops the batch dimension again for an unbatched input.
Tensor unbatch(const Tensor& out, const Tensor& x) { return x.dim() == 3 ? layout::squeeze(out, 0) : out; }

Tensor checked_input(const Tensor& x, const char* op) {
  check_defined(x, op, "input");
  check_floating_same(op, x, x);
  return ops::contiguous(batched(x, op));
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options) {
  const Tensor x4 = checked_input(x, "max_pool2d");
  const kernels::Pool2dParams p = resolve(options, "max_pool2d");
  const Shape shape = pooled_shape(p, x4.shape(), options.ceil_mode, "max_pool2d");
  Tensor out = new_tensor(shape, x.dtype(), x.device());
  Tensor indices = new_tensor(shape, DType::kInt64, x.device());
  backend_of(out).pool2d(kernels::PoolOp::kMax, p, x4, out, indices);
  return {unbatch(out, x), unbatch(indices, x)};
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape,
                           const Pool2dOptions& options) {
  const Shape x4 = batched_shape(x_shape);
  const kernels::Pool2dParams p = resolve(options, "max_pool2d");
  const Shape shape = pooled_shape(p, x4, options.ceil_mode, "max_pool2d");
  Tensor grad_x = new_tensor(x4, grad_out.dtype(), grad_out.device());
  backend_of(grad_x).pool2d_backward(kernels::PoolOp::kMax, p, ops::contiguous(layout::view(ops::contiguous(grad_out), shape)),
                                     ops::contiguous(layout::view(ops::contiguous(indices), shape)), grad_x);
  return layout::view(grad_x, x_shape);
}

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const Tensor x4 = checked_input(x, "avg_pool2d");
  const kernels::Pool2dParams p = resolve(options, "avg_pool2d");
  Tensor out = new_tensor(pooled_shape(p, x4.shape(), options.ceil_mode, "avg_pool2d"), x.dtype(), x.device());
  backend_of(out).pool2d(kernels::PoolOp::kAvg, p, x4, out, Tensor());
  return unbatch(out, x);
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const Pool2dOptions& options) {
  const Shape x4 = batched_shape(x_shape);
  const kernels::Pool2dParams p = resolve(options, "avg_pool2d");
  const Shape shape = pooled_shape(p, x4, options.ceil_mode, "avg_pool2d");
  Tensor grad_x = new_tensor(x4, grad_out.dtype(), grad_out.device());
  backend_of(grad_x).pool2d_backward(kernels::PoolOp::kAvg, p, ops::contiguous(layout::view(ops::contiguous(grad_out), shape)),
                                     Tensor(), grad_x);
  return layout::view(grad_x, x_shape);
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size) {
  const Tensor x4 = checked_input(x, "adaptive_avg_pool2d");
  if (output_size[0] <= 0 || output_size[1] <= 0) {
    detail::fail<ValueError>("[adaptive_avg_pool2d] output_size must be positive, got ({}, {})", output_size[0],
                             output_size[1]);
  }
  if (x4.size(2) == 0 || x4.size(3) == 0) {
    detail::fail<ShapeError>("[adaptive_avg_pool2d] input {} has an empty spatial dimension", x.shape());
  }
  Tensor out = new_tensor({x4.size(0), x4.size(1), output_size[0], output_size[1]}, x.dtype(), x.device());
  backend_of(out).pool2d(kernels::PoolOp::kAdaptiveAvg, {}, x4, out, Tensor());
  return unbatch(out, x);
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape) {
  const Shape x4 = batched_shape(x_shape);
  const Tensor g = ops::contiguous(grad_out.dim() == 3 ? layout::unsqueeze(grad_out, 0) : grad_out);
  Tensor grad_x = new_tensor(x4, grad_out.dtype(), grad_out.device());
  backend_of(grad_x).pool2d_backward(kernels::PoolOp::kAdaptiveAvg, {}, g, Tensor(), grad_x);
  return layout::view(grad_x, x_shape);
}

}  // namespace ignis::ops

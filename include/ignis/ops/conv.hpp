#pragma once
// 2-D convolution and pooling without autograd (torch.nn.functional.conv2d, max_pool2d,
// avg_pool2d, adaptive_avg_pool2d), layout NCHW. An unbatched (C, H, W) input gives an unbatched
// output. float32 and float64 only; input, weight and bias share dtype and device.
//
// Output size along each spatial dimension:
//   floor((in + pad_total - dilation * (kernel - 1) - 1) / stride) + 1   (ceil with ceil_mode)
// The *_backward functions are the gradients used by the autograd layer; they take the shape of
// the tensor whose gradient they return.
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "ignis/core/shape.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

/// (height, width).
using Size2 = std::array<std::int64_t, 2>;

/// kExplicit: Conv2dOptions::padding on both sides. kValid: no padding. kSame: output size =
/// input size (stride 1 only, as PyTorch, which refuses 'same' with strides); an odd total pads
/// one more at the bottom/right. kKerasSame: TensorFlow/Keras 'same', for any stride: output size
/// = ceil(in / stride), total padding max((ceil(in / s) - 1) * s + (k - 1) * d + 1 - in, 0) (so
/// it depends on the input size), the smaller half before; with stride 1 it equals kSame.
enum class Padding { kExplicit, kValid, kSame, kKerasSame };

struct Conv2dOptions {
  Size2 stride = {1, 1};
  Size2 padding = {0, 0};
  Size2 dilation = {1, 1};
  std::int64_t groups = 1;
  Padding padding_mode = Padding::kExplicit;
};

/// stride defaults to kernel_size. Padding (implicit -inf for max, 0 for average) must be at
/// most half the kernel.
struct Pool2dOptions {
  Size2 kernel_size = {2, 2};
  std::optional<Size2> stride = std::nullopt;
  Size2 padding = {0, 0};
  Size2 dilation = {1, 1};  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
};

}  // namespace ignis

// The options live in namespace ignis so that argument-dependent lookup of an unqualified
// conv2d(x, w, b, options) finds the differentiable ignis::conv2d only.
namespace ignis::ops {

/// x (N, C, H, W), weight (O, C / groups, kH, kW), bias (O) -> (N, O, OH, OW).
Tensor conv2d(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              const Conv2dOptions& options = {});
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& weight, const Shape& x_shape,
                             const Conv2dOptions& options);
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& weight_shape,
                              const Conv2dOptions& options);

/// The maxima and their flat positions h * W + w within each (sample, channel) plane (int64).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options);
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape,
                           const Pool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const Pool2dOptions& options);
/// Averages over windows [floor(i * H / OH), ceil((i + 1) * H / OH)) so the output is output_size.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape);

}  // namespace ignis::ops

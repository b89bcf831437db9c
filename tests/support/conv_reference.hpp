#pragma once
// Plain double-precision references for 2-D convolution and pooling (NCHW), used only by tests.
// They take values in row-major order (testing::values_of) and share no code with the library:
// windows are enumerated tap by tap with explicit bounds checks.
#include <cstdint>
#include <vector>

#include "ignis/core/shape.hpp"

namespace ignis::testing {

struct ConvRefParams {
  std::int64_t stride[2] = {1, 1};
  std::int64_t pad_begin[2] = {0, 0};
  std::int64_t pad_end[2] = {0, 0};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t groups = 1;
};

struct RefResult {
  Shape shape;
  std::vector<double> values;
};

/// y = conv2d(x, w) + bias (bias empty: none).
RefResult conv2d_reference(const Shape& x_shape, const std::vector<double>& x, const Shape& w_shape,
                           const std::vector<double>& w, const std::vector<double>& bias, const ConvRefParams& p);
/// d(sum(g * y))/dx and /dw for y = conv2d(x, w).
std::vector<double> conv2d_grad_input_reference(const Shape& x_shape, const Shape& w_shape,
                                                const std::vector<double>& w, const Shape& g_shape,
                                                const std::vector<double>& g, const ConvRefParams& p);
std::vector<double> conv2d_grad_weight_reference(const Shape& x_shape, const std::vector<double>& x,
                                                 const Shape& w_shape, const Shape& g_shape,
                                                 const std::vector<double>& g, const ConvRefParams& p);

struct PoolRefParams {
  std::int64_t kernel[2] = {2, 2};
  std::int64_t stride[2] = {2, 2};
  std::int64_t padding[2] = {0, 0};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t out[2] = {0, 0};  // output size (the caller's: floor or ceil mode)
  bool count_include_pad = true;
};

std::vector<double> max_pool2d_reference(const Shape& x_shape, const std::vector<double>& x, const PoolRefParams& p);
std::vector<double> avg_pool2d_reference(const Shape& x_shape, const std::vector<double>& x, const PoolRefParams& p);
std::vector<double> adaptive_avg_pool2d_reference(const Shape& x_shape, const std::vector<double>& x,
                                                  std::int64_t out_h, std::int64_t out_w);

}  // namespace ignis::testing

#pragma once
// Parameters of 2-D convolution and pooling, and the window arithmetic shared by every backend
// and the ops layer (output sizes, pooling windows). Layout is always NCHW; the weight of a
// convolution is (out_channels, in_channels / groups, kH, kW), as PyTorch.
#include <cstdint>

#include "ignis/core/host_device.hpp"

namespace ignis::kernels {

/// Padding may differ at the two ends of a dimension (padding='same' with an even kernel pads
/// one more at the end, as PyTorch does).
struct Conv2dParams {
  std::int64_t stride[2] = {1, 1};
  std::int64_t pad_begin[2] = {0, 0};
  std::int64_t pad_end[2] = {0, 0};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t groups = 1;
};

enum class PoolOp : std::uint8_t { kMax, kAvg, kAdaptiveAvg };

/// kMax and kAvg use kernel/stride/padding (symmetric)/dilation (kMax only); kAdaptiveAvg
/// derives each window from the input and output sizes alone (torch adaptive_avg_pool2d).
struct Pool2dParams {
  std::int64_t kernel[2] = {1, 1};
  std::int64_t stride[2] = {1, 1};
  std::int64_t padding[2] = {0, 0};
  std::int64_t dilation[2] = {1, 1};
  bool count_include_pad = true;  // kAvg: padded zeros count in the divisor
};

/// Output length of a convolution or pooling along one dimension (floor mode); may be <= 0
/// when the (dilated) kernel does not fit, which the ops layer reports.
IGNIS_HOST_DEVICE inline std::int64_t window_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                                         std::int64_t pad_total, std::int64_t dilation) {
  const std::int64_t span = dilation * (kernel - 1) + 1;
  const std::int64_t room = in + pad_total - span;
  return room < 0 ? 0 : room / stride + 1;
}

/// Input range [begin, end) of output position `o` of an average pooling along one dimension,
/// and the divisor that position uses.
struct AvgWindow {
  std::int64_t begin, end, divisor;
};

IGNIS_HOST_DEVICE inline AvgWindow avg_window(std::int64_t o, std::int64_t in, std::int64_t kernel,
                                              std::int64_t stride, std::int64_t pad, bool count_include_pad) {
  std::int64_t begin = o * stride - pad;
  std::int64_t end = begin + kernel;
  if (end > in + pad) end = in + pad;
  const std::int64_t padded = end - begin;
  if (begin < 0) begin = 0;
  if (end > in) end = in;
  return {begin, end, count_include_pad ? padded : end - begin};
}

/// torch's adaptive window: [floor(o * in / out), ceil((o + 1) * in / out)).
IGNIS_HOST_DEVICE inline AvgWindow adaptive_window(std::int64_t o, std::int64_t in, std::int64_t out) {
  const std::int64_t begin = (o * in) / out;
  const std::int64_t end = ((o + 1) * in + out - 1) / out;
  return {begin, end, end - begin};
}

/// The averaging window of output (y, x) of an H x W plane pooled to OH x OW (kAvg or
/// kAdaptiveAvg); the divisor is the product of the two.
struct AvgWindow2d {
  AvgWindow rows, cols;
};

IGNIS_HOST_DEVICE inline AvgWindow2d avg_window_2d(PoolOp op, const Pool2dParams& p, std::int64_t h, std::int64_t w,
                                                   std::int64_t oh, std::int64_t ow, std::int64_t y, std::int64_t x) {
  if (op == PoolOp::kAdaptiveAvg) return {adaptive_window(y, h, oh), adaptive_window(x, w, ow)};
  return {avg_window(y, h, p.kernel[0], p.stride[0], p.padding[0], p.count_include_pad),
          avg_window(x, w, p.kernel[1], p.stride[1], p.padding[1], p.count_include_pad)};
}

/// Max pooling of output (y, x) over an H x W plane: writes the maximum to *best and returns its
/// flat position iy * W + ix (the first one on ties; a NaN wins over numbers), or -1 when no tap
/// of the window lies inside the plane.
template <class T>
IGNIS_HOST_DEVICE inline std::int64_t max_pool_at(const T* plane, std::int64_t h, std::int64_t w, const Pool2dParams& p,
                                                  std::int64_t y, std::int64_t x, T* best) {
  std::int64_t best_index = -1;
  for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
    const std::int64_t iy = y * p.stride[0] - p.padding[0] + i * p.dilation[0];
    if (iy < 0 || iy >= h) continue;
    for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
      const std::int64_t ix = x * p.stride[1] - p.padding[1] + j * p.dilation[1];
      if (ix < 0 || ix >= w) continue;
      const T v = plane[iy * w + ix];
      const bool v_nan = v != v, best_nan = best_index >= 0 && *best != *best;
      if (best_index < 0 || (!best_nan && (v > *best || v_nan))) {
        *best = v;
        best_index = iy * w + ix;
      }
    }
  }
  return best_index;
}

}  // namespace ignis::kernels

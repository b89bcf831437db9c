#include "support/conv_reference.hpp"

#include <cmath>
#include <limits>

namespace ignis::testing {

namespace {

/// Calls f(x index, w index, y index) for every in-bounds tap of a convolution.
template <class F>
void for_each_tap(const Shape& xs, const Shape& ws, const ConvRefParams& p, std::int64_t oh, std::int64_t ow,
                  const F& f) {
  const std::int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  const std::int64_t o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], og = o / p.groups;
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t oc = 0; oc < o; ++oc)
      for (std::int64_t y = 0; y < oh; ++y)
        for (std::int64_t x = 0; x < ow; ++x)
          for (std::int64_t ic = 0; ic < cg; ++ic)
            for (std::int64_t i = 0; i < kh; ++i)
              for (std::int64_t j = 0; j < kw; ++j) {
                const std::int64_t iy = y * p.stride[0] + i * p.dilation[0] - p.pad_begin[0];
                const std::int64_t ix = x * p.stride[1] + j * p.dilation[1] - p.pad_begin[1];
                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                const std::int64_t channel = (oc / og) * cg + ic;
                f(((b * c + channel) * h + iy) * w + ix, ((oc * cg + ic) * kh + i) * kw + j,
                  ((b * o + oc) * oh + y) * ow + x);
              }
}

std::int64_t conv_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pb, std::int64_t pe,
                      std::int64_t d) {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(in + pb + pe - d * (k - 1) - 1) / s)) + 1;
}

}  // namespace

RefResult conv2d_reference(const Shape& xs, const std::vector<double>& x, const Shape& ws, const std::vector<double>& w,
                           const std::vector<double>& bias, const ConvRefParams& p) {
  const std::int64_t oh = conv_out(xs[2], ws[2], p.stride[0], p.pad_begin[0], p.pad_end[0], p.dilation[0]);
  const std::int64_t ow = conv_out(xs[3], ws[3], p.stride[1], p.pad_begin[1], p.pad_end[1], p.dilation[1]);
  RefResult r{{xs[0], ws[0], oh, ow}, std::vector<double>(static_cast<std::size_t>(xs[0] * ws[0] * oh * ow), 0.0)};
  for_each_tap(xs, ws, p, oh, ow, [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { r.values[yi] += x[xi] * w[wi]; });
  if (!bias.empty()) {
    for (std::size_t i = 0; i < r.values.size(); ++i) r.values[i] += bias[(i / (oh * ow)) % ws[0]];
  }
  return r;
}

std::vector<double> conv2d_grad_input_reference(const Shape& xs, const Shape& ws, const std::vector<double>& w,
                                                const Shape& gs, const std::vector<double>& g,
                                                const ConvRefParams& p) {
  std::vector<double> gx(static_cast<std::size_t>(xs[0] * xs[1] * xs[2] * xs[3]), 0.0);
  for_each_tap(xs, ws, p, gs[2], gs[3], [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { gx[xi] += g[yi] * w[wi]; });
  return gx;
}

std::vector<double> conv2d_grad_weight_reference(const Shape& xs, const std::vector<double>& x, const Shape& ws,
                                                 const Shape& gs, const std::vector<double>& g,
                                                 const ConvRefParams& p) {
  std::vector<double> gw(static_cast<std::size_t>(ws[0] * ws[1] * ws[2] * ws[3]), 0.0);
  for_each_tap(xs, ws, p, gs[2], gs[3], [&](std::int64_t xi, std::int64_t wi, std::int64_t yi) { gw[wi] += g[yi] * x[xi]; });
  return gw;
}

std::vector<double> max_pool2d_reference(const Shape& xs, const std::vector<double>& x, const PoolRefParams& p) {
  const std::int64_t planes = xs[0] * xs[1], h = xs[2], w = xs[3];
  std::vector<double> out;
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t y = 0; y < p.out[0]; ++y)
      for (std::int64_t xx = 0; xx < p.out[1]; ++xx) {
        double best = -std::numeric_limits<double>::infinity();
        for (std::int64_t i = 0; i < p.kernel[0]; ++i)
          for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
            const std::int64_t iy = y * p.stride[0] + i * p.dilation[0] - p.padding[0];
            const std::int64_t ix = xx * p.stride[1] + j * p.dilation[1] - p.padding[1];
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const double v = x[(plane * h + iy) * w + ix];
            if (std::isnan(v) || std::isnan(best)) {
              best = std::numeric_limits<double>::quiet_NaN();
            } else if (v > best) {
              best = v;
            }
          }
        out.push_back(best);
      }
  return out;
}

std::vector<double> avg_pool2d_reference(const Shape& xs, const std::vector<double>& x, const PoolRefParams& p) {
  const std::int64_t planes = xs[0] * xs[1], h = xs[2], w = xs[3];
  std::vector<double> out;
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t y = 0; y < p.out[0]; ++y)
      for (std::int64_t xx = 0; xx < p.out[1]; ++xx) {
        double sum = 0;
        std::int64_t rows_valid = 0, rows_padded = 0, cols_valid = 0, cols_padded = 0;
        for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
          const std::int64_t iy = y * p.stride[0] + i - p.padding[0];
          rows_padded += iy < h + p.padding[0] ? 1 : 0;  // taps past the padded edge (ceil mode) never count
          rows_valid += iy >= 0 && iy < h ? 1 : 0;
        }
        for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
          const std::int64_t ix = xx * p.stride[1] + j - p.padding[1];
          cols_padded += ix < w + p.padding[1] ? 1 : 0;
          cols_valid += ix >= 0 && ix < w ? 1 : 0;
        }
        for (std::int64_t i = 0; i < p.kernel[0]; ++i)
          for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
            const std::int64_t iy = y * p.stride[0] + i - p.padding[0];
            const std::int64_t ix = xx * p.stride[1] + j - p.padding[1];
            if (iy >= 0 && ix >= 0 && iy < h && ix < w) sum += x[(plane * h + iy) * w + ix];
          }
        const double divisor = p.count_include_pad ? static_cast<double>(rows_padded * cols_padded)
                                                   : static_cast<double>(rows_valid * cols_valid);
        out.push_back(sum / divisor);
      }
  return out;
}

std::vector<double> adaptive_avg_pool2d_reference(const Shape& xs, const std::vector<double>& x, std::int64_t out_h,
                                                  std::int64_t out_w) {
  const std::int64_t planes = xs[0] * xs[1], h = xs[2], w = xs[3];
  std::vector<double> out;
  for (std::int64_t plane = 0; plane < planes; ++plane)
    for (std::int64_t y = 0; y < out_h; ++y)
      for (std::int64_t xx = 0; xx < out_w; ++xx) {
        const auto y0 = static_cast<std::int64_t>(std::floor(static_cast<double>(y * h) / out_h));
        const auto y1 = static_cast<std::int64_t>(std::ceil(static_cast<double>((y + 1) * h) / out_h));
        const auto x0 = static_cast<std::int64_t>(std::floor(static_cast<double>(xx * w) / out_w));
        const auto x1 = static_cast<std::int64_t>(std::ceil(static_cast<double>((xx + 1) * w) / out_w));
        double sum = 0;
        for (std::int64_t iy = y0; iy < y1; ++iy)
          for (std::int64_t ix = x0; ix < x1; ++ix) sum += x[(plane * h + iy) * w + ix];
        out.push_back(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
      }
  return out;
}

}  // namespace ignis::testing

#pragma once
// Layer normalisation math shared by every backend. Each row of x (R, N) is normalised by its own
// statistics:
//   mean = Σ x / N,  rstd = 1 / sqrt(Σ (x - mean)² / N + eps),
//   y = (x - mean) * rstd * weight + bias          (weight, bias: (N), optional: 1 and 0).
// The backends reduce per row (their own loops or block reductions, in double) and apply these
// per element.
#include <cmath>
#include <cstdint>

#include "ignis/core/host_device.hpp"

namespace ignis::kernels {

/// 1 / sqrt(var + eps) from the biased variance of a row.
IGNIS_HOST_DEVICE inline double layer_norm_rstd(double var, double eps) { return 1.0 / std::sqrt(var + eps); }

/// y = (x - mean) * rstd * w + b for one element of a row.
template <class T>
struct LayerNormApply {
  T mean, rstd;
  IGNIS_HOST_DEVICE T operator()(T x, T w, T b) const { return (x - mean) * rstd * w + b; }
};

/// The gradient with respect to x for one row of N values, from the row's sums over its
/// elements of gw = grad_y * weight: sum_gw = Σ gw and sum_gw_xhat = Σ gw * xhat, where
/// xhat = (x - mean) * rstd. Then
///   grad_x = rstd * (gw - sum_gw / N - xhat * sum_gw_xhat / N).
/// (The weight's gradient is Σ over rows of grad_y * xhat, the bias's Σ of grad_y.)
template <class T>
struct LayerNormInputGrad {
  T mean, rstd, a, c;  // a = sum_gw / N, c = sum_gw_xhat / N

  IGNIS_HOST_DEVICE static LayerNormInputGrad make(T mean, T rstd, double sum_gw, double sum_gw_xhat,
                                                   std::int64_t n) {
    const double count = static_cast<double>(n);
    return {mean, rstd, static_cast<T>(sum_gw / count), static_cast<T>(sum_gw_xhat / count)};
  }
  IGNIS_HOST_DEVICE T operator()(T gw, T x) const { return rstd * (gw - a - (x - mean) * rstd * c); }
};

}  // namespace ignis::kernels

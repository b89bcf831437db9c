#pragma once
// Batch normalisation math shared by every backend: per channel c of x (N, C, S),
//   y = (x - mean) * invstd * weight + bias,  invstd = 1 / sqrt(var + eps),
// with the batch mean and biased variance in training, the running statistics otherwise. The
// backends reduce per channel (their own loops or primitives) and apply these per element.
#include <cmath>
#include <cstdint>

#include "ignis/core/host_device.hpp"

namespace ignis::kernels {

struct BatchNormParams {
  double eps = 1e-5;
  /// true: mean and var are the batch's, computed by the forward pass (and x's gradient flows
  /// through them); false: they are given (running statistics) and constant.
  bool training = true;
};

/// y = x * scale + shift for one channel: the forward pass folded into two coefficients.
template <class T>
struct BatchNormAffine {
  T scale, shift;

  IGNIS_HOST_DEVICE static BatchNormAffine make(T mean, T var, T weight, T bias, double eps) {
    const T invstd = T(1) / static_cast<T>(std::sqrt(static_cast<double>(var) + eps));
    return {weight * invstd, bias - mean * weight * invstd};
  }
  IGNIS_HOST_DEVICE T operator()(T x) const { return x * scale + shift; }
};

/// The gradient with respect to x for one channel, from the channel's sums over its M = N * S
/// elements: sum_g = Σ grad_y and sum_gx = Σ grad_y * (x - mean). With xhat = (x - mean) *
/// invstd, weight_grad = sum_gx * invstd and bias_grad = sum_g; in training
///   grad_x = weight * invstd * (g - sum_g / M - xhat * Σ(g * xhat) / M),
/// in evaluation (constant statistics) grad_x = weight * invstd * g. Folded into
/// grad_x = g * k - (x - mean) * c - d.
template <class T>
struct BatchNormInputGrad {
  T k, c, d, mean;

  IGNIS_HOST_DEVICE static BatchNormInputGrad make(const BatchNormParams& p, T mean, T var, T weight, double sum_g,
                                                   double sum_gx, std::int64_t count) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(var) + p.eps);
    const double k = static_cast<double>(weight) * invstd;
    if (!p.training) return {static_cast<T>(k), T(0), T(0), mean};
    const double m = static_cast<double>(count);
    return {static_cast<T>(k), static_cast<T>(k * invstd * invstd * sum_gx / m), static_cast<T>(k * sum_g / m), mean};
  }
  IGNIS_HOST_DEVICE T operator()(T g, T x) const { return g * k - (x - mean) * c - d; }
};

/// The parameter gradients of one channel from the same sums.
IGNIS_HOST_DEVICE inline double batch_norm_weight_grad(double sum_gx, double var, double eps) {
  return sum_gx / std::sqrt(var + eps);
}

}  // namespace ignis::kernels

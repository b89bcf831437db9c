// Layer normalisation on the CPU: one parallel loop over rows, over the shared math of
// kernels/layer_norm_functors.hpp (the CUDA kernels use the same). Row sums in double, variance
// in two passes. The weight and bias gradients are sums over rows: each block of kRowBlock rows
// sums into its own partial row, and the partial rows are added in block order, so the result
// does not depend on the number of threads.
#include <vector>

#include "backend/floating_dispatch.hpp"
#include "cpu_backend.hpp"
#include "kernels/layer_norm_functors.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using kernels::LayerNormApply;
using kernels::LayerNormInputGrad;

/// Rows per partial sum of the weight and bias gradients.
constexpr std::int64_t kRowBlock = 32;

/// Σ f(j) for j in [0, n), in double with four independent accumulators (a sum in one
/// accumulator is bound by the latency of each addition).
template <class F>
double row_sum(std::int64_t n, const F& f) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 += f(j);
    s1 += f(j + 1);
    s2 += f(j + 2);
    s3 += f(j + 3);
  }
  for (; j < n; ++j) s0 += f(j);
  return (s0 + s1) + (s2 + s3);
}

/// weight and bias as arrays of n values: the given ones, or 1 and 0.
template <class T>
struct Affine {
  std::vector<T> ones_or_zeros;
  const T* w;
  const T* b;

  Affine(const Tensor& weight, const Tensor& bias, std::int64_t n) {
    if (!weight.defined() || !bias.defined()) ones_or_zeros.resize(static_cast<std::size_t>(2 * n));
    for (std::int64_t j = 0; j < n && !ones_or_zeros.empty(); ++j) ones_or_zeros[j] = T(1);
    w = weight.defined() ? weight.data_ptr<T>() : ones_or_zeros.data();
    b = bias.defined() ? bias.data_ptr<T>() : ones_or_zeros.data() + (ones_or_zeros.empty() ? 0 : n);
  }
};

template <class T>
void loop_forward(double eps, std::int64_t rows, std::int64_t n, const T* x, const Affine<T>& affine, T* y, T* mean,
                  T* rstd) {
  cpu::parallel_for(0, rows, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * n;
      const double mu = row_sum(n, [&](std::int64_t j) { return static_cast<double>(xr[j]); }) / static_cast<double>(n);
      const double squares = row_sum(n, [&](std::int64_t j) {
        const double d = static_cast<double>(xr[j]) - mu;
        return d * d;
      });
      const T m = static_cast<T>(mu), s = static_cast<T>(kernels::layer_norm_rstd(squares / static_cast<double>(n), eps));
      mean[r] = m;
      rstd[r] = s;
      const LayerNormApply<T> apply{m, s};
      T* yr = y + r * n;
      for (std::int64_t j = 0; j < n; ++j) yr[j] = apply(xr[j], affine.w[j], affine.b[j]);
    }
  });
}

template <class T>
void loop_backward(std::int64_t rows, std::int64_t n, const T* g, const T* x, const T* weight, const T* mean,
                   const T* rstd, T* gx, T* gw, T* gb) {
  const std::int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  const bool params = gw != nullptr || gb != nullptr;
  // Per block: Σ g * xhat (first n) and Σ g (next n) over the block's rows.
  std::vector<T> partial(params ? static_cast<std::size_t>(blocks * 2 * n) : 0, T(0));
  cpu::parallel_for(0, blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> gwr(static_cast<std::size_t>(n));  // g * weight of one row
    for (std::int64_t blk = begin; blk < end; ++blk) {
      T* pw = params ? partial.data() + blk * 2 * n : nullptr;
      T* pb = params ? pw + n : nullptr;
      for (std::int64_t r = blk * kRowBlock; r < std::min(rows, (blk + 1) * kRowBlock); ++r) {
        const T* gr = g + r * n;
        const T* xr = x + r * n;
        const T m = mean[r], s = rstd[r];
        if (params) {
          for (std::int64_t j = 0; j < n; ++j) {
            pw[j] += gr[j] * ((xr[j] - m) * s);
            pb[j] += gr[j];
          }
        }
        if (gx == nullptr) continue;
        for (std::int64_t j = 0; j < n; ++j) gwr[j] = weight != nullptr ? gr[j] * weight[j] : gr[j];
        const double sum_gw = row_sum(n, [&](std::int64_t j) { return static_cast<double>(gwr[j]); });
        const double sum_gw_xhat = row_sum(n, [&](std::int64_t j) {
          return static_cast<double>(gwr[j]) * (static_cast<double>(xr[j]) - static_cast<double>(m));
        }) * static_cast<double>(s);
        const auto grad = LayerNormInputGrad<T>::make(m, s, sum_gw, sum_gw_xhat, n);
        T* gxr = gx + r * n;
        for (std::int64_t j = 0; j < n; ++j) gxr[j] = grad(gwr[j], xr[j]);
      }
    }
  });
  if (!params) return;
  for (std::int64_t j = 0; j < n; ++j) {
    double sw = 0, sb = 0;
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
      sw += static_cast<double>(partial[blk * 2 * n + j]);
      sb += static_cast<double>(partial[blk * 2 * n + n + j]);
    }
    if (gw != nullptr) gw[j] = static_cast<T>(sw);
    if (gb != nullptr) gb[j] = static_cast<T>(sb);
  }
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void CpuBackend::layer_norm(double eps, const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& y,
                            const Tensor& mean, const Tensor& rstd) {
  const std::int64_t rows = x.size(0), n = x.size(1);
  if (rows == 0 || n == 0) return;
  with_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const Affine<T> affine(weight, bias, n);
    loop_forward<T>(eps, rows, n, x.data_ptr<T>(), affine, y.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>());
  });
}

void CpuBackend::layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& grad_x, const Tensor& grad_weight,
                                     const Tensor& grad_bias) {
  if (x.numel() == 0) {
    for (const Tensor* t : {&grad_x, &grad_weight, &grad_bias}) {
      if (t->defined()) fill(*t, 0);
    }
    return;
  }
  with_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    loop_backward<T>(x.size(0), x.size(1), grad_y.data_ptr<T>(), x.data_ptr<T>(), data_or_null<T>(weight),
                     mean.data_ptr<T>(), rstd.data_ptr<T>(), data_or_null<T>(grad_x), data_or_null<T>(grad_weight),
                     data_or_null<T>(grad_bias));
  });
}

}  // namespace ignis::backend

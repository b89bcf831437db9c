// 2-D max, average and adaptive average pooling on the CPU: one loop per (sample, channel)
// plane, planes split across threads. The window math (max_pool_at, avg_window_2d) is
// kernels/conv_params.hpp's, shared with the CUDA kernels. Pooling is memory-bound and its windows small, so plain loops
// run at memory speed; oneDNN's pooling primitive would add a workspace format of its own for
// the max indices that the autograd layer cannot keep as a tensor.
#include <cmath>
#include <limits>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

using kernels::AvgWindow2d;

struct PlaneShape {
  std::int64_t planes, h, w, oh, ow;
};

PlaneShape plane_shape(const Tensor& x_like, const Tensor& out_like) {
  return {x_like.size(0) * x_like.size(1), x_like.size(2), x_like.size(3), out_like.size(2), out_like.size(3)};
}

AvgWindow2d window_2d(PoolOp op, const Pool2dParams& p, const PlaneShape& s, std::int64_t y, std::int64_t x) {
  return kernels::avg_window_2d(op, p, s.h, s.w, s.oh, s.ow, y, x);
}

template <class T>
void max_forward(const Pool2dParams& p, const PlaneShape& s, const T* in, T* out, std::int64_t* indices) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      const T* src = in + plane * s.h * s.w;
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const std::int64_t o = (plane * s.oh + y) * s.ow + x;
          T best = -std::numeric_limits<T>::infinity();
          indices[o] = kernels::max_pool_at(src, s.h, s.w, p, y, x, &best);
          out[o] = best;
        }
      }
    }
  });
}

template <class T>
void max_backward(const PlaneShape& s, const T* grad_out, const std::int64_t* indices, T* grad_in) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      T* dst = grad_in + plane * s.h * s.w;
      std::fill(dst, dst + s.h * s.w, T(0));
      for (std::int64_t o = plane * s.oh * s.ow; o < (plane + 1) * s.oh * s.ow; ++o) {
        if (indices[o] >= 0) dst[indices[o]] += grad_out[o];
      }
    }
  });
}

template <class T>
void avg_forward(PoolOp op, const Pool2dParams& p, const PlaneShape& s, const T* in, T* out) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      const T* src = in + plane * s.h * s.w;
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const AvgWindow2d win = window_2d(op, p, s, y, x);
          T sum = 0;
          for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
            for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) sum += src[iy * s.w + ix];
          }
          const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
          out[(plane * s.oh + y) * s.ow + x] = divisor > 0 ? sum / static_cast<T>(divisor) : T(0);
        }
      }
    }
  });
}

template <class T>
void avg_backward(PoolOp op, const Pool2dParams& p, const PlaneShape& s, const T* grad_out, T* grad_in) {
  cpu::parallel_for(0, s.planes, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t plane = begin; plane < end; ++plane) {
      T* dst = grad_in + plane * s.h * s.w;
      std::fill(dst, dst + s.h * s.w, T(0));
      for (std::int64_t y = 0; y < s.oh; ++y) {
        for (std::int64_t x = 0; x < s.ow; ++x) {
          const AvgWindow2d win = window_2d(op, p, s, y, x);
          const std::int64_t divisor = win.rows.divisor * win.cols.divisor;
          if (divisor <= 0) continue;
          const T g = grad_out[(plane * s.oh + y) * s.ow + x] / static_cast<T>(divisor);
          for (std::int64_t iy = win.rows.begin; iy < win.rows.end; ++iy) {
            for (std::int64_t ix = win.cols.begin; ix < win.cols.end; ++ix) dst[iy * s.w + ix] += g;
          }
        }
      }
    }
  });
}

template <class F>
void with_floating(DType dtype, const F& f) {
  if (dtype == DType::kFloat32) {
    f(float{});
  } else if (dtype == DType::kFloat64) {
    f(double{});
  } else {
    detail::fail<DTypeError>("[pool2d] pooling needs float32 or float64, got {}", dtype);
  }
}

}  // namespace

void CpuBackend::pool2d(PoolOp op, const Pool2dParams& params, const Tensor& x, const Tensor& out,
                        const Tensor& indices) {
  if (out.numel() == 0) return;
  const PlaneShape s = plane_shape(x, out);
  with_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      max_forward<T>(params, s, x.data_ptr<T>(), out.data_ptr<T>(), indices.data_ptr<std::int64_t>());
    } else {
      avg_forward<T>(op, params, s, x.data_ptr<T>(), out.data_ptr<T>());
    }
  });
}

void CpuBackend::pool2d_backward(PoolOp op, const Pool2dParams& params, const Tensor& grad_out,
                                 const Tensor& indices, const Tensor& grad_x) {
  if (grad_x.numel() == 0) return;
  const PlaneShape s = plane_shape(grad_x, grad_out);
  with_floating(grad_x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (op == PoolOp::kMax) {
      max_backward<T>(s, grad_out.data_ptr<T>(), indices.data_ptr<std::int64_t>(), grad_x.data_ptr<T>());
    } else {
      avg_backward<T>(op, params, s, grad_out.data_ptr<T>(), grad_x.data_ptr<T>());
    }
  });
}

}  // namespace ignis::backend

// Elementwise loops of the CPU backend: copy/convert, fill, unary, binary, where. The math is in
// src/kernels/*_functors.hpp; this file only owns the loops.
#include <cstring>
#include <type_traits>

#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "kernels/binary_functors.hpp"
#include "kernels/unary_functors.hpp"
#include "parallel.hpp"
#include "strided_loop.hpp"

namespace ignis::backend {

namespace {

using cpu::for_each_row;
using cpu::kGrain;
using cpu::make_loop;
using cpu::parallel_for;
using cpu::StridedLoop;

/// Runs row over the whole loop, in parallel when it is large.
template <int N, class Row>
void run(const StridedLoop<N>& loop, const Row& row) {
  parallel_for(0, loop.numel, kGrain, [&](std::int64_t b, std::int64_t e) {
    for_each_row(loop, loop.base, b, e, row);
  });
}

template <class T>
T& at(char* p, std::int64_t stride, std::int64_t i) {
  return *reinterpret_cast<T*>(p + i * stride);
}

template <class Out, class In>
Out convert(In v) {
  if constexpr (std::is_same_v<Out, bool>) {
    return v != In(0);
  } else {
    return static_cast<Out>(v);
  }
}

/// Whether functor Fn is defined for element type T (floating point always; integers and bool
/// only for functors marked kIntegral; bool inputs of unary ops only for bool-valued ones).
template <class Fn, class T>
constexpr bool kUnarySupports =
    std::is_floating_point_v<T> || (std::is_same_v<T, bool> ? Fn::kOutBool : Fn::kIntegral);
template <class Fn, class T>
constexpr bool kBinarySupports = std::is_floating_point_v<T> || Fn::kIntegral;

[[noreturn]] void unsupported(const char* op, DType dtype) {
  detail::fail<DTypeError>("[{}] the CPU backend has no kernel for dtype {}", op, dtype);
}

}  // namespace

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  if (dst.numel() == 0) return;
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    auto* d = static_cast<char*>(dst.data_ptr());
    const auto* s = static_cast<const char*>(src.data_ptr());
    const auto item = static_cast<std::int64_t>(dst.item_size());
    parallel_for(0, dst.numel(), 4 * kGrain, [&](std::int64_t b, std::int64_t e) {
      std::memcpy(d + b * item, s + b * item, static_cast<std::size_t>((e - b) * item));
    });
    return;
  }
  const auto loop = make_loop<2>({&dst, &src});
  visit_dtype(dst.dtype(), "copy", [&](auto out_tag) {
    using Out = typename decltype(out_tag)::type;
    visit_dtype(src.dtype(), "copy", [&](auto in_tag) {
      using In = typename decltype(in_tag)::type;
      run(loop, [](char* const* p, const std::int64_t* s, std::int64_t n) {
        if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
          auto* o = reinterpret_cast<Out*>(p[0]);
          const auto* i = reinterpret_cast<const In*>(p[1]);
          for (std::int64_t k = 0; k < n; ++k) o[k] = convert<Out>(i[k]);
        } else {
          for (std::int64_t k = 0; k < n; ++k) at<Out>(p[0], s[0], k) = convert<Out>(at<In>(p[1], s[1], k));
        }
      });
    });
  });
}

void CpuBackend::fill(const Tensor& dst, const Scalar& value) {
  const auto loop = make_loop<1>({&dst});
  visit_dtype(dst.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    run(loop, [v](char* const* p, const std::int64_t* s, std::int64_t n) {
      if (s[0] == sizeof(T)) {
        std::fill_n(reinterpret_cast<T*>(p[0]), n, v);
      } else {
        for (std::int64_t k = 0; k < n; ++k) at<T>(p[0], s[0], k) = v;
      }
    });
  });
}

void CpuBackend::unary(UnaryOp op, const UnaryParams& params, const Tensor& in, const Tensor& out) {
  const auto loop = make_loop<2>({&out, &in});
  visit_dtype(in.dtype(), "unary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_unary(op, params, [&](auto fn) {
      using Fn = decltype(fn);
      if constexpr (kUnarySupports<Fn, T>) {
        using Out = std::conditional_t<Fn::kOutBool, bool, T>;
        run(loop, [fn](char* const* p, const std::int64_t* s, std::int64_t n) {
          if (s[0] == sizeof(Out) && s[1] == sizeof(T)) {
            auto* o = reinterpret_cast<Out*>(p[0]);
            const auto* i = reinterpret_cast<const T*>(p[1]);
            for (std::int64_t k = 0; k < n; ++k) o[k] = fn(i[k]);
          } else {
            for (std::int64_t k = 0; k < n; ++k) at<Out>(p[0], s[0], k) = fn(at<T>(p[1], s[1], k));
          }
        });
      } else {
        unsupported("unary", in.dtype());
      }
    });
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const auto loop = make_loop<3>({&out, &a, &b});
  visit_dtype(a.dtype(), "binary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_binary(op, [&](auto fn) {
      using Fn = decltype(fn);
      if constexpr (kBinarySupports<Fn, T>) {
        using Out = std::conditional_t<Fn::kOutBool, bool, T>;
        run(loop, [fn](char* const* p, const std::int64_t* s, std::int64_t n) {
          auto* o = reinterpret_cast<Out*>(p[0]);
          const auto* x = reinterpret_cast<const T*>(p[1]);
          const auto* y = reinterpret_cast<const T*>(p[2]);
          if (s[0] == sizeof(Out) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
            for (std::int64_t k = 0; k < n; ++k) o[k] = fn(x[k], y[k]);
          } else if (s[0] == sizeof(Out) && s[1] == sizeof(T) && s[2] == 0) {
            const T yv = *y;  // tensor op scalar
            for (std::int64_t k = 0; k < n; ++k) o[k] = fn(x[k], yv);
          } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(T)) {
            const T xv = *x;  // scalar op tensor
            for (std::int64_t k = 0; k < n; ++k) o[k] = fn(xv, y[k]);
          } else {
            for (std::int64_t k = 0; k < n; ++k) {
              at<Out>(p[0], s[0], k) = fn(at<T>(p[1], s[1], k), at<T>(p[2], s[2], k));
            }
          }
        });
      } else {
        unsupported("binary", a.dtype());
      }
    });
  });
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const auto loop = make_loop<4>({&out, &cond, &a, &b});
  visit_dtype(a.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    run(loop, [](char* const* p, const std::int64_t* s, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) {
        at<T>(p[0], s[0], k) = at<bool>(p[1], s[1], k) ? at<T>(p[2], s[2], k) : at<T>(p[3], s[3], k);
      }
    });
  });
}

}  // namespace ignis::backend

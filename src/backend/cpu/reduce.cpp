// Reductions, arg-reductions and softmax on the CPU. The combine steps are the shared functors
// of kernels/reduce_functors.hpp; this file owns the traversal: each output element walks its
// reduced sub-tensor, and when there are few outputs the walk itself is split across threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <type_traits>
#include <vector>

#include "cpu_backend.hpp"
#include "kernels/reduce_functors.hpp"
#include "parallel.hpp"
#include "strided_loop.hpp"

namespace ignis::backend {

namespace {

using cpu::for_each_row;
using cpu::kGrain;
using cpu::make_loop;
using cpu::parallel_for;
using cpu::StridedLoop;

/// Accumulator of a reduction over T: sums widen (float -> double, integers and bool -> int64);
/// max and min keep T.
template <class Reducer, class T>
using AccType = std::conditional_t<
    std::is_same_v<Reducer, kernels::SumReduce>,
    std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>, T>;

/// The split of `in` into kept dimensions (one per output element) and reduced ones.
struct ReductionLayout {
  Shape kept_shape;
  Strides kept_in_strides, kept_out_strides;
  Shape reduced_shape;
  Strides reduced_strides;
};

ReductionLayout split_dims(const Tensor& in, const Tensor& out) {
  ReductionLayout l;
  for (int d = 0; d < in.dim(); ++d) {
    const bool reduced = out.size(d) == 1 && in.size(d) != 1;
    if (reduced) {
      l.reduced_shape.push_back(in.size(d));
      l.reduced_strides.push_back(in.stride(d));
    } else {
      l.kept_shape.push_back(in.size(d));
      l.kept_in_strides.push_back(in.stride(d));
      l.kept_out_strides.push_back(out.stride(d));
    }
  }
  return l;
}

/// Sum of `n` elements with stride s (bytes) starting at p, into acc. Several partial sums for
/// contiguous float data so the adds pipeline (summation order differs from a plain loop only
/// in rounding).
template <class Reducer, class Acc, class T>
Acc reduce_row(Acc acc, const char* p, std::int64_t s, std::int64_t n) {
  if constexpr (std::is_same_v<Reducer, kernels::SumReduce> && std::is_floating_point_v<T>) {
    if (s == sizeof(T) && n >= 16) {
      const T* x = reinterpret_cast<const T*>(p);
      Acc part[8] = {};
      std::int64_t k = 0;
      for (; k + 8 <= n; k += 8) {
        for (int j = 0; j < 8; ++j) part[j] += static_cast<Acc>(x[k + j]);
      }
      for (; k < n; ++k) part[0] += static_cast<Acc>(x[k]);
      for (int j = 0; j < 8; ++j) acc += part[j];
      return acc;
    }
  }
  for (std::int64_t k = 0; k < n; ++k) {
    acc = Reducer::combine(acc, static_cast<Acc>(*reinterpret_cast<const T*>(p + k * s)));
  }
  return acc;
}

/// The number of leading rows R when `in` is contiguous and every reduced dimension comes before
/// every kept one ((R, K) -> (K): a bias gradient, a norm's weight gradient); 0 otherwise.
std::int64_t leading_rows(const Tensor& in, const Tensor& out) {
  if (!in.is_contiguous() || !out.is_contiguous()) return 0;
  std::int64_t rows = 1;
  bool kept_seen = false;
  for (int d = 0; d < in.dim(); ++d) {
    if (in.size(d) == 1) continue;
    const bool reduced = out.size(d) == 1;
    if (reduced && kept_seen) return 0;
    kept_seen = kept_seen || !reduced;
    if (reduced) rows *= in.size(d);
  }
  return kept_seen ? rows : 0;
}

/// out[k] = reduce over r of in[r, k] for a contiguous (R, K) input: whole rows are folded into
/// a row of accumulators, so the input streams through once in order (the per-output walk would
/// stride by K). Each output's order of combination is r = 0, 1, …, as the per-output walk's.
template <class Reducer, class T, class Acc, class Out>
void reduce_leading_rows(const Tensor& in, const Tensor& out, std::int64_t rows) {
  const std::int64_t cols = out.numel();
  const T* x = static_cast<const T*>(in.data_ptr());
  Out* y = static_cast<Out*>(out.data_ptr());
  const std::int64_t grain = std::max<std::int64_t>(16, kGrain / std::max<std::int64_t>(rows, 1));
  parallel_for(0, cols, grain, [&](std::int64_t b, std::int64_t e) {
    // Not std::vector: vector<bool> (max/min of bool tensors) has no element references.
    const auto acc = std::make_unique<Acc[]>(static_cast<std::size_t>(e - b));
    std::fill_n(acc.get(), e - b, Reducer::template identity<Acc>());
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * cols + b;
      for (std::int64_t k = 0; k < e - b; ++k) acc[k] = Reducer::combine(acc[k], static_cast<Acc>(row[k]));
    }
    for (std::int64_t k = 0; k < e - b; ++k) y[b + k] = static_cast<Out>(acc[k]);
  });
}

template <class Reducer, class T>
void reduce_typed(const Tensor& in, const Tensor& out) {
  using Acc = AccType<Reducer, T>;
  using Out = std::conditional_t<std::is_same_v<Reducer, kernels::SumReduce> && !std::is_floating_point_v<T>,
                                 std::int64_t, T>;
  if (const std::int64_t rows = leading_rows(in, out); rows > 1 && out.numel() >= 8) {
    reduce_leading_rows<Reducer, T, Acc, Out>(in, out, rows);
    return;
  }
  const ReductionLayout l = split_dims(in, out);
  const std::int64_t item = static_cast<std::int64_t>(in.item_size());
  char* in_base = static_cast<char*>(in.data_ptr());
  char* out_base = static_cast<char*>(out.data_ptr());
  const auto kept = make_loop<2>(l.kept_shape, {out_base, in_base},
                                 {&l.kept_out_strides, &l.kept_in_strides}, {sizeof(Out), item});
  const auto red = make_loop<1>(l.reduced_shape, {in_base}, {&l.reduced_strides}, {item});
  const std::int64_t outputs = kept.numel;
  const std::int64_t per_output = red.numel;

  auto reduce_range = [&](char* base, std::int64_t b, std::int64_t e) {
    Acc acc = Reducer::template identity<Acc>();
    char* bases[1] = {base};
    for_each_row(red, bases, b, e, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
      acc = reduce_row<Reducer, Acc, T>(acc, p[0], s[0], n);
    });
    return acc;
  };

  const int threads = omp_get_max_threads();
  if (outputs >= threads || per_output < kGrain) {
    // One output per iteration; split outputs across threads.
    const std::int64_t grain = std::max<std::int64_t>(1, kGrain / std::max<std::int64_t>(per_output, 1));
    parallel_for(0, outputs, grain, [&](std::int64_t b, std::int64_t e) {
      for_each_row(kept, kept.base, b, e, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
        for (std::int64_t k = 0; k < n; ++k) {
          *reinterpret_cast<Out*>(p[0] + k * s[0]) = static_cast<Out>(reduce_range(p[1] + k * s[1], 0, per_output));
        }
      });
    });
    return;
  }
  // Few outputs, long reductions: split each reduction across threads, then combine partials.
  for_each_row(kept, kept.base, 0, outputs, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
    for (std::int64_t k = 0; k < n; ++k) {
      std::vector<Acc> partial(static_cast<std::size_t>(threads), Reducer::template identity<Acc>());
      char* base = p[1] + k * s[1];
      parallel_for(0, per_output, kGrain, [&](std::int64_t b, std::int64_t e) {
        partial[static_cast<std::size_t>(omp_get_thread_num())] = reduce_range(base, b, e);
      });
      Acc acc = Reducer::template identity<Acc>();
      for (Acc v : partial) acc = Reducer::combine(acc, v);
      *reinterpret_cast<Out*>(p[0] + k * s[0]) = static_cast<Out>(acc);
    }
  });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& in, const Tensor& out) {
  if (out.numel() == 0) return;
  visit_dtype(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_reduce(op, [&](auto reducer) { reduce_typed<decltype(reducer), T>(in, out); });
  });
}

void CpuBackend::arg_reduce(ArgReduceOp op, const Tensor& in, int dim, const Tensor& out) {
  if (out.numel() == 0) return;
  // Outputs walk every dimension but `dim` (size 1 in out); each walks `dim` sequentially.
  Shape kept_shape = out.shape();
  const std::int64_t len = in.size(dim);
  const std::int64_t in_step = in.stride(dim) * static_cast<std::int64_t>(in.item_size());
  const auto kept = make_loop<2>(kept_shape, {static_cast<char*>(out.data_ptr()), static_cast<char*>(in.data_ptr())},
                                 {&out.strides(), &in.strides()},
                                 {sizeof(std::int64_t), static_cast<std::int64_t>(in.item_size())});
  visit_dtype(in.dtype(), "arg_reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto body = [&](auto reducer) {
      using R = decltype(reducer);
      const std::int64_t grain = std::max<std::int64_t>(1, kGrain / std::max<std::int64_t>(len, 1));
      parallel_for(0, kept.numel, grain, [&](std::int64_t b, std::int64_t e) {
        for_each_row(kept, kept.base, b, e, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
          for (std::int64_t k = 0; k < n; ++k) {
            const char* x = p[1] + k * s[1];
            kernels::ArgCandidate<T> best{*reinterpret_cast<const T*>(x), 0};
            for (std::int64_t i = 1; i < len; ++i) {
              best = R::combine(best, kernels::ArgCandidate<T>{*reinterpret_cast<const T*>(x + i * in_step), i});
            }
            *reinterpret_cast<std::int64_t*>(p[0] + k * s[0]) = best.index;
          }
        });
      });
    };
    if (op == ArgReduceOp::kArgMax) {
      body(kernels::ArgReduce<true>{});
    } else {
      body(kernels::ArgReduce<false>{});
    }
  });
}

void CpuBackend::softmax(SoftmaxOp op, const Tensor& in, int dim, const Tensor& out) {
  if (out.numel() == 0) return;
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < dim; ++d) outer *= in.size(d);
  for (int d = dim + 1; d < in.dim(); ++d) inner *= in.size(d);
  const std::int64_t len = in.size(dim);
  visit_dtype(in.dtype(), "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      const T* x = static_cast<const T*>(in.data_ptr());
      T* y = static_cast<T*>(out.data_ptr());
      const std::int64_t grain = std::max<std::int64_t>(1, kGrain / std::max<std::int64_t>(len, 1));
      parallel_for(0, outer * inner, grain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t r = b; r < e; ++r) {
          const std::int64_t start = (r / inner) * len * inner + r % inner;
          const T* xr = x + start;
          T* yr = y + start;
          T max = kernels::MaxReduce::identity<T>();
          for (std::int64_t i = 0; i < len; ++i) max = kernels::MaxReduce::combine(max, xr[i * inner]);
          double sum = 0;
          for (std::int64_t i = 0; i < len; ++i) sum += std::exp(static_cast<double>(xr[i * inner] - max));
          if (op == SoftmaxOp::kLogSoftmax) {
            const T log_sum = static_cast<T>(std::log(sum));
            for (std::int64_t i = 0; i < len; ++i) yr[i * inner] = xr[i * inner] - max - log_sum;
          } else {
            const double inv = 1.0 / sum;
            for (std::int64_t i = 0; i < len; ++i) {
              yr[i * inner] = static_cast<T>(std::exp(static_cast<double>(xr[i * inner] - max)) * inv);
            }
          }
        }
      });
    }
  });
}

}  // namespace ignis::backend

// Batched matrix multiplication on the CPU: float32 goes to oneDNN's sgemm (row-major, JIT
// kernels with run-time ISA dispatch); other dtypes use a plain loop (float64 is what gradcheck
// needs; integer matmul is rare). Tiny products (the layers of small models) skip oneDNN: each
// dnnl_sgemm call costs about 1 µs of setup and scratch allocation and may wake a second thread,
// more than the arithmetic (W1 in docs/benchmarks.md).
#include <dnnl.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "backend/gemm_layout.hpp"
#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace ignis::backend {

namespace {

/// A contiguous copy of t made by the CPU backend.
Tensor contiguous_copy(CpuBackend& cpu, const Tensor& t) {
  Tensor copy = new_contiguous(cpu, t.shape(), t.dtype(), t.device());
  cpu.copy(t, copy);
  return copy;
}

void sgemm(CpuBackend& cpu, const Tensor& a, const Tensor& b, const Tensor& out, double beta) {
  const std::int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  Tensor a_use = a, b_use = b;
  GemmOperand ga = gemm_operand(m, k, a.stride(1), a.stride(2));
  GemmOperand gb = gemm_operand(k, n, b.stride(1), b.stride(2));
  if (!ga.usable) {
    a_use = contiguous_copy(cpu, a);
    ga = gemm_operand(m, k, a_use.stride(1), a_use.stride(2));
  }
  if (!gb.usable) {
    b_use = contiguous_copy(cpu, b);
    gb = gemm_operand(k, n, b_use.stride(1), b_use.stride(2));
  }
  const float* pa = a_use.data_ptr<float>();
  const float* pb = b_use.data_ptr<float>();
  float* pc = out.data_ptr<float>();
  for (std::int64_t i = 0; i < batch; ++i) {
    const dnnl_status_t status =
        dnnl_sgemm(ga.trans, gb.trans, m, n, k, 1.0f, pa + i * a_use.stride(0), ga.ld,
                   pb + i * b_use.stride(0), gb.ld, static_cast<float>(beta), pc + i * m * n,
                   std::max<std::int64_t>(n, 1));
    if (status != dnnl_success) {
      detail::fail<Error>("[matmul] oneDNN sgemm failed with status {} for ({}, {}) x ({}, {})",
                          static_cast<int>(status), m, k, k, n);
    }
  }
}

template <class T>
void plain_gemm(const Tensor& a, const Tensor& b, const Tensor& out, double beta) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const std::int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  T* pc = static_cast<T*>(out.data_ptr());
  const std::int64_t as0 = a.stride(0), as1 = a.stride(1), as2 = a.stride(2);
  const std::int64_t bs0 = b.stride(0), bs1 = b.stride(1), bs2 = b.stride(2);
  const std::int64_t grain = std::max<std::int64_t>(1, cpu::kGrain / std::max<std::int64_t>(n * k, 1));
  cpu::parallel_for(0, batch * m, grain, [&](std::int64_t begin, std::int64_t end) {
    std::vector<Acc> row(static_cast<std::size_t>(n));
    for (std::int64_t r = begin; r < end; ++r) {
      const std::int64_t bi = r / m, i = r % m;
      std::fill(row.begin(), row.end(), Acc(0));
      for (std::int64_t p = 0; p < k; ++p) {
        const Acc av = static_cast<Acc>(pa[bi * as0 + i * as1 + p * as2]);
        const T* brow = pb + bi * bs0 + p * bs1;
        for (std::int64_t j = 0; j < n; ++j) row[j] += av * static_cast<Acc>(brow[j * bs2]);
      }
      T* crow = pc + (bi * m + i) * n;
      for (std::int64_t j = 0; j < n; ++j) {
        crow[j] = beta == 0.0 ? static_cast<T>(row[j])
                              : static_cast<T>(row[j] + static_cast<Acc>(beta * static_cast<double>(crow[j])));
      }
    }
  });
}

/// Products with at most this many multiply-adds run in one thread, without oneDNN.
constexpr std::int64_t kSmallGemm = 1 << 16;

/// out = a @ b (+ beta out) by rows, accumulating in T; no threads, no allocation.
template <class T>
void small_gemm(const Tensor& a, const Tensor& b, const Tensor& out, double beta) {
  const std::int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  const T* pa = static_cast<const T*>(a.data_ptr());
  const T* pb = static_cast<const T*>(b.data_ptr());
  T* pc = static_cast<T*>(out.data_ptr());
  const std::int64_t as0 = a.stride(0), as1 = a.stride(1), as2 = a.stride(2);
  const std::int64_t bs0 = b.stride(0), bs1 = b.stride(1), bs2 = b.stride(2);
  for (std::int64_t bi = 0; bi < batch; ++bi) {
    if (as2 == 1 && bs1 == 1) {  // a's rows and b's columns are contiguous: dot products (x @ Wᵀ)
      for (std::int64_t i = 0; i < m; ++i) {
        const T* arow = pa + bi * as0 + i * as1;
        T* crow = pc + (bi * m + i) * n;
        for (std::int64_t j = 0; j < n; ++j) {
          const T* bcol = pb + bi * bs0 + j * bs2;
          T acc = 0;
          for (std::int64_t p = 0; p < k; ++p) acc += arow[p] * bcol[p];
          crow[j] = beta == 0.0 ? acc : static_cast<T>(acc + beta * static_cast<double>(crow[j]));
        }
      }
      continue;
    }
    for (std::int64_t i = 0; i < m; ++i) {  // otherwise rows of c accumulate rows of b
      T* crow = pc + (bi * m + i) * n;
      for (std::int64_t j = 0; j < n; ++j) crow[j] = beta == 0.0 ? T(0) : static_cast<T>(beta * static_cast<double>(crow[j]));
      for (std::int64_t p = 0; p < k; ++p) {
        const T av = pa[bi * as0 + i * as1 + p * as2];
        const T* brow = pb + bi * bs0 + p * bs1;
        if (bs2 == 1) {
          for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
        } else {
          for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * bs2];
        }
      }
    }
  }
}

}  // namespace

void CpuBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out, MatmulOptions options) {
  if (out.numel() == 0) return;
  if (a.size(2) == 0) {  // empty inner dimension: the product is 0
    if (options.beta == 0.0) {
      fill(out, 0);
    } else {
      const Tensor scaled = contiguous_copy(*this, out);
      fill(out, 0);
      visit_dtype(out.dtype(), "matmul", [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (!std::is_same_v<T, bool>) {
          T* o = out.data_ptr<T>();
          const T* s = scaled.data_ptr<T>();
          for (std::int64_t i = 0; i < out.numel(); ++i) o[i] = static_cast<T>(options.beta * static_cast<double>(s[i]));
        }
      });
    }
    return;
  }
  if (out.dtype() == DType::kFloat32) {
    if (out.numel() * a.size(2) <= kSmallGemm) {
      small_gemm<float>(a, b, out, options.beta);
    } else {
      sgemm(*this, a, b, out, options.beta);
    }
    return;
  }
  visit_dtype(out.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      detail::fail<DTypeError>("[matmul] bool matrices are not supported");
    } else {
      plain_gemm<T>(a, b, out, options.beta);
    }
  });
}

}  // namespace ignis::backend

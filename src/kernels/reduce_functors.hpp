#pragma once
// Combine steps of the reductions, shared by every backend (each owns its traversal: a
// sequential loop on the CPU, a tree on the GPU). Acc is the accumulator type the backend
// chose (wider than T for sums).
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ignis/core/host_device.hpp"
#include "op_kinds.hpp"

namespace ignis::kernels {

struct SumReduce {
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc identity() { return Acc(0); }
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc combine(Acc a, Acc b) { return a + b; }
};

/// Max; NaN propagates (any NaN in the input makes the result NaN, as in PyTorch).
struct MaxReduce {
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc identity() {
    if constexpr (std::is_floating_point_v<Acc>) {
      return -std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::lowest();
    }
  }
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a > b ? a : b;
  }
};

struct MinReduce {
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc identity() {
    if constexpr (std::is_floating_point_v<Acc>) {
      return std::numeric_limits<Acc>::infinity();
    } else {
      return std::numeric_limits<Acc>::max();
    }
  }
  template <class Acc>
  IGNIS_HOST_DEVICE static Acc combine(Acc a, Acc b) {
    if constexpr (std::is_floating_point_v<Acc>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? a : b;
  }
};

/// A candidate of argmax/argmin: a value and its index along the reduced dimension.
template <class T>
struct ArgCandidate {
  T value;
  std::int64_t index;
};

/// Prefers the larger value (smaller for argmin), the lower index on ties, and the first NaN.
template <bool kMax>
struct ArgReduce {
  template <class T>
  IGNIS_HOST_DEVICE static ArgCandidate<T> combine(ArgCandidate<T> a, ArgCandidate<T> b) {
    if constexpr (std::is_floating_point_v<T>) {
      const bool a_nan = a.value != a.value;
      const bool b_nan = b.value != b.value;
      if (a_nan || b_nan) return (a_nan && (!b_nan || a.index < b.index)) ? a : b;
    }
    if (a.value == b.value) return a.index < b.index ? a : b;
    return (kMax ? a.value > b.value : a.value < b.value) ? a : b;
  }
};

/// The one ReduceOp -> functor switch.
template <class F>
IGNIS_HOST_DEVICE decltype(auto) visit_reduce(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::kSum: return f(SumReduce{});
    case ReduceOp::kMax: return f(MaxReduce{});
    case ReduceOp::kMin: break;
  }
  return f(MinReduce{});
}

}  // namespace ignis::kernels

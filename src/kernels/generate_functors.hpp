#pragma once
// Tensors whose element i is a function of i alone: arange, linspace, eye.
#include <cstdint>
#include <type_traits>

#include "ignis/core/host_device.hpp"
#include "op_kinds.hpp"

namespace ignis::kernels {

struct Arange {
  GenerateParams p;
  template <class T>
  IGNIS_HOST_DEVICE T at(std::int64_t i) const {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(p.start + static_cast<double>(i) * p.step);
    } else {
      return static_cast<T>(p.istart + i * p.istep);
    }
  }
};

/// PyTorch's formulation: the first half counts up from start, the second half down from end,
/// so both endpoints are exact.
struct Linspace {
  GenerateParams p;
  template <class T>
  IGNIS_HOST_DEVICE T at(std::int64_t i) const {
    const std::int64_t halfway = p.steps / 2;
    const double v = i < halfway ? p.start + p.step * static_cast<double>(i)
                                 : p.end - p.step * static_cast<double>(p.steps - i - 1);
    return static_cast<T>(v);
  }
};

struct Eye {
  GenerateParams p;
  template <class T>
  IGNIS_HOST_DEVICE T at(std::int64_t i) const {
    return static_cast<T>(i / p.cols == i % p.cols ? 1 : 0);
  }
};

/// The one GenerateOp -> functor switch.
template <class F>
IGNIS_HOST_DEVICE decltype(auto) visit_generate(GenerateOp op, const GenerateParams& p, F&& f) {
  switch (op) {
    case GenerateOp::kArange: return f(Arange{p});
    case GenerateOp::kLinspace: return f(Linspace{p});
    case GenerateOp::kEye: break;
  }
  return f(Eye{p});
}

}  // namespace ignis::kernels

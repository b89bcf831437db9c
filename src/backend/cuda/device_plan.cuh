#pragma once
// The device form of cpu::StridedLoop: N operands walked together over one shape, with byte
// strides, passed to kernels by value. Each thread maps a linear index to the operands' byte
// offsets; the host side merges dimensions first (the CPU backend's make_loop), so contiguous
// tensors take one division per element at most.
#include <cstdint>

#include "backend/cpu/strided_loop.hpp"
#include "ignis/core/host_device.hpp"

namespace ignis::backend::cuda_detail {

template <int N>
struct DevicePlan {
  int ndim = 1;
  std::int64_t numel = 0;
  std::int64_t sizes[kMaxDims] = {1};
  std::int64_t strides[kMaxDims][N] = {};  // [dim][operand], bytes
  char* base[N] = {};

  /// Byte offsets of element `linear` for every operand.
  __device__ void offsets(std::int64_t linear, std::int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const std::int64_t size = sizes[d];
      const std::int64_t i = d == 0 ? linear : linear % size;
      linear = d == 0 ? 0 : linear / size;
      for (int k = 0; k < N; ++k) out[k] += i * strides[d][k];
    }
  }
};

template <int N>
DevicePlan<N> to_device_plan(const cpu::StridedLoop<N>& loop) {
  DevicePlan<N> p;
  p.ndim = loop.ndim;
  p.numel = loop.numel;
  for (int d = 0; d < loop.ndim; ++d) {
    p.sizes[d] = loop.sizes[d];
    for (int k = 0; k < N; ++k) p.strides[d][k] = loop.strides[d][k];
  }
  for (int k = 0; k < N; ++k) p.base[k] = loop.base[k];
  return p;
}

template <int N>
DevicePlan<N> make_device_plan(const std::array<const Tensor*, N>& tensors) {
  return to_device_plan<N>(cpu::make_loop<N>(tensors));
}

/// Blocks for n elements with 256 threads each (grid-stride loops cover the rest).
inline unsigned grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + 255) / 256;
  return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

}  // namespace ignis::backend::cuda_detail

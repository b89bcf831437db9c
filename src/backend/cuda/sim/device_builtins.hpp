#pragma once
// What nvcc gives every .cu file implicitly, for the simulated device: force-included (-include)
// before each kernel source that the host compiler builds for it. The execution-space keywords
// disappear, __shared__ variables become one static object per kernel (blocks run one at a
// time, so a block's threads share it and nobody else uses it meanwhile; ASan's redzones around
// statics catch an overrun), and the builtins read the running thread of kernel_runtime.
// Limitation: a static __shared__ variable starts a block with the previous block's values, not
// garbage (GCC ignores a section attribute on statics of template functions, so they cannot be
// collected and scrubbed); dynamic shared memory is filled with 0xff before every block.
//
// Defined before the toolkit's headers are included, so crt/host_defines.h keeps these.
#define __host__
#define __device__
#define __global__
#define __shared__ static
#define __launch_bounds__(...)

#include <cuda_runtime_api.h>  // dim3, uint3, cudaError_t (host-compilable toolkit headers)

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backend/cuda/sim/kernel_runtime.hpp"

#define threadIdx (::ignis::cuda_sim::coordinates().thread_idx)
#define blockIdx (::ignis::cuda_sim::coordinates().block_idx)
#define blockDim (::ignis::cuda_sim::coordinates().block_dim)
#define gridDim (::ignis::cuda_sim::coordinates().grid_dim)
inline constexpr int warpSize = 32;

// CUDA's math headers put the float overloads in the global namespace; so do these.
using std::abs, std::exp, std::log, std::sqrt, std::pow, std::tanh, std::fabs, std::fmax, std::fmin,
    std::floor, std::ceil, std::expm1, std::log1p, std::sin, std::cos, std::erf, std::isnan,
    std::isinf;

inline void __syncthreads() { ::ignis::cuda_sim::sync_threads(); }

inline void __syncwarp(unsigned mask = 0xffffffffu) {
  const char none = 0;
  ::ignis::cuda_sim::warp_exchange(mask, &none, 1, "__syncwarp");
}

namespace ignis::cuda_sim::detail {

inline unsigned lane_of_running_thread() {
  const ThreadCoordinates& c = coordinates();
  const unsigned linear =
      c.thread_idx.x + c.block_dim.x * (c.thread_idx.y + c.block_dim.y * c.thread_idx.z);
  return linear % kWarpSize;
}

/// A shuffle: every lane of `mask` deposits `v`; this lane reads lane `source_of(lane)` (its own
/// value when that is outside its `width`-lane segment, as CUDA defines). A width that is not a
/// power of two ≤ 32, or reading a lane that the mask does not name, is undefined on a GPU and a
/// fault here.
template <class T, class SourceOf>
T shuffle(unsigned mask, T v, int width, const char* what, SourceOf source_of) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 16,
                "shuffled values are at most 16 bytes");
  if (width <= 0 || width > 32 || (width & (width - 1)) != 0)
    fault("a shuffle's width is not 1, 2, 4, ..., 32");
  const int lane = static_cast<int>(lane_of_running_thread());
  const unsigned char* table = warp_exchange(mask, &v, sizeof(T), what);
  const int segment = lane / width * width;
  const int source = source_of(lane);
  if (source < segment || source >= segment + width) return v;
  if ((mask & (1u << source)) == 0) fault("a shuffle reads a lane that its mask does not name");
  T out;
  std::memcpy(&out, table + 16 * source, sizeof(T));
  return out;
}

}  // namespace ignis::cuda_sim::detail

template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  return ::ignis::cuda_sim::detail::shuffle(mask, v, width, "__shfl_sync", [&](int lane) {
    return lane / width * width + src_lane % width;
  });
}

template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::ignis::cuda_sim::detail::shuffle(
      mask, v, width, "__shfl_down_sync", [&](int lane) { return lane + static_cast<int>(delta); });
}

template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::ignis::cuda_sim::detail::shuffle(
      mask, v, width, "__shfl_up_sync", [&](int lane) { return lane - static_cast<int>(delta); });
}

template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return ::ignis::cuda_sim::detail::shuffle(mask, v, width, "__shfl_xor_sync",
                                            [&](int lane) { return lane ^ lane_mask; });
}

inline unsigned __ballot_sync(unsigned mask, int predicate) {
  const unsigned char p = predicate != 0;
  const unsigned char* table = ::ignis::cuda_sim::warp_exchange(mask, &p, 1, "__ballot_sync");
  unsigned bits = 0;
  for (unsigned k = 0; k < 32; ++k) {
    if ((mask & (1u << k)) != 0 && table[16 * k] != 0) bits |= 1u << k;
  }
  return bits;
}
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
  return __ballot_sync(mask, predicate) == mask;
}

// Atomics: CUDA's overloads only (the types each accepts), so a call nvcc would reject does not
// compile here either; the value converts to the pointee's type as with CUDA's overloads.
// Threads switch only at barriers and collectives, so a read-modify-write is atomic.
namespace ignis::cuda_sim::detail {
template <class T, class... Allowed>
concept OneOf = (std::is_same_v<T, Allowed> || ...);
}  // namespace ignis::cuda_sim::detail

template <class T>
requires ::ignis::cuda_sim::detail::OneOf<T, int, unsigned, unsigned long long, float, double> T
atomicAdd(T* address, std::type_identity_t<T> v) {
  const T old = *address;
  *address = old + v;
  return old;
}

template <class T>
requires ::ignis::cuda_sim::detail::OneOf<T, int, unsigned, unsigned long long, float> T
atomicExch(T* address, std::type_identity_t<T> v) {
  const T old = *address;
  *address = v;
  return old;
}

template <class T>
requires ::ignis::cuda_sim::detail::OneOf<T, int, unsigned, unsigned long long> T
atomicCAS(T* address, std::type_identity_t<T> expected, std::type_identity_t<T> v) {
  const T old = *address;
  if (old == expected) *address = v;
  return old;
}

template <class T>
requires ::ignis::cuda_sim::detail::OneOf<T, int, unsigned, unsigned long long> T
atomicMax(T* address, std::type_identity_t<T> v) {
  const T old = *address;
  if (v > old) *address = v;
  return old;
}

template <class T>
requires ::ignis::cuda_sim::detail::OneOf<T, int, unsigned, unsigned long long> T
atomicMin(T* address, std::type_identity_t<T> v) {
  const T old = *address;
  if (v < old) *address = v;
  return old;
}

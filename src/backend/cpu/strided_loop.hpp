#pragma once
// StridedLoop: N operands of one shape walked together, row by row. Dimensions of size 1 are
// dropped and adjacent dimensions merged where every operand allows it, so a contiguous (or
// uniformly strided) tensor becomes one long row. Strides are in bytes.
#include <algorithm>
#include <array>
#include <cstdint>

#include "ignis/core/shape.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::backend::cpu {

template <int N>
struct StridedLoop {
  int ndim = 1;
  std::int64_t numel = 0;
  std::int64_t sizes[kMaxDims] = {1};
  std::int64_t strides[kMaxDims][N] = {};  // [dim][operand], bytes
  char* base[N] = {};
};

/// Builds the loop for operands that all have `shape` (expand them first). `strides_of[k]` are
/// operand k's element strides for `shape`.
template <int N>
StridedLoop<N> make_loop(const Shape& shape, const std::array<char*, N>& base,
                         const std::array<const Strides*, N>& strides_of,
                         const std::array<std::int64_t, N>& item_sizes) {
  StridedLoop<N> loop;
  loop.numel = numel(shape);
  for (int k = 0; k < N; ++k) loop.base[k] = base[k];
  int nd = 0;
  for (int d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (nd > 0) {  // merge into the previous dimension when every operand is uniform across both
      bool mergeable = true;
      for (int k = 0; k < N; ++k) {
        const std::int64_t s = (*strides_of[k])[d] * item_sizes[k];
        mergeable = mergeable && loop.strides[nd - 1][k] == s * shape[d];
      }
      if (mergeable) {
        loop.sizes[nd - 1] *= shape[d];
        for (int k = 0; k < N; ++k) loop.strides[nd - 1][k] = (*strides_of[k])[d] * item_sizes[k];
        continue;
      }
    }
    loop.sizes[nd] = shape[d];
    for (int k = 0; k < N; ++k) loop.strides[nd][k] = (*strides_of[k])[d] * item_sizes[k];
    ++nd;
  }
  if (nd == 0) {  // a scalar, or all sizes 1 (or an empty tensor of rank 0 cannot happen)
    loop.sizes[0] = loop.numel;
    for (int k = 0; k < N; ++k) loop.strides[0][k] = 0;
    nd = 1;
  }
  loop.ndim = nd;
  return loop;
}

/// Convenience: the loop over tensors of identical shape.
template <int N>
StridedLoop<N> make_loop(const std::array<const Tensor*, N>& tensors) {
  std::array<char*, N> base;
  std::array<const Strides*, N> strides;
  std::array<std::int64_t, N> sizes;
  for (int k = 0; k < N; ++k) {
    base[k] = static_cast<char*>(tensors[k]->data_ptr());
    strides[k] = &tensors[k]->strides();
    sizes[k] = static_cast<std::int64_t>(tensors[k]->item_size());
  }
  return make_loop<N>(tensors[0]->shape(), base, strides, sizes);
}

/// Calls row(ptrs, inner_strides, count) for the rows covering linear elements [begin, end),
/// with the operands based at `base` (loop.base, or shifted copies of it).
template <int N, class Row>
void for_each_row(const StridedLoop<N>& loop, char* const* base, std::int64_t begin,
                  std::int64_t end, Row&& row) {
  if (begin >= end) return;  // also keeps empty loops (a size-0 dimension) from dividing by 0
  const int inner = loop.ndim - 1;
  std::int64_t idx[kMaxDims];
  std::int64_t rem = begin;
  for (int d = inner; d >= 0; --d) {
    idx[d] = rem % loop.sizes[d];
    rem /= loop.sizes[d];
  }
  std::int64_t pos = begin;
  while (pos < end) {
    const std::int64_t count = std::min(loop.sizes[inner] - idx[inner], end - pos);
    char* ptrs[N];
    for (int k = 0; k < N; ++k) {
      std::int64_t off = 0;
      for (int d = 0; d <= inner; ++d) off += idx[d] * loop.strides[d][k];
      ptrs[k] = base[k] + off;
    }
    row(ptrs, loop.strides[inner], count);
    pos += count;
    idx[inner] += count;
    for (int d = inner; d > 0 && idx[d] == loop.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

}  // namespace ignis::backend::cpu

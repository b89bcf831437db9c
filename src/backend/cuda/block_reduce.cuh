#pragma once
// block_reduce: the tree reduction across one thread block that the reduction, softmax and
// batch-norm kernels share.

namespace ignis::backend::cuda_detail {

/// Combines v across the block (all threads get the result). `scratch` holds 32 values.
template <class T, class Combine>
__device__ T block_reduce(T v, T identity, Combine combine, T* scratch) {
  for (int offset = 16; offset > 0; offset /= 2) v = combine(v, __shfl_down_sync(0xffffffffu, v, offset));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) / 32;
  v = static_cast<int>(threadIdx.x) < warps ? scratch[threadIdx.x] : identity;
  if (warp == 0) {
    for (int offset = 16; offset > 0; offset /= 2) v = combine(v, __shfl_down_sync(0xffffffffu, v, offset));
    if (lane == 0) scratch[0] = v;
  }
  __syncthreads();
  return scratch[0];
}

}  // namespace ignis::backend::cuda_detail

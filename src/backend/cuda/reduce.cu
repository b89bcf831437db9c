// Reductions, arg-reductions and softmax: one block per output (or row), a strided walk per
// thread, then a tree across the block. The combine steps are the shared functors of
// kernels/reduce_functors.hpp.
#include <type_traits>

#include "block_reduce.cuh"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "kernels/reduce_functors.hpp"
#include "launch.cuh"

namespace ignis::backend {

namespace {

using cuda_detail::block_reduce;
using cuda_detail::DevicePlan;
using cuda_detail::launch;
using cuda_detail::to_device_plan;

constexpr int kThreads = 256;

/// The accumulator of a reduction over T on the GPU: sums of integers in int64, of floats in
/// their own type (the tree keeps float32 sums accurate); max/min in T, widened to int for the
/// 8-bit types so warp shuffles can move them.
template <class Reducer, class T>
using GpuAcc = std::conditional_t<std::is_same_v<Reducer, kernels::SumReduce>,
                                  std::conditional_t<std::is_floating_point_v<T>, T, long long>,
                                  std::conditional_t<(sizeof(T) < 4), int, T>>;

template <class Reducer, class T, class Acc, class Out>
__global__ void reduce_kernel(DevicePlan<2> kept, DevicePlan<1> reduced) {
  __shared__ Acc scratch[32];
  const auto combine = [](Acc a, Acc b) { return Reducer::combine(a, b); };
  for (std::int64_t o = blockIdx.x; o < kept.numel; o += gridDim.x) {
    std::int64_t base[2];
    kept.offsets(o, base);
    Acc acc = Reducer::template identity<Acc>();
    for (std::int64_t r = threadIdx.x; r < reduced.numel; r += blockDim.x) {
      std::int64_t off[1];
      reduced.offsets(r, off);
      acc = Reducer::combine(acc, static_cast<Acc>(*reinterpret_cast<const T*>(kept.base[1] + base[1] + off[0])));
    }
    acc = block_reduce<Acc>(acc, Reducer::template identity<Acc>(), combine, scratch);
    if (threadIdx.x == 0) *reinterpret_cast<Out*>(kept.base[0] + base[0]) = static_cast<Out>(acc);
  }
}

template <bool kMax, class T>
__global__ void arg_reduce_kernel(DevicePlan<2> kept, std::int64_t length, std::int64_t step) {
  using V = std::conditional_t<(sizeof(T) < 4), int, T>;
  __shared__ V values[kThreads];
  __shared__ std::int64_t indices[kThreads];
  for (std::int64_t o = blockIdx.x; o < kept.numel; o += gridDim.x) {
    std::int64_t base[2];
    kept.offsets(o, base);
    kernels::ArgCandidate<V> best{V(0), -1};
    for (std::int64_t i = threadIdx.x; i < length; i += blockDim.x) {
      const kernels::ArgCandidate<V> c{static_cast<V>(*reinterpret_cast<const T*>(kept.base[1] + base[1] + i * step)), i};
      best = best.index < 0 ? c : kernels::ArgReduce<kMax>::combine(best, c);
    }
    values[threadIdx.x] = best.value;
    indices[threadIdx.x] = best.index;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const kernels::ArgCandidate<V> a{values[threadIdx.x], indices[threadIdx.x]};
        const kernels::ArgCandidate<V> b{values[threadIdx.x + half], indices[threadIdx.x + half]};
        const kernels::ArgCandidate<V> w = a.index < 0 ? b : (b.index < 0 ? a : kernels::ArgReduce<kMax>::combine(a, b));
        values[threadIdx.x] = w.value;
        indices[threadIdx.x] = w.index;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) *reinterpret_cast<std::int64_t*>(kept.base[0] + base[0]) = indices[0];
    __syncthreads();
  }
}

template <class T>
__global__ void softmax_kernel(const T* x, T* y, std::int64_t rows, std::int64_t length, std::int64_t inner, bool log) {
  __shared__ T scratch[32];
  const auto max_op = [](T a, T b) { return kernels::MaxReduce::combine(a, b); };
  const auto sum_op = [](T a, T b) { return a + b; };
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const std::int64_t start = (r / inner) * length * inner + r % inner;
    T m = kernels::MaxReduce::identity<T>();
    for (std::int64_t i = threadIdx.x; i < length; i += blockDim.x) m = max_op(m, x[start + i * inner]);
    m = block_reduce<T>(m, kernels::MaxReduce::identity<T>(), max_op, scratch);
    T s = 0;
    for (std::int64_t i = threadIdx.x; i < length; i += blockDim.x) s += exp(x[start + i * inner] - m);
    s = block_reduce<T>(s, T(0), sum_op, scratch);
    const T log_s = ::log(s);
    for (std::int64_t i = threadIdx.x; i < length; i += blockDim.x) {
      const T v = x[start + i * inner] - m;
      y[start + i * inner] = log ? v - log_s : exp(v) / s;
    }
  }
}

unsigned blocks_for(std::int64_t outputs) {
  return static_cast<unsigned>(outputs < 65535 * 16 ? (outputs > 0 ? outputs : 1) : 65535 * 16);
}

}  // namespace

void CudaBackend::reduce(ReduceOp op, const Tensor& in, const Tensor& out) {
  if (out.numel() == 0) return;
  OpDevice d(out);
  // Split in's dimensions into kept (one per output) and reduced, as the CPU backend does.
  Shape kept_shape, reduced_shape;
  Strides kept_in, kept_out, reduced_in;
  for (int dim = 0; dim < in.dim(); ++dim) {
    if (out.size(dim) == 1 && in.size(dim) != 1) {
      reduced_shape.push_back(in.size(dim));
      reduced_in.push_back(in.stride(dim));
    } else {
      kept_shape.push_back(in.size(dim));
      kept_in.push_back(in.stride(dim));
      kept_out.push_back(out.stride(dim));
    }
  }
  const auto item = static_cast<std::int64_t>(in.item_size());
  char* in_base = static_cast<char*>(in.data_ptr());
  char* out_base = static_cast<char*>(out.data_ptr());
  visit_dtype(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_reduce(op, [&](auto reducer) {
      using R = decltype(reducer);
      using Acc = GpuAcc<R, T>;
      using Out = std::conditional_t<std::is_same_v<R, kernels::SumReduce> && !std::is_floating_point_v<T>, std::int64_t, T>;
      const auto kept = to_device_plan<2>(cpu::make_loop<2>(kept_shape, {out_base, in_base}, {&kept_out, &kept_in},
                                                            {static_cast<std::int64_t>(sizeof(Out)), item}));
      const auto red = to_device_plan<1>(cpu::make_loop<1>(reduced_shape, {in_base}, {&reduced_in}, {item}));
      launch(reduce_kernel<R, T, Acc, Out>, {blocks_for(kept.numel), kThreads}, kept, red);
      IGNIS_CUDA_CHECK_LAUNCH("reduce");
    });
  });
}

void CudaBackend::arg_reduce(ArgReduceOp op, const Tensor& in, int dim, const Tensor& out) {
  if (out.numel() == 0) return;
  OpDevice d(out);
  const auto item = static_cast<std::int64_t>(in.item_size());
  const auto kept = to_device_plan<2>(cpu::make_loop<2>(
      out.shape(), {static_cast<char*>(out.data_ptr()), static_cast<char*>(in.data_ptr())}, {&out.strides(), &in.strides()},
      {static_cast<std::int64_t>(sizeof(std::int64_t)), item}));
  const std::int64_t length = in.size(dim), step = in.stride(dim) * item;
  visit_dtype(in.dtype(), "arg_reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (op == ArgReduceOp::kArgMax) {
      launch(arg_reduce_kernel<true, T>, {blocks_for(kept.numel), kThreads}, kept, length, step);
    } else {
      launch(arg_reduce_kernel<false, T>, {blocks_for(kept.numel), kThreads}, kept, length, step);
    }
    IGNIS_CUDA_CHECK_LAUNCH("arg_reduce");
  });
}

void CudaBackend::softmax(SoftmaxOp op, const Tensor& in, int dim, const Tensor& out) {
  if (out.numel() == 0) return;
  OpDevice d(out);
  std::int64_t outer = 1, inner = 1;
  for (int k = 0; k < dim; ++k) outer *= in.size(k);
  for (int k = dim + 1; k < in.dim(); ++k) inner *= in.size(k);
  const bool log = op == SoftmaxOp::kLogSoftmax;
  visit_dtype(in.dtype(), "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      launch(softmax_kernel<T>, {blocks_for(outer * inner), kThreads},
             static_cast<const T*>(in.data_ptr()), static_cast<T*>(out.data_ptr()), outer * inner,
             in.size(dim), inner, log);
      IGNIS_CUDA_CHECK_LAUNCH("softmax");
    }
  });
}

}  // namespace ignis::backend

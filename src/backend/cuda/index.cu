// gather and its adjoint scatter_add on the GPU. An index outside [0, size) is recorded in a
// device flag and raised as IndexError after the kernel, as on the CPU; reading the flag back
// synchronises with the device once per call.
#include <cstdint>
#include <string>
#include <type_traits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "ignis/core/error.hpp"
#include "launch.cuh"

// Messages are built without fmt here: nvcc cannot compile fmt's compile-time format checks.
namespace ignis::backend {

namespace {

using cuda_detail::DevicePlan;
using cuda_detail::grid_for;
using cuda_detail::launch;
using cuda_detail::to_device_plan;

/// Where a kernel reports a bad index: flag != 0, and one offending index.
struct IndexFault {
  unsigned long long flag;
  long long index;
};

__device__ void report(IndexFault* fault, std::int64_t i) {
  if (atomicExch(&fault->flag, 1ull) == 0ull) fault->index = i;
}

// Walk of out (0), index (1) and in (2) over out's shape; in's stride along dim is 0 and the
// selected row is reached with index * dim_step bytes.
template <class T>
__global__ void gather_kernel(DevicePlan<3> plan, std::int64_t dim_step, std::int64_t limit, IndexFault* fault) {
  for (std::int64_t e = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; e < plan.numel;
       e += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[3];
    plan.offsets(e, off);
    const std::int64_t i = *reinterpret_cast<const std::int64_t*>(plan.base[1] + off[1]);
    if (i < 0 || i >= limit) {
      report(fault, i);
      continue;
    }
    *reinterpret_cast<T*>(plan.base[0] + off[0]) = *reinterpret_cast<const T*>(plan.base[2] + off[2] + i * dim_step);
  }
}

/// target += v atomically. CUDA has atomicAdd for 32- and 64-bit types; 8-bit values are added
/// with a compare-and-swap on the aligned 32-bit word that holds them.
template <class T>
__device__ void atomic_add(T* target, T v) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t>) {
    atomicAdd(target, v);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    // Two's complement: an unsigned add gives the signed result.
    atomicAdd(reinterpret_cast<unsigned long long*>(target), static_cast<unsigned long long>(v));
  } else {
    static_assert(sizeof(T) == 1);
    const auto address = reinterpret_cast<std::uintptr_t>(target);
    auto* word = reinterpret_cast<unsigned int*>(address & ~std::uintptr_t{3});
    const unsigned shift = static_cast<unsigned>(address & 3u) * 8u;
    // Through uint8 so that a negative int8 sum does not sign-extend over its neighbours.
    unsigned int old = *word, assumed;
    do {
      assumed = old;
      const T current = static_cast<T>((assumed >> shift) & 0xffu);
      T sum;
      if constexpr (std::is_same_v<T, bool>) {
        sum = current || v;
      } else {
        sum = static_cast<T>(current + v);
      }
      const unsigned int replaced = (assumed & ~(0xffu << shift)) | (static_cast<unsigned int>(static_cast<std::uint8_t>(sum)) << shift);
      old = atomicCAS(word, assumed, replaced);
    } while (old != assumed);
  }
}

// Walk of out (0, stride along dim 0), index (1) and src (2) over src's shape.
template <class T>
__global__ void scatter_add_kernel(DevicePlan<3> plan, std::int64_t dim_step, std::int64_t limit, IndexFault* fault) {
  for (std::int64_t e = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; e < plan.numel;
       e += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[3];
    plan.offsets(e, off);
    const std::int64_t i = *reinterpret_cast<const std::int64_t*>(plan.base[1] + off[1]);
    if (i < 0 || i >= limit) {
      report(fault, i);
      continue;
    }
    atomic_add(reinterpret_cast<T*>(plan.base[0] + off[0] + i * dim_step),
               *reinterpret_cast<const T*>(plan.base[2] + off[2]));
  }
}

/// A zeroed fault record in device memory for one call, and the check after the kernel.
class FaultRecord {
 public:
  FaultRecord(CudaBackend& backend, Device device)
      : storage_(new_contiguous(backend, Shape{2}, DType::kInt64, device)) {
    IGNIS_CUDA_CHECK(cudaMemsetAsync(storage_.data_ptr(), 0, sizeof(IndexFault)));
  }
  IndexFault* device_ptr() const { return static_cast<IndexFault*>(storage_.data_ptr()); }

  /// Throws IndexError if the kernel recorded a bad index (synchronises).
  void raise_if_set(const char* op, int dim, std::int64_t limit) const {
    IndexFault fault{};
    IGNIS_CUDA_CHECK(cudaMemcpy(&fault, device_ptr(), sizeof fault, cudaMemcpyDeviceToHost));
    if (fault.flag != 0) {
      std::string message = "[";
      message += op;
      message += "] index " + std::to_string(fault.index) + " is out of range for dimension " + std::to_string(dim) +
                 " of size " + std::to_string(limit);
      throw IndexError(message);
    }
  }

 private:
  Tensor storage_;
};

}  // namespace

void CudaBackend::gather(const Tensor& in, int dim, const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  OpDevice d(out);
  Strides in_strides = in.strides();
  in_strides[dim] = 0;
  const std::int64_t item = static_cast<std::int64_t>(in.item_size());
  const auto plan = to_device_plan<3>(cpu::make_loop<3>(
      out.shape(),
      {static_cast<char*>(out.data_ptr()), static_cast<char*>(index.data_ptr()), static_cast<char*>(in.data_ptr())},
      {&out.strides(), &index.strides(), &in_strides}, {item, sizeof(std::int64_t), item}));
  const FaultRecord fault(*this, out.device());
  visit_dtype(in.dtype(), "gather", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(gather_kernel<T>, {grid_for(plan.numel), 256}, plan, in.stride(dim) * item, in.size(dim),
           fault.device_ptr());
    IGNIS_CUDA_CHECK_LAUNCH("gather");
  });
  fault.raise_if_set("gather", dim, in.size(dim));
}

void CudaBackend::scatter_add(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
  if (src.numel() == 0) return;
  OpDevice d(out);
  Strides out_strides = out.strides();
  out_strides[dim] = 0;
  const std::int64_t item = static_cast<std::int64_t>(out.item_size());
  const auto plan = to_device_plan<3>(cpu::make_loop<3>(
      src.shape(),
      {static_cast<char*>(out.data_ptr()), static_cast<char*>(index.data_ptr()), static_cast<char*>(src.data_ptr())},
      {&out_strides, &index.strides(), &src.strides()}, {item, sizeof(std::int64_t), item}));
  const FaultRecord fault(*this, out.device());
  visit_dtype(out.dtype(), "scatter_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(scatter_add_kernel<T>, {grid_for(plan.numel), 256}, plan, out.stride(dim) * item,
           out.size(dim), fault.device_ptr());
    IGNIS_CUDA_CHECK_LAUNCH("scatter_add");
  });
  fault.raise_if_set("scatter_add", dim, out.size(dim));
}

}  // namespace ignis::backend

// Elementwise kernels: one templated grid-stride loop per operand count, running the shared
// functors of src/kernels (the same math the CPU backend runs).
#include <type_traits>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "device_plan.cuh"
#include "ignis/core/error.hpp"
#include "kernels/binary_functors.hpp"
#include "kernels/unary_functors.hpp"
#include "launch.cuh"

namespace ignis::backend {

namespace {

using cuda_detail::DevicePlan;
using cuda_detail::grid_for;
using cuda_detail::launch;
using cuda_detail::make_device_plan;

template <class T>
__device__ T& at(char* base, std::int64_t offset) {
  return *reinterpret_cast<T*>(base + offset);
}

template <class Out, class In>
__device__ Out convert(In v) {
  if constexpr (std::is_same_v<Out, bool>) {
    return v != In(0);
  } else {
    return static_cast<Out>(v);
  }
}

template <class Out, class In>
__global__ void copy_kernel(DevicePlan<2> plan) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < plan.numel;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[2];
    plan.offsets(i, off);
    at<Out>(plan.base[0], off[0]) = convert<Out>(at<In>(plan.base[1], off[1]));
  }
}

template <class T>
__global__ void fill_kernel(DevicePlan<1> plan, T value) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < plan.numel;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[1];
    plan.offsets(i, off);
    at<T>(plan.base[0], off[0]) = value;
  }
}

template <class Fn, class In, class Out>
__global__ void unary_kernel(Fn fn, DevicePlan<2> plan) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < plan.numel;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[2];
    plan.offsets(i, off);
    at<Out>(plan.base[0], off[0]) = fn(at<In>(plan.base[1], off[1]));
  }
}

template <class Fn, class In, class Out>
__global__ void binary_kernel(Fn fn, DevicePlan<3> plan) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < plan.numel;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[3];
    plan.offsets(i, off);
    at<Out>(plan.base[0], off[0]) = fn(at<In>(plan.base[1], off[1]), at<In>(plan.base[2], off[2]));
  }
}

template <class T>
__global__ void where_kernel(DevicePlan<4> plan) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < plan.numel;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[4];
    plan.offsets(i, off);
    at<T>(plan.base[0], off[0]) = at<bool>(plan.base[1], off[1]) ? at<T>(plan.base[2], off[2]) : at<T>(plan.base[3], off[3]);
  }
}

// The same support rules as the CPU backend (src/backend/cpu/elementwise.cpp).
template <class Fn, class T>
constexpr bool kUnarySupports =
    std::is_floating_point_v<T> || (std::is_same_v<T, bool> ? Fn::kOutBool : Fn::kIntegral);
template <class Fn, class T>
constexpr bool kBinarySupports = std::is_floating_point_v<T> || Fn::kIntegral;

}  // namespace

void CudaBackend::copy_on_device(const Tensor& src, const Tensor& dst) {
  const auto plan = make_device_plan<2>({&dst, &src});
  if (plan.numel == 0) return;
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    IGNIS_CUDA_CHECK(cudaMemcpy(dst.data_ptr(), src.data_ptr(), static_cast<std::size_t>(dst.numel()) * dst.item_size(),
                                cudaMemcpyDeviceToDevice));
    return;
  }
  visit_dtype(dst.dtype(), "copy", [&](auto out_tag) {
    using Out = typename decltype(out_tag)::type;
    visit_dtype(src.dtype(), "copy", [&](auto in_tag) {
      using In = typename decltype(in_tag)::type;
      launch(copy_kernel<Out, In>, {grid_for(plan.numel), 256}, plan);
      IGNIS_CUDA_CHECK_LAUNCH("copy");
    });
  });
}

void CudaBackend::fill(const Tensor& dst, const Scalar& value) {
  OpDevice d(dst);
  const auto plan = make_device_plan<1>({&dst});
  if (plan.numel == 0) return;
  visit_dtype(dst.dtype(), "fill", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(fill_kernel<T>, {grid_for(plan.numel), 256}, plan, value.to<T>());
    IGNIS_CUDA_CHECK_LAUNCH("fill");
  });
}

void CudaBackend::unary(UnaryOp op, const UnaryParams& params, const Tensor& in, const Tensor& out) {
  OpDevice d(out);
  const auto plan = make_device_plan<2>({&out, &in});
  if (plan.numel == 0) return;
  visit_dtype(in.dtype(), "unary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_unary(op, params, [&](auto fn) {
      using Fn = decltype(fn);
      if constexpr (kUnarySupports<Fn, T>) {
        using Out = std::conditional_t<Fn::kOutBool, bool, T>;
        launch(unary_kernel<Fn, T, Out>, {grid_for(plan.numel), 256}, fn, plan);
        IGNIS_CUDA_CHECK_LAUNCH("unary");
      } else {
        throw DTypeError("[unary] the CUDA backend has no kernel for this dtype");
      }
    });
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  OpDevice d(out);
  const auto plan = make_device_plan<3>({&out, &a, &b});
  if (plan.numel == 0) return;
  visit_dtype(a.dtype(), "binary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernels::visit_binary(op, [&](auto fn) {
      using Fn = decltype(fn);
      if constexpr (kBinarySupports<Fn, T>) {
        using Out = std::conditional_t<Fn::kOutBool, bool, T>;
        launch(binary_kernel<Fn, T, Out>, {grid_for(plan.numel), 256}, fn, plan);
        IGNIS_CUDA_CHECK_LAUNCH("binary");
      } else {
        throw DTypeError("[binary] the CUDA backend has no kernel for this dtype");
      }
    });
  });
}

void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  OpDevice d(out);
  const auto plan = make_device_plan<4>({&out, &cond, &a, &b});
  if (plan.numel == 0) return;
  visit_dtype(a.dtype(), "where", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(where_kernel<T>, {grid_for(plan.numel), 256}, plan);
    IGNIS_CUDA_CHECK_LAUNCH("where");
  });
}

}  // namespace ignis::backend

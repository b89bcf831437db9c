// The CUDA backend's host side: devices, allocators, copies between devices and the host,
// GEMM through cuBLAS. The kernels are in elementwise.cu, reduce.cu and index_generate.cu.
#include "cuda_backend.hpp"

#include <cublas_v2.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "backend/gemm_layout.hpp"
#include "cuda_check.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend {

using cuda_detail::DeviceAllocator;

OpDevice::OpDevice(const Tensor& t) : OpDevice(t.device().index()) {}

OpDevice::OpDevice(int index) {
  cuda_detail::check_not_poisoned();
  IGNIS_CUDA_CHECK(cudaGetDevice(&previous_));
  if (index >= 0 && index != previous_) IGNIS_CUDA_CHECK(cudaSetDevice(index));
}

OpDevice::~OpDevice() {
  int now = -1;
  if (previous_ >= 0 && cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
}

CudaBackend::CudaBackend(int device_count) : device_count_(device_count) {
  for (int i = 0; i < device_count; ++i) allocators_.push_back(std::make_unique<DeviceAllocator>(i));
  cublas_.assign(static_cast<std::size_t>(device_count), nullptr);
}

// -1 is "the current device" (Device::cuda() without an index); any other index outside the
// visible devices is an IndexError, as the API promises (found by the simulated device).
int CudaBackend::resolve(int index) {
  if (index == -1) index = current_device();
  if (index < 0 || index >= device_count_) {
    throw IndexError(fmt::format("[cuda] device cuda:{} does not exist: {} CUDA device(s) are visible", index,
                                 device_count_));
  }
  return index;
}

Allocator& CudaBackend::allocator(Device device) { return *allocators_[static_cast<std::size_t>(resolve(device.index()))]; }

cuda::DeviceProperties CudaBackend::properties(int index) {
  cudaDeviceProp p{};
  IGNIS_CUDA_CHECK(cudaGetDeviceProperties(&p, resolve(index)));
  return {p.name, p.major, p.minor, p.totalGlobalMem, p.multiProcessorCount, static_cast<std::size_t>(p.l2CacheSize)};
}

int CudaBackend::current_device() {
  int d = 0;
  IGNIS_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void CudaBackend::set_device(int index) { IGNIS_CUDA_CHECK(cudaSetDevice(resolve(index))); }

void CudaBackend::synchronize(int index) {
  OpDevice d(resolve(index));
  IGNIS_CUDA_CHECK(cudaDeviceSynchronize());
}

void CudaBackend::synchronize(Device device) { synchronize(device.index()); }

cuda::MemoryStats CudaBackend::memory_stats(int index) { return allocators_[static_cast<std::size_t>(resolve(index))]->stats(); }

void CudaBackend::empty_cache() {
  for (auto& a : allocators_) a->empty_cache();
  pinned_.empty_cache();
}

cublasHandle_t CudaBackend::cublas(int device) {
  std::lock_guard lock(mutex_);
  cublasHandle_t& h = cublas_[static_cast<std::size_t>(device)];
  if (h == nullptr) {
    OpDevice d(device);
    IGNIS_CUBLAS_CHECK(cublasCreate(&h));
    IGNIS_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  }
  return h;
}

Tensor CudaBackend::contiguous_copy(const Tensor& t) {
  Tensor out = new_contiguous(*this, t.shape(), t.dtype(), t.device());
  copy_on_device(t, out);
  return out;
}

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  if (dst.numel() == 0) return;
  const bool src_gpu = src.device().is_cuda(), dst_gpu = dst.device().is_cuda();
  const std::size_t nbytes = static_cast<std::size_t>(dst.numel()) * dst.item_size();
  if (src_gpu && dst_gpu) {
    if (src.device().index() == dst.device().index()) {
      OpDevice d(dst);
      copy_on_device(src, dst);
      return;
    }
    // Between two GPUs: a contiguous copy of the source, a peer copy, then into place.
    Tensor packed;
    {
      OpDevice d(src);
      packed = src.is_contiguous() && src.dtype() == dst.dtype() ? src : contiguous_copy(src);
    }
    OpDevice d(dst);
    Tensor landed = new_contiguous(*this, src.shape(), packed.dtype(), dst.device());
    IGNIS_CUDA_CHECK(cudaMemcpyPeer(landed.data_ptr(), dst.device().index(), packed.data_ptr(), src.device().index(),
                                    static_cast<std::size_t>(packed.numel()) * packed.item_size()));
    copy_on_device(landed, dst);
    return;
  }
  if (!src_gpu) {  // host -> device
    OpDevice d(dst);
    Tensor host = src;
    if (!src.is_contiguous() || src.dtype() != dst.dtype()) {
      host = new_contiguous(cpu_backend(), dst.shape(), dst.dtype(), Device::cpu());
      cpu_backend().copy(src, host);
    }
    if (dst.is_contiguous()) {
      IGNIS_CUDA_CHECK(cudaMemcpy(dst.data_ptr(), host.data_ptr(), nbytes, cudaMemcpyHostToDevice));
    } else {
      Tensor staged = new_contiguous(*this, dst.shape(), dst.dtype(), dst.device());
      IGNIS_CUDA_CHECK(cudaMemcpy(staged.data_ptr(), host.data_ptr(), nbytes, cudaMemcpyHostToDevice));
      copy_on_device(staged, dst);
    }
    return;
  }
  // device -> host
  OpDevice d(src);
  const Tensor packed = src.is_contiguous() ? src : contiguous_copy(src);
  const std::size_t src_bytes = static_cast<std::size_t>(packed.numel()) * packed.item_size();
  if (dst.is_contiguous() && dst.dtype() == src.dtype()) {
    IGNIS_CUDA_CHECK(cudaMemcpy(dst.data_ptr(), packed.data_ptr(), src_bytes, cudaMemcpyDeviceToHost));
    return;
  }
  Tensor host = new_contiguous(cpu_backend(), src.shape(), src.dtype(), Device::cpu());
  IGNIS_CUDA_CHECK(cudaMemcpy(host.data_ptr(), packed.data_ptr(), src_bytes, cudaMemcpyDeviceToHost));
  cpu_backend().copy(host, dst);
}

void CudaBackend::matmul(const Tensor& a, const Tensor& b, const Tensor& out, MatmulOptions options) {
  if (out.numel() == 0) return;
  OpDevice d(out);
  if (options.beta != 0.0 && options.beta != 1.0) {
    throw ValueError("[matmul] the CUDA backend supports beta 0 or 1 only");
  }
  const std::int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  if (k == 0) {
    if (options.beta == 0.0) fill(out, 0);
    return;
  }
  cudaDataType_t type;
  cublasComputeType_t compute;
  if (out.dtype() == DType::kFloat32) {
    // float32 products stay float32-exact unless the user allows TF32 tensor cores
    // (IGNIS_ALLOW_TF32=1: ~10 bits of mantissa in the products, much faster on Ampere and later).
    static const bool allow_tf32 = [] {
      const char* v = std::getenv("IGNIS_ALLOW_TF32");
      return v != nullptr && v[0] == '1';
    }();
    type = CUDA_R_32F;
    compute = allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  } else if (out.dtype() == DType::kFloat64) {
    type = CUDA_R_64F;
    compute = CUBLAS_COMPUTE_64F;
  } else {
    throw DTypeError(fmt::format("[matmul] the CUDA backend multiplies float32 and float64 matrices, not {}",
                                 std::string(name(out.dtype()))));
  }
  Tensor a_use = a, b_use = b;
  GemmOperand ga = gemm_operand(m, k, a.stride(1), a.stride(2));
  GemmOperand gb = gemm_operand(k, n, b.stride(1), b.stride(2));
  if (!ga.usable) {
    a_use = contiguous_copy(a);
    ga = gemm_operand(m, k, a_use.stride(1), a_use.stride(2));
  }
  if (!gb.usable) {
    b_use = contiguous_copy(b);
    gb = gemm_operand(k, n, b_use.stride(1), b_use.stride(2));
  }
  // Row-major C = A B is column-major Cᵀ = Bᵀ Aᵀ: cuBLAS sees B first. A row-major matrix read
  // "as is" is its column-major transpose, so our 'N' is cuBLAS's N on the swapped product.
  const cublasOperation_t op_b = gb.trans == 'N' ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t op_a = ga.trans == 'N' ? CUBLAS_OP_N : CUBLAS_OP_T;
  const float alpha_f = 1.0f, beta_f = static_cast<float>(options.beta);
  const double alpha_d = 1.0, beta_d = options.beta;
  const bool f32 = out.dtype() == DType::kFloat32;
  IGNIS_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      cublas(out.device().index() < 0 ? current_device() : out.device().index()), op_b, op_a, static_cast<int>(n),
      static_cast<int>(m), static_cast<int>(k), f32 ? static_cast<const void*>(&alpha_f) : &alpha_d, b_use.data_ptr(),
      type, static_cast<int>(gb.ld), b_use.stride(0), a_use.data_ptr(), type, static_cast<int>(ga.ld), a_use.stride(0),
      f32 ? static_cast<const void*>(&beta_f) : &beta_d, out.data_ptr(), type, static_cast<int>(n), m * n,
      static_cast<int>(batch), compute, CUBLAS_GEMM_DEFAULT));
  IGNIS_CUDA_CHECK_LAUNCH("matmul");
}

}  // namespace ignis::backend

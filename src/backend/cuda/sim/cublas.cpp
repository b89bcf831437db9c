// cuBLAS for the simulated device: the calls the plugin makes, with cuBLAS's argument rules
// checked as its documentation states them (cuBLAS Library, "cublas<t>gemmStridedBatched" and
// "cublasGemmStridedBatchedEx": m, n, k, batchCount ≥ 0; lda ≥ max(1, rows of op(A)'s storage);
// the type combinations of the compute type), every matrix of every batch checked to lie inside
// one device allocation, and the product computed by an independent implementation of the same
// column-major contract: the reference BLAS's cblas_sgemm/cblas_dgemm (Debian's libblas3).
#include <cblas.h>
#include <cublas_v2.h>

#include <cstdio>

#include "device_memory.hpp"

struct cublasContext {
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
  cudaStream_t stream = nullptr;
};

namespace {

using ignis::cuda_sim::DeviceMemory;

cublasStatus_t invalid(const char* why) {
  std::fprintf(stderr, "ignis CUDA simulator: cuBLAS refuses the call: %s\n", why);
  return CUBLAS_STATUS_INVALID_VALUE;
}

bool is_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

/// A column-major rows×cols matrix with leading dimension ld, `batches` of them `stride`
/// elements apart, must lie inside one device allocation each.
bool matrix_on_device(const void* base, std::size_t item, int rows, int cols, int ld,
                      long long stride, int batches) {
  if (rows == 0 || cols == 0 || batches == 0) return true;
  const std::size_t extent =
      (static_cast<std::size_t>(cols) - 1) * static_cast<std::size_t>(ld) + rows;
  for (int b = 0; b < batches; ++b) {
    const char* p = static_cast<const char*>(base) +
                    static_cast<long long>(b) * stride * static_cast<long long>(item);
    if (!DeviceMemory::instance().find(p, extent * item)) return false;
  }
  return true;
}

CBLAS_TRANSPOSE to_cblas(cublasOperation_t op) {
  return op == CUBLAS_OP_N ? CblasNoTrans : CblasTrans;
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a,
          int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
          const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// C_b = alpha op(A_b) op(B_b) + beta C_b for every batch, through the runtime's view of memory.
template <class T>
void run_batches(cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
                 const void* alpha, const void* A, int lda, long long strideA, const void* B,
                 int ldb, long long strideB, const void* beta, void* C, int ldc, long long strideC,
                 int batches) {
  DeviceMemory& memory = DeviceMemory::instance();
  const T al = *static_cast<const T*>(alpha), be = *static_cast<const T*>(beta);
  for (long long b = 0; b < batches; ++b) {
    T* c = reinterpret_cast<T*>(memory.host_view(static_cast<T*>(C) + b * strideC));
    if (k ==
        0) {  // C = beta C; the BLAS would return early. beta = 0 does not read C (NaN stays out).
      for (long long j = 0; j < n; ++j)
        for (long long i = 0; i < m; ++i) c[i + j * ldc] = be == T(0) ? T(0) : be * c[i + j * ldc];
      continue;
    }
    const T* a =
        reinterpret_cast<const T*>(memory.host_view(static_cast<const T*>(A) + b * strideA));
    const T* bm =
        reinterpret_cast<const T*>(memory.host_view(static_cast<const T*>(B) + b * strideB));
    gemm(to_cblas(transa), to_cblas(transb), m, n, k, al, a, lda, bm, ldb, be, c, ldc);
  }
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR:
      return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
    const void* alpha, const void* A, cudaDataType Atype, int lda, long long strideA, const void* B,
    cudaDataType Btype, int ldb, long long strideB, const void* beta, void* C, cudaDataType Ctype,
    int ldc, long long strideC, int batchCount, cublasComputeType_t computeType,
    cublasGemmAlgo_t /*algo*/) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!is_op(transa) || !is_op(transb))
    return invalid("transa/transb is not CUBLAS_OP_N, _T or _C");
  if (m < 0 || n < 0 || k < 0 || batchCount < 0)
    return invalid("m, n, k or batchCount is negative");
  // Stored shapes: op(A) is m×k, so A is m×k (N) or k×m (T); op(B) is k×n.
  const int a_rows = transa == CUBLAS_OP_N ? m : k, a_cols = transa == CUBLAS_OP_N ? k : m;
  const int b_rows = transb == CUBLAS_OP_N ? k : n, b_cols = transb == CUBLAS_OP_N ? n : k;
  if (lda < (a_rows > 1 ? a_rows : 1)) return invalid("lda < max(1, rows of A)");
  if (ldb < (b_rows > 1 ? b_rows : 1)) return invalid("ldb < max(1, rows of B)");
  if (ldc < (m > 1 ? m : 1)) return invalid("ldc < max(1, m)");
  const bool f32 =
      Atype == CUDA_R_32F && Btype == CUDA_R_32F && Ctype == CUDA_R_32F &&
      (computeType == CUBLAS_COMPUTE_32F || computeType == CUBLAS_COMPUTE_32F_FAST_TF32 ||
       computeType == CUBLAS_COMPUTE_32F_PEDANTIC);
  const bool f64 =
      Atype == CUDA_R_64F && Btype == CUDA_R_64F && Ctype == CUDA_R_64F &&
      (computeType == CUBLAS_COMPUTE_64F || computeType == CUBLAS_COMPUTE_64F_PEDANTIC);
  if (!f32 && !f64) {
    std::fprintf(
        stderr,
        "ignis CUDA simulator: cuBLAS: this A/B/C type and compute type combination is not one the "
        "simulator supports (float32 or float64 throughout)\n");
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
  DeviceMemory& memory = DeviceMemory::instance();
  // The default pointer mode is host: alpha and beta are host values.
  if (alpha == nullptr || beta == nullptr || memory.in_device_range(alpha) ||
      memory.in_device_range(beta)) {
    return invalid("alpha and beta must be host pointers (CUBLAS_POINTER_MODE_HOST)");
  }
  const std::size_t item = f32 ? sizeof(float) : sizeof(double);
  if (!matrix_on_device(A, item, a_rows, a_cols, lda, strideA, k == 0 ? 0 : batchCount) ||
      !matrix_on_device(B, item, b_rows, b_cols, ldb, strideB, k == 0 ? 0 : batchCount) ||
      !matrix_on_device(C, item, m, n, ldc, strideC, batchCount)) {
    std::fprintf(
        stderr,
        "ignis CUDA simulator: cuBLAS: a matrix of the batch reaches outside its device allocation "
        "(m=%d n=%d k=%d lda=%d ldb=%d ldc=%d strides %lld/%lld/%lld, %d batches); a GPU would "
        "read or write "
        "out of bounds\n",
        m, n, k, lda, ldb, ldc, strideA, strideB, strideC, batchCount);
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  if (f32) {
    run_batches<float>(transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C,
                       ldc, strideC, batchCount);
  } else {
    run_batches<double>(transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C,
                        ldc, strideC, batchCount);
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"

#pragma once
// How a BLAS routine can read a (rows x cols) matrix stored with element strides
// (row_stride, col_stride): as is ('N', ld = row_stride), as a transpose ('T', ld = col_stride),
// or not at all (copy it first). Shared by the CPU (oneDNN) and CUDA (cuBLAS) GEMM paths.
#include <algorithm>
#include <cstdint>

namespace ignis::backend {

struct GemmOperand {
  char trans = 'N';
  std::int64_t ld = 0;
  bool usable = false;
};

inline GemmOperand gemm_operand(std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
                                std::int64_t col_stride) {
  // The stride of a size-1 dimension is never used: normalise it so that every layout that
  // is_contiguous() accepts is usable here.
  if (cols == 1) col_stride = 1;
  if (rows == 1) row_stride = std::max<std::int64_t>(cols, 1) * col_stride;
  if (col_stride == 1 && row_stride >= std::max<std::int64_t>(cols, 1)) return {'N', row_stride, true};
  if (row_stride == 1 && col_stride >= std::max<std::int64_t>(rows, 1)) return {'T', col_stride, true};
  return {};
}

}  // namespace ignis::backend

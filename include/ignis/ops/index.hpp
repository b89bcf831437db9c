#pragma once
// Selecting elements by integer index (int64 or int32 index tensors).
#include <cstdint>

#include "ignis/tensor/tensor.hpp"

namespace ignis {

/// The slices of x at positions `index` (1-D) along dim: torch.index_select.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] for dim = 1 (and likewise for any dim): torch.gather. index has
/// x's rank and is no larger than x in every dimension but dim.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
/// int64 tensor with a trailing dimension of num_classes holding 1 at each index (-1: infer
/// num_classes as max(index) + 1).
Tensor one_hot(const Tensor& index, std::int64_t num_classes = -1);

}  // namespace ignis

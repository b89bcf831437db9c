#pragma once
// Selecting elements by integer index (int64 or int32 index tensors).
#include <cstdint>

#include "ignis/tensor/tensor.hpp"

namespace ignis::ops {

/// The slices of x at positions `index` (1-D) along dim: torch.index_select.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] for dim = 1 (and likewise for any dim): torch.gather. index has
/// x's rank and is no larger than x in every dimension but dim.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
/// self with src added at `index` along dim (the adjoint of gather): out = self.clone();
/// out[..., index[..., j, ...], ...] += src[..., j, ...]. index and src share a shape, no larger
/// than self outside dim. torch.scatter_add.
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
/// int64 tensor with a trailing dimension of num_classes holding 1 at each index (-1: infer
/// num_classes as max(index) + 1).
Tensor one_hot(const Tensor& index, std::int64_t num_classes = -1);

}  // namespace ignis::ops

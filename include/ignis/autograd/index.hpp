#pragma once
// Differentiable indexing (arguments as ignis/ops/index.hpp); the index gets no gradient.
#include <cstdint>

#include "ignis/ops/index.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
using ops::one_hot;

}  // namespace ignis

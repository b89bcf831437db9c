#pragma once
// Joining tensors.
#include <cstdint>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::ops {

/// Concatenates along an existing dimension; all other sizes must match. Dtypes promote.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Joins along a new dimension; all shapes must be equal.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);

}  // namespace ignis::ops

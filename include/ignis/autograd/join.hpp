#pragma once
// Differentiable cat and stack (arguments as ignis/ops/join.hpp).
#include <cstdint>
#include <vector>

#include "ignis/ops/join.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);

}  // namespace ignis

#pragma once
// Raw views: new shape/strides/offset over the same storage, with no autograd. The Tensor view
// methods (x.view(), x.transpose(), ...) are the differentiable forms of these; use these only
// inside ignis where no graph must be recorded. Arguments and errors as for the methods.
#include <cstdint>
#include <optional>

#include "ignis/tensor/tensor.hpp"

namespace ignis::layout {

Tensor view(const Tensor& self, const Shape& shape);
/// The view for `shape` when the strides allow one without copying.
std::optional<Tensor> try_view(const Tensor& self, const Shape& shape);
Tensor transpose(const Tensor& self, std::int64_t dim0, std::int64_t dim1);
Tensor t(const Tensor& self);
Tensor permute(const Tensor& self, const Dims& dims);
Tensor slice(const Tensor& self, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step);
Tensor narrow(const Tensor& self, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor select(const Tensor& self, std::int64_t dim, std::int64_t index);
Tensor squeeze(const Tensor& self);
Tensor squeeze(const Tensor& self, std::int64_t dim);
Tensor unsqueeze(const Tensor& self, std::int64_t dim);
Tensor expand(const Tensor& self, const Shape& shape);

}  // namespace ignis::layout

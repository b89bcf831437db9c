#pragma once
// Reductions over all elements or over chosen dimensions (negative dims count from the end),
// without gradients (the differentiable forms, and mean/var/std/logsumexp, are in
// ignis/autograd/reduce.hpp). With KeepDim::kYes the reduced dimensions stay as size 1, ready to
// broadcast against the input. sum of integers or bools gives int64.
#include <cstdint>

#include "ignis/core/shape.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

namespace ops {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// Largest value (NaN if any element is NaN); an empty reduction throws ValueError.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// int64 index of the largest element of the flattened tensor; ties go to the first.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, KeepDim keep = KeepDim::kNo);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, std::int64_t dim, KeepDim keep = KeepDim::kNo);

/// exp(x) / sum(exp(x)) along dim, computed stably (the max is subtracted first).
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x - logsumexp(x) along dim.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

}  // namespace ops
}  // namespace ignis

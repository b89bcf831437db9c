#pragma once
// Differentiable reductions and softmax (dims and KeepDim as in ignis/ops/reduce.hpp).
// max/min spread the gradient evenly over tied maxima (as PyTorch's amax/amin).
#include <cstdint>

#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// Floating point only; NaN for an empty input, as in PyTorch.
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// Variance, dividing by N - correction (1: Bessel's correction, the default; 0: population).
/// For all elements with another correction: var(x, {}, KeepDim::kNo, 0).
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo, std::int64_t correction = 1);
/// Standard deviation: sqrt(var).
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo, std::int64_t correction = 1);
/// log(sum(exp(x))) computed without overflow.
Tensor logsumexp(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// exp(x) / sum(exp(x)) along dim, stable.
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x - logsumexp(x) along dim.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

using ops::argmax;
using ops::argmin;

}  // namespace ignis

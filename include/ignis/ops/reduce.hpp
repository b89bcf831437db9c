#pragma once
// Reductions over all elements or over chosen dimensions (negative dims count from the end).
// With KeepDim::kYes the reduced dimensions stay as size 1, ready to broadcast against the
// input. sum of integers or bools gives int64; mean, var and std need floating point.
#include <cstdint>

#include "ignis/core/shape.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

enum class KeepDim : bool { kNo = false, kYes = true };
/// Shorthand: sum(x, {1}, kKeepDim).
inline constexpr KeepDim kKeepDim = KeepDim::kYes;

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
/// NaN for an empty input, as in PyTorch.
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);
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
/// Variance, dividing by N - correction (1: Bessel's correction, the default; 0: population).
/// For all elements with another correction: var(x, {}, KeepDim::kNo, 0).
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo, std::int64_t correction = 1);
/// Standard deviation: sqrt(var).
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo, std::int64_t correction = 1);
/// log(sum(exp(x))) computed without overflow.
Tensor logsumexp(const Tensor& x, const Dims& dims, KeepDim keep = KeepDim::kNo);

/// exp(x) / sum(exp(x)) along dim, computed stably (the max is subtracted first).
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x - logsumexp(x) along dim.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

}  // namespace ignis

// Differentiable reductions. sum, max/min and the softmaxes have their own backward; mean, var,
// std and logsumexp are compositions of differentiable ops, so they need none.
#include "ignis/autograd/reduce.hpp"

#include <algorithm>
#include <limits>

#include "core/check.hpp"
#include "ignis/autograd/elementwise.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/layout.hpp"
#include "ops/op_utils.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

namespace {

// Shapes of reductions, from the ops layer's helpers (one definition of the dim rules).
Shape keepdim_shape(const Shape& in, const Dims& dims) {
  return ops_detail::keepdim_shape(in, ops_detail::reduction_mask(dims, in.size(), "reduce"));
}

Shape reduced_shape(const Shape& in, const Dims& dims, KeepDim keep) {
  return ops_detail::reduced_shape(in, ops_detail::reduction_mask(dims, in.size(), "reduce"), keep == KeepDim::kYes);
}

std::int64_t reduced_count(const Tensor& x, const Dims& dims) {
  const ops_detail::DimMask mask = ops_detail::reduction_mask(dims, x.dim(), "reduce");
  std::int64_t n = 1;
  for (int d = 0; d < x.dim(); ++d) {
    if (mask.reduced[d]) n *= x.size(d);
  }
  return n;
}

void check_floating(const Tensor& x, const char* name) {
  if (!x.defined()) detail::fail<ValueError>("[{}] input is an undefined tensor", name);
  if (!is_floating_point(x.dtype())) {
    detail::fail<DTypeError>("[{}] needs a floating-point tensor, got {}; convert with .to(kFloat32)", name,
                             x.dtype());
  }
}

/// max/min: the gradient goes to the elements equal to the result, split evenly among ties.
Tensor extremum(const char* name, Tensor y, const Tensor& x, const Dims& dims) {
  if (!needs_grad(x)) return y;
  const Shape kept = keepdim_shape(x.shape(), dims);
  return record(name, y, {&x}, [x, y = y.detach(), dims, kept](const Tensor& g) {
    const Tensor hit = ops::to(ops::eq(x, ops::reshape(y, kept)), x.dtype());
    const Tensor share = ops::div(hit, ops::sum(hit, dims, kKeepDim));
    return Grads{ops::mul(share, ops::reshape(g, kept))};
  });
}

}  // namespace

Tensor sum(const Tensor& x) { return sum(x, {}, KeepDim::kNo); }
Tensor sum(const Tensor& x, const Dims& dims, KeepDim keep) {
  Tensor y = ops::sum(x, dims, keep);
  if (!needs_grad(x)) return y;
  const Shape in = x.shape(), kept = keepdim_shape(x.shape(), dims);
  const DType dtype = x.dtype();
  return record("SumBackward", y, {&x}, [in, kept, dtype](const Tensor& g) {
    return Grads{ops::to(layout::expand(ops::reshape(g, kept), in), dtype)};
  });
}

Tensor mean(const Tensor& x) { return mean(x, {}, KeepDim::kNo); }
Tensor mean(const Tensor& x, const Dims& dims, KeepDim keep) {
  check_floating(x, "mean");
  return div(sum(x, dims, keep), static_cast<double>(reduced_count(x, dims)));  // 0/0 = NaN when empty
}

Tensor max(const Tensor& x) { return max(x, {}, KeepDim::kNo); }
Tensor max(const Tensor& x, const Dims& dims, KeepDim keep) {
  return extremum("MaxBackward", ops::max(x, dims, keep), x, dims);
}

Tensor min(const Tensor& x) { return min(x, {}, KeepDim::kNo); }
Tensor min(const Tensor& x, const Dims& dims, KeepDim keep) {
  return extremum("MinBackward", ops::min(x, dims, keep), x, dims);
}

Tensor var(const Tensor& x) { return var(x, {}, KeepDim::kNo, 1); }
Tensor var(const Tensor& x, const Dims& dims, KeepDim keep, std::int64_t correction) {
  check_floating(x, "var");
  if (correction < 0) detail::fail<ValueError>("[var] correction must be ≥ 0, got {}", correction);
  const std::int64_t count = reduced_count(x, dims);
  // Two passes (mean first, then squared deviations): accurate where E[x²] - E[x]² is not.
  const Tensor centered = sub(x, mean(x, dims, kKeepDim));
  const auto divisor = static_cast<double>(std::max<std::int64_t>(count - correction, 0));
  return div(sum(mul(centered, centered), dims, keep), divisor);
}

Tensor std(const Tensor& x) { return sqrt(var(x)); }
Tensor std(const Tensor& x, const Dims& dims, KeepDim keep, std::int64_t correction) {
  return sqrt(var(x, dims, keep, correction));
}

Tensor logsumexp(const Tensor& x, const Dims& dims, KeepDim keep) {
  if (!x.defined()) throw ValueError("[logsumexp] input is an undefined tensor");
  const Tensor in = is_floating_point(x.dtype()) ? x : x.to(DType::kFloat32);
  const Shape out_shape = reduced_shape(in.shape(), dims, keep);
  if (reduced_count(in, dims) == 0) {
    return full(out_shape, -std::numeric_limits<double>::infinity(), {.dtype = in.dtype(), .device = in.device()});
  }
  // Subtract the max so exp cannot overflow. The shift is a constant for differentiation (its
  // gradient terms cancel); a non-finite max (all -inf, or inf) becomes 0 so -inf - -inf is no NaN.
  const Tensor m = ops::max(in, dims, kKeepDim);
  const Tensor shift = ops::where(ops::isfinite(m), m, 0.0);
  return add(log(sum(exp(sub(in, shift)), dims, kKeepDim)), shift).reshape(out_shape);
}

Tensor softmax(const Tensor& x, std::int64_t dim) {
  Tensor y = ops::softmax(x, dim);
  if (!needs_grad(x)) return y;
  return record("SoftmaxBackward", y, {&x}, [y = y.detach(), dim](const Tensor& g) {  // y (g - Σ g y)
    return Grads{ops::mul(y, ops::sub(g, ops::sum(ops::mul(g, y), {dim}, kKeepDim)))};
  });
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  Tensor y = ops::log_softmax(x, dim);
  if (!needs_grad(x)) return y;
  return record("LogSoftmaxBackward", y, {&x}, [y = y.detach(), dim](const Tensor& g) {  // g - e^y Σ g
    return Grads{ops::sub(g, ops::mul(ops::exp(y), ops::sum(g, {dim}, kKeepDim)))};
  });
}

}  // namespace ignis

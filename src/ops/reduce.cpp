// Reductions and softmax. sum/max/min/argmax/argmin/softmax go to the backend; mean, var, std
// and logsumexp are compositions of those, written once for every backend.
#include "ignis/ops/reduce.hpp"

#include <limits>

#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/operators.hpp"
#include "op_utils.hpp"

namespace ignis {

using namespace ops_detail;
using backend::ReduceOp;

namespace {

std::int64_t reduced_count(const Tensor& x, const DimMask& mask) {
  std::int64_t n = 1;
  for (int d = 0; d < x.dim(); ++d) {
    if (mask.reduced[d]) n *= x.size(d);
  }
  return n;
}

Tensor reduce_op(ReduceOp op, const char* name, const Tensor& x, const Dims& dims, KeepDim keep) {
  check_defined(x, name);
  check_supported(x, name);
  const DimMask mask = reduction_mask(dims, x.dim(), name);
  if (op != ReduceOp::kSum && reduced_count(x, mask) == 0) {
    detail::fail<ValueError>("[{}] cannot reduce over an empty dimension of a tensor of shape {}: {} of "
                             "no elements is undefined",
                             name, x.shape(), name);
  }
  const DType out_dtype =
      op == ReduceOp::kSum && !is_floating_point(x.dtype()) ? DType::kInt64 : x.dtype();
  Tensor out = new_tensor(reduced_shape(x.shape(), mask, keep == KeepDim::kYes), out_dtype, x.device());
  backend_of(x).reduce(op, x, out.view(keepdim_shape(x.shape(), mask)));
  return out;
}

void check_floating(const Tensor& x, const char* name) {
  check_defined(x, name);
  if (!is_floating_point(x.dtype())) {
    detail::fail<DTypeError>("[{}] needs a floating-point tensor, got {}; convert with .to(kFloat32)",
                             name, x.dtype());
  }
}

Tensor arg_reduce_op(backend::ArgReduceOp op, const char* name, const Tensor& x, std::int64_t dim,
                     KeepDim keep) {
  check_defined(x, name);
  check_supported(x, name);
  if (x.dim() == 0) {
    normalize_dim(dim, 0, name);
    return zeros({}, {.dtype = DType::kInt64, .device = x.device()});
  }
  const int d = normalize_dim(dim, x.dim(), name);
  if (x.size(d) == 0) {
    detail::fail<ValueError>("[{}] dimension {} of shape {} is empty: there is no element to pick", name,
                             d, x.shape());
  }
  DimMask mask;
  mask.reduced[d] = true;
  mask.count = 1;
  Tensor out = new_tensor(reduced_shape(x.shape(), mask, keep == KeepDim::kYes), DType::kInt64, x.device());
  backend_of(x).arg_reduce(op, x, d, out.view(keepdim_shape(x.shape(), mask)));
  return out;
}

Tensor softmax_op(backend::SoftmaxOp op, const char* name, const Tensor& x, std::int64_t dim) {
  check_defined(x, name);
  check_supported(x, name);
  const Tensor in = (is_floating_point(x.dtype()) ? x : x.to(DType::kFloat32)).contiguous();
  if (in.dim() == 0) {
    normalize_dim(dim, 0, name);
    return softmax_op(op, name, in.reshape({1}), 0).reshape({});
  }
  const int d = normalize_dim(dim, in.dim(), name);
  Tensor out = new_tensor(in.shape(), in.dtype(), in.device());
  backend_of(in).softmax(op, in, d, out);
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) { return sum(x, {}, KeepDim::kNo); }
Tensor sum(const Tensor& x, const Dims& dims, KeepDim keep) {
  return reduce_op(ReduceOp::kSum, "sum", x, dims, keep);
}

Tensor mean(const Tensor& x) { return mean(x, {}, KeepDim::kNo); }
Tensor mean(const Tensor& x, const Dims& dims, KeepDim keep) {
  check_floating(x, "mean");
  const std::int64_t count = reduced_count(x, reduction_mask(dims, x.dim(), "mean"));
  return div(sum(x, dims, keep), static_cast<double>(count));  // 0 / 0 = NaN when empty
}

Tensor max(const Tensor& x) { return max(x, {}, KeepDim::kNo); }
Tensor max(const Tensor& x, const Dims& dims, KeepDim keep) {
  return reduce_op(ReduceOp::kMax, "max", x, dims, keep);
}

Tensor min(const Tensor& x) { return min(x, {}, KeepDim::kNo); }
Tensor min(const Tensor& x, const Dims& dims, KeepDim keep) {
  return reduce_op(ReduceOp::kMin, "min", x, dims, keep);
}

Tensor argmax(const Tensor& x) {
  check_defined(x, "argmax");
  return arg_reduce_op(backend::ArgReduceOp::kArgMax, "argmax", x.reshape({-1}), 0, KeepDim::kNo);
}
Tensor argmax(const Tensor& x, std::int64_t dim, KeepDim keep) {
  return arg_reduce_op(backend::ArgReduceOp::kArgMax, "argmax", x, dim, keep);
}

Tensor argmin(const Tensor& x) {
  check_defined(x, "argmin");
  return arg_reduce_op(backend::ArgReduceOp::kArgMin, "argmin", x.reshape({-1}), 0, KeepDim::kNo);
}
Tensor argmin(const Tensor& x, std::int64_t dim, KeepDim keep) {
  return arg_reduce_op(backend::ArgReduceOp::kArgMin, "argmin", x, dim, keep);
}

Tensor var(const Tensor& x) { return var(x, {}, KeepDim::kNo, 1); }
Tensor var(const Tensor& x, const Dims& dims, KeepDim keep, std::int64_t correction) {
  check_floating(x, "var");
  if (correction < 0) detail::fail<ValueError>("[var] correction must be ≥ 0, got {}", correction);
  const std::int64_t count = reduced_count(x, reduction_mask(dims, x.dim(), "var"));
  // Two passes (mean first, then squared deviations): accurate where E[x²] - E[x]² is not.
  const Tensor centered = x - mean(x, dims, kKeepDim);
  const auto divisor = static_cast<double>(std::max<std::int64_t>(count - correction, 0));
  return div(sum(centered * centered, dims, keep), divisor);
}

Tensor std(const Tensor& x) { return sqrt(var(x)); }
Tensor std(const Tensor& x, const Dims& dims, KeepDim keep, std::int64_t correction) {
  return sqrt(var(x, dims, keep, correction));
}

Tensor logsumexp(const Tensor& x, const Dims& dims, KeepDim keep) {
  check_defined(x, "logsumexp");
  const Tensor in = is_floating_point(x.dtype()) ? x : x.to(DType::kFloat32);
  const DimMask mask = reduction_mask(dims, in.dim(), "logsumexp");
  const Shape out_shape = reduced_shape(in.shape(), mask, keep == KeepDim::kYes);
  if (reduced_count(in, mask) == 0) {
    return full(out_shape, -std::numeric_limits<double>::infinity(), {.dtype = in.dtype(), .device = in.device()});
  }
  // Subtract the max so exp cannot overflow; a non-finite max (all -inf, or inf) is replaced by
  // 0 so that -inf - -inf does not produce NaN.
  const Tensor m = max(in, dims, kKeepDim);
  const Tensor shift = where(isfinite(m), m, 0.0);
  const Tensor r = log(sum(exp(in - shift), dims, kKeepDim)) + shift;
  return r.reshape(out_shape);
}

Tensor softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(backend::SoftmaxOp::kSoftmax, "softmax", x, dim);
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(backend::SoftmaxOp::kLogSoftmax, "log_softmax", x, dim);
}

}  // namespace ignis

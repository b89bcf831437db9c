// Reductions and softmax (the backend computes). mean, var, std and logsumexp are compositions
// of these, written once in the autograd layer (src/autograd/reduce.cpp) so they differentiate.
#include "ignis/ops/reduce.hpp"

#include "ignis/ops/elementwise.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

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
  backend_of(x).reduce(op, x, layout::view(out, keepdim_shape(x.shape(), mask)));
  return out;
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
  backend_of(x).arg_reduce(op, x, d, layout::view(out, keepdim_shape(x.shape(), mask)));
  return out;
}

Tensor softmax_op(backend::SoftmaxOp op, const char* name, const Tensor& x, std::int64_t dim) {
  check_defined(x, name);
  check_supported(x, name);
  const Tensor in = contiguous(is_floating_point(x.dtype()) ? x : to(x, DType::kFloat32));
  if (in.dim() == 0) {
    normalize_dim(dim, 0, name);
    return layout::view(softmax_op(op, name, layout::view(in, {1}), 0), {});
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
  return arg_reduce_op(backend::ArgReduceOp::kArgMax, "argmax", reshape(x, {-1}), 0, KeepDim::kNo);
}
Tensor argmax(const Tensor& x, std::int64_t dim, KeepDim keep) {
  return arg_reduce_op(backend::ArgReduceOp::kArgMax, "argmax", x, dim, keep);
}

Tensor argmin(const Tensor& x) {
  check_defined(x, "argmin");
  return arg_reduce_op(backend::ArgReduceOp::kArgMin, "argmin", reshape(x, {-1}), 0, KeepDim::kNo);
}
Tensor argmin(const Tensor& x, std::int64_t dim, KeepDim keep) {
  return arg_reduce_op(backend::ArgReduceOp::kArgMin, "argmin", x, dim, keep);
}

Tensor softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(backend::SoftmaxOp::kSoftmax, "softmax", x, dim);
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(backend::SoftmaxOp::kLogSoftmax, "log_softmax", x, dim);
}

}  // namespace ignis::ops

// The Tensor methods that differentiate: views (over ignis::layout), copies and conversions
// (over ignis::ops). Each view's backward undoes it on the gradient.
#include <numeric>

#include "ignis/autograd/elementwise.hpp"
#include "ignis/autograd/linalg.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/layout.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

namespace {

/// The gradient of a view that selects part of `in`: zeros of in's shape with the gradient
/// written through the same view.
template <class ViewFn>
Tensor scatter_into_zeros(const Shape& in_shape, const Tensor& grad, ViewFn view) {
  Tensor z = zeros(in_shape, {.dtype = grad.dtype(), .device = grad.device()});
  view(z).copy_(grad);
  return z;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Tensor y = layout::view(*this, shape);
  if (!needs_grad(*this)) return y;
  const Shape in = this->shape();
  return record("ViewBackward", y, {this}, [in](const Tensor& g) { return Grads{ops::reshape(g, in)}; });
}

Tensor Tensor::reshape(const Shape& shape) const {
  Tensor y = ops::reshape(*this, shape);
  if (!needs_grad(*this)) return y;
  const Shape in = this->shape();
  return record("ReshapeBackward", y, {this}, [in](const Tensor& g) { return Grads{ops::reshape(g, in)}; });
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int s = normalize_dim(start_dim, dim(), "flatten");
  const int e = normalize_dim(end_dim, dim(), "flatten");
  if (s > e) throw IndexError("[flatten] start_dim comes after end_dim");
  Shape out;
  for (int d = 0; d < s; ++d) out.push_back(size(d));
  out.push_back(std::accumulate(shape().begin() + s, shape().begin() + e + 1, std::int64_t{1},
                                std::multiplies<>()));
  for (int d = e + 1; d < dim(); ++d) out.push_back(size(d));
  return reshape(out);
}

Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  Tensor y = layout::transpose(*this, dim0, dim1);
  if (!needs_grad(*this)) return y;
  return record("TransposeBackward", y, {this},
                [dim0, dim1](const Tensor& g) { return Grads{layout::transpose(g, dim0, dim1)}; });
}

Tensor Tensor::t() const {
  Tensor y = layout::t(*this);
  if (!needs_grad(*this)) return y;
  return record("TBackward", y, {this}, [](const Tensor& g) { return Grads{layout::t(g)}; });
}

Tensor Tensor::permute(const Dims& dims) const {
  Tensor y = layout::permute(*this, dims);
  if (!needs_grad(*this)) return y;
  Dims inverse;
  inverse.resize(dims.size());
  for (int i = 0; i < dims.size(); ++i) inverse[normalize_dim(dims[i], dim(), "permute")] = i;
  return record("PermuteBackward", y, {this}, [inverse](const Tensor& g) { return Grads{layout::permute(g, inverse)}; });
}

Tensor Tensor::slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) const {
  Tensor y = layout::slice(*this, dim, start, end, step);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("SliceBackward", y, {this}, [=](const Tensor& g) {
    return Grads{scatter_into_zeros(in, g, [&](const Tensor& z) { return layout::slice(z, dim, start, end, step); })};
  });
}

Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  Tensor y = layout::narrow(*this, dim, start, length);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("NarrowBackward", y, {this}, [=](const Tensor& g) {
    return Grads{scatter_into_zeros(in, g, [&](const Tensor& z) { return layout::narrow(z, dim, start, length); })};
  });
}

Tensor Tensor::select(std::int64_t dim, std::int64_t index) const {
  Tensor y = layout::select(*this, dim, index);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("SelectBackward", y, {this}, [=](const Tensor& g) {
    return Grads{scatter_into_zeros(in, g, [&](const Tensor& z) { return layout::select(z, dim, index); })};
  });
}

Tensor Tensor::squeeze() const {
  Tensor y = layout::squeeze(*this);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("SqueezeBackward", y, {this}, [in](const Tensor& g) { return Grads{ops::reshape(g, in)}; });
}

Tensor Tensor::squeeze(std::int64_t dim) const {
  Tensor y = layout::squeeze(*this, dim);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("SqueezeBackward", y, {this}, [in](const Tensor& g) { return Grads{ops::reshape(g, in)}; });
}

Tensor Tensor::unsqueeze(std::int64_t dim) const {
  Tensor y = layout::unsqueeze(*this, dim);
  if (!needs_grad(*this)) return y;
  const Shape in = shape();
  return record("UnsqueezeBackward", y, {this}, [in](const Tensor& g) { return Grads{ops::reshape(g, in)}; });
}

Tensor Tensor::expand(const Shape& shape) const {
  Tensor y = layout::expand(*this, shape);
  if (!needs_grad(*this)) return y;
  const Shape in = this->shape();
  const DType dtype = this->dtype();
  return record("ExpandBackward", y, {this},
                [in, dtype](const Tensor& g) { return Grads{autograd::reduce_to(g, in, dtype)}; });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor y = ops::clone(*this);
  if (!needs_grad(*this)) return y;
  return record("CloneBackward", y, {this}, [](const Tensor& g) { return Grads{g}; });
}

Tensor Tensor::pin_memory() const {
  Tensor y = ops::pin_memory(*this);
  if (y.is_same(*this) || !needs_grad(*this)) return y;
  return record("PinMemoryBackward", y, {this}, [](const Tensor& g) { return Grads{g}; });
}

bool Tensor::is_pinned() const { return ops::is_pinned(*this); }

Tensor Tensor::to(Device device) const {
  Tensor y = ops::to(*this, device);
  if (y.is_same(*this) || !needs_grad(*this)) return y;
  const Device here = this->device();
  return record("ToDeviceBackward", y, {this}, [here](const Tensor& g) { return Grads{ops::to(g, here)}; });
}

Tensor Tensor::to(DType dtype) const {
  Tensor y = ops::to(*this, dtype);
  if (y.is_same(*this) || !is_floating_point(dtype) || !needs_grad(*this)) return y;
  const DType here = this->dtype();
  return record("ToDTypeBackward", y, {this}, [here](const Tensor& g) { return Grads{ops::to(g, here)}; });
}

Tensor Tensor::sum() const { return ignis::sum(*this); }
Tensor Tensor::sum(const Dims& dims, KeepDim keep) const { return ignis::sum(*this, dims, keep); }
Tensor Tensor::mean() const { return ignis::mean(*this); }
Tensor Tensor::mean(const Dims& dims, KeepDim keep) const { return ignis::mean(*this, dims, keep); }
Tensor Tensor::max() const { return ignis::max(*this); }
Tensor Tensor::min() const { return ignis::min(*this); }
Tensor Tensor::argmax() const { return ignis::argmax(*this); }
Tensor Tensor::argmax(std::int64_t dim, KeepDim keep) const { return ignis::argmax(*this, dim, keep); }
Tensor Tensor::abs() const { return ignis::abs(*this); }
Tensor Tensor::exp() const { return ignis::exp(*this); }
Tensor Tensor::log() const { return ignis::log(*this); }
Tensor Tensor::sqrt() const { return ignis::sqrt(*this); }
Tensor Tensor::relu() const { return ignis::relu(*this); }
Tensor Tensor::pow(const Scalar& exponent) const { return ignis::pow(*this, exponent); }
Tensor Tensor::matmul(const Tensor& other) const { return ignis::matmul(*this, other); }
Tensor Tensor::softmax(std::int64_t dim) const { return ignis::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return ignis::log_softmax(*this, dim); }

}  // namespace ignis

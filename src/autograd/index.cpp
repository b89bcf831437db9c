// Differentiable gather/index_select/scatter_add: each is the other's adjoint.
#include "ignis/autograd/index.hpp"

#include "ignis/ops/copy.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/layout.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::needs_grad;
using autograd::record;

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor y = ops::gather(x, dim, index);
  if (!needs_grad(x)) return y;
  const Shape in = x.shape();
  return record("GatherBackward", y, {&x}, [in, dim, index](const Tensor& g) {
    return Grads{ops::scatter_add(zeros(in, {.dtype = g.dtype(), .device = g.device()}), dim, index, g)};
  });
}

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  Tensor y = ops::index_select(x, dim, index);
  if (!needs_grad(x)) return y;
  const Shape in = x.shape();
  return record("IndexSelectBackward", y, {&x}, [in, dim, index](const Tensor& g) {
    // index_select is a gather with the index broadcast along every other dimension.
    const int d = normalize_dim(dim, g.dim(), "index_select");
    Shape idx_shape;
    idx_shape.resize(g.dim(), 1);
    idx_shape[d] = g.size(d);
    const Tensor idx = ops::contiguous(layout::expand(ops::reshape(ops::to(index, DType::kInt64), idx_shape), g.shape()));
    return Grads{ops::scatter_add(zeros(in, {.dtype = g.dtype(), .device = g.device()}), dim, idx, g)};
  });
}

Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor y = ops::scatter_add(self, dim, index, src);
  if (!needs_grad({&self, &src})) return y;
  const bool need_self = self.requires_grad(), need_src = src.requires_grad();
  return record("ScatterAddBackward", y, {&self, &src}, [=](const Tensor& g) {
    return Grads{need_self ? g : Tensor(), need_src ? ops::gather(g, dim, index) : Tensor()};
  });
}

}  // namespace ignis

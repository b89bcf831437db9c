// Index-based selection: index_select, gather, one_hot.
#include "ignis/ops/index.hpp"

#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

namespace {

Tensor as_index(const Tensor& index, const char* op) {
  check_defined(index, op, "index");
  if (!is_integral(index.dtype())) {
    detail::fail<DTypeError>("[{}] index must be an integer tensor (int64 or int32), got {}", op,
                             index.dtype());
  }
  return to(index, DType::kInt64);
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  check_defined(x, "index_select");
  check_supported(x, "index_select");
  const Tensor idx = as_index(index, "index_select");
  check_same_device("index_select", x, idx);
  if (x.dim() == 0) throw ShapeError("[index_select] the input needs at least 1 dimension");
  if (idx.dim() > 1) {
    detail::fail<ShapeError>("[index_select] index must be 1-D, got shape {}", idx.shape());
  }
  const int d = normalize_dim(dim, x.dim(), "index_select");
  const std::int64_t n = idx.numel();
  Shape out_shape = x.shape();
  out_shape[d] = n;
  Shape idx_shape;
  idx_shape.resize(x.dim(), 1);
  idx_shape[d] = n;
  Tensor out = new_tensor(out_shape, x.dtype(), x.device());
  backend_of(x).gather(x, d, layout::expand(reshape(idx, idx_shape), out_shape), out);
  return out;
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  check_defined(x, "gather");
  check_supported(x, "gather");
  const Tensor idx = as_index(index, "gather");
  check_same_device("gather", x, idx);
  if (idx.dim() != x.dim()) {
    detail::fail<ShapeError>("[gather] index must have the input's {} dimensions, got shape {} for input {}",
                             x.dim(), idx.shape(), x.shape());
  }
  const int d = normalize_dim(dim, x.dim(), "gather");
  for (int i = 0; i < x.dim(); ++i) {
    if (i != d && idx.size(i) > x.size(i)) {
      detail::fail<ShapeError>("[gather] index shape {} is larger than input shape {} in dimension {}",
                               idx.shape(), x.shape(), i);
    }
  }
  Tensor out = new_tensor(idx.shape(), x.dtype(), x.device());
  if (x.dim() == 0) {
    if (idx.item<std::int64_t>() != 0) throw IndexError("[gather] index out of range for a 0-dim input");
    backend_of(x).copy(layout::expand(x, out.shape()), out);
    return out;
  }
  backend_of(x).gather(x, d, idx, out);
  return out;
}

Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(self, "scatter_add");
  check_defined(src, "scatter_add", "src");
  check_supported(self, "scatter_add");
  const Tensor idx = as_index(index, "scatter_add");
  check_same_device("scatter_add", self, idx);
  check_same_device("scatter_add", self, src);
  if (idx.shape() != src.shape() || idx.dim() != self.dim() || self.dim() == 0) {
    detail::fail<ShapeError>("[scatter_add] index {} and src {} must have one shape with the rank of self {}",
                             idx.shape(), src.shape(), self.shape());
  }
  const int d = normalize_dim(dim, self.dim(), "scatter_add");
  for (int i = 0; i < self.dim(); ++i) {
    if (i != d && idx.size(i) > self.size(i)) {
      detail::fail<ShapeError>("[scatter_add] index shape {} is larger than self {} in dimension {}", idx.shape(),
                               self.shape(), i);
    }
  }
  Tensor out = clone(self);
  backend_of(out).scatter_add(out, d, idx, to(src, self.dtype()));
  return out;
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes) {
  const Tensor idx = as_index(index, "one_hot");
  if (idx.numel() == 0 && num_classes < 0) {
    throw ValueError("[one_hot] cannot infer the number of classes from an empty tensor; pass num_classes");
  }
  if (idx.numel() > 0) {
    const std::int64_t lo = min(idx).item<std::int64_t>();
    const std::int64_t hi = max(idx).item<std::int64_t>();
    if (lo < 0) detail::fail<IndexError>("[one_hot] class values must be ≥ 0, found {}", lo);
    if (num_classes < 0) num_classes = hi + 1;
    if (hi >= num_classes) {
      detail::fail<IndexError>("[one_hot] class value {} is out of range for num_classes {}", hi, num_classes);
    }
  }
  const Tensor classes = arange(num_classes, {.device = idx.device()});
  return to(eq(layout::unsqueeze(idx, -1), classes), DType::kInt64);
}

}  // namespace ignis::ops

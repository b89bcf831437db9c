// Tensor metadata and the raw views (ignis::layout): everything here rewrites shape, strides
// and offset only. The differentiable Tensor view methods (src/autograd/views.cpp) build on these.
#include "ignis/tensor/layout.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

#include "core/check.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis {

Tensor::Tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
               std::int64_t offset, DType dtype)
    : impl_(std::make_shared<TensorImpl>(TensorImpl{std::move(storage), shape, strides, offset, dtype})) {}

void Tensor::throw_undefined() {
  throw ValueError("[Tensor] this tensor is undefined (default-constructed); assign a tensor to it first");
}

void Tensor::check_dtype(DType expected, const char* op) const {
  if (dtype() != expected) {
    detail::fail<DTypeError>("[{}] the tensor holds {}, not {}; convert it with .to({})", op, dtype(),
                             expected, expected);
  }
}

std::int64_t Tensor::size(std::int64_t dim) const {
  return shape()[normalize_dim(dim, this->dim(), "size")];
}

std::int64_t Tensor::stride(std::int64_t dim) const {
  return strides()[normalize_dim(dim, this->dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (shape()[d] == 1) continue;
    if (strides()[d] != expected) return numel() == 0;
    expected *= shape()[d];
  }
  return true;
}

void* Tensor::data_ptr() const {
  char* base = static_cast<char*>(storage()->data());
  return base == nullptr ? nullptr : base + offset() * static_cast<std::int64_t>(item_size());
}

Tensor& Tensor::requires_grad_(bool required) {
  impl();  // throws for an undefined tensor
  TensorImpl& self = *impl_;
  if (required && !is_floating_point(dtype())) {
    detail::fail<DTypeError>("[requires_grad_] only floating-point tensors can require gradients, "
                             "this one is {}",
                             dtype());
  }
  if (!required && self.grad_fn != nullptr) {
    throw ValueError("[requires_grad_] only leaf tensors can stop requiring grad; use detach() "
                     "for a copy cut off from the graph");
  }
  self.requires_grad = required;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& g = impl().grad;
  return g ? Tensor(g) : Tensor();
}

void Tensor::set_grad(const Tensor& grad) {
  impl();
  if (grad.defined() && (grad.shape() != shape() || grad.device() != device())) {
    detail::fail<ShapeError>("[set_grad] the gradient has shape {} on {} but the tensor has shape {} on {}",
                             grad.shape(), grad.device(), shape(), device());
  }
  impl_->grad = grad.defined() ? grad.impl_ptr() : nullptr;
  set_memory_category(grad, MemoryCategory::kGradients);
}

Tensor Tensor::detach() const {
  return Tensor(storage(), shape(), strides(), offset(), dtype());
}

void Tensor::set_data(const Tensor& other) const {
  impl();
  TensorImpl& self = *impl_;
  const TensorImpl& src = *other.impl_ptr();
  self.storage = src.storage;
  self.shape = src.shape;
  self.strides = src.strides;
  self.offset = src.offset;
  self.dtype = src.dtype;
}

namespace layout {

namespace {

/// Resolves one -1 entry so that the shape has `count` elements.
Shape infer_shape(const Shape& requested, std::int64_t count, const char* op, const Shape& from) {
  Shape shape = requested;
  int infer = -1;
  std::int64_t known = 1;
  for (int d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (infer >= 0) detail::fail<ShapeError>("[{}] only one dimension can be -1, got {}", op, requested);
      infer = d;
    } else if (shape[d] < 0) {
      detail::fail<ShapeError>("[{}] invalid size {} in shape {}", op, shape[d], requested);
    } else {
      known *= shape[d];
    }
  }
  if (infer >= 0) {
    if (known == 0 || count % known != 0) {
      detail::fail<ShapeError>("[{}] shape {} is invalid for a tensor of shape {} ({} elements)", op,
                               requested, from, count);
    }
    shape[infer] = count / known;
  } else if (known != count) {
    detail::fail<ShapeError>("[{}] shape {} is invalid for a tensor of shape {} ({} elements)", op,
                             requested, from, count);
  }
  return shape;
}

/// Strides that view `old_shape`/`old_strides` as `new_shape` without copying, if they exist
/// (the same algorithm as PyTorch's computeStride: dimensions merge only within chunks that
/// are contiguous among themselves).
std::optional<Strides> view_strides(const Shape& old_shape, const Strides& old_strides,
                                    const Shape& new_shape) {
  if (numel(old_shape) == 0 || old_shape.empty()) return contiguous_strides(new_shape);
  Strides new_strides;
  new_strides.resize(new_shape.size());
  int view_d = new_shape.size() - 1;
  std::int64_t chunk_base_stride = old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (int tensor_d = old_shape.size() - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    if (tensor_d == 0 || (old_shape[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace

Tensor view(const Tensor& self, const Shape& requested) {
  const Shape shape = infer_shape(requested, self.numel(), "view", self.shape());
  const auto new_strides = view_strides(self.shape(), self.strides(), shape);
  if (!new_strides) {
    detail::fail<ShapeError>("[view] cannot view a tensor of shape {} with strides {} as {} without "
                             "copying; use reshape() or call contiguous() first",
                             self.shape(), self.strides(), shape);
  }
  return Tensor(self.storage(), shape, *new_strides, self.offset(), self.dtype());
}

std::optional<Tensor> try_view(const Tensor& self, const Shape& requested) {
  const Shape shape = infer_shape(requested, self.numel(), "reshape", self.shape());
  if (const auto new_strides = view_strides(self.shape(), self.strides(), shape)) {
    return Tensor(self.storage(), shape, *new_strides, self.offset(), self.dtype());
  }
  return std::nullopt;
}

Tensor transpose(const Tensor& self, std::int64_t dim0, std::int64_t dim1) {
  const int a = normalize_dim(dim0, self.dim(), "transpose");
  const int b = normalize_dim(dim1, self.dim(), "transpose");
  Shape shape = self.shape();
  Strides st = self.strides();
  if (self.dim() > 0) {
    std::swap(shape[a], shape[b]);
    std::swap(st[a], st[b]);
  }
  return Tensor(self.storage(), shape, st, self.offset(), self.dtype());
}

Tensor t(const Tensor& self) {
  if (self.dim() > 2) {
    detail::fail<ShapeError>("[t] expects a tensor with at most 2 dimensions, got {} of shape {}; use "
                             "transpose(dim0, dim1) or permute()",
                             self.dim(), self.shape());
  }
  return self.dim() < 2 ? self : transpose(self, 0, 1);
}

Tensor permute(const Tensor& self, const Dims& dims) {
  if (dims.size() != self.dim()) {
    detail::fail<ShapeError>("[permute] got {} dimensions {} for a tensor with {} dimensions", dims.size(),
                             dims, self.dim());
  }
  Shape shape;
  Strides st;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < dims.size(); ++i) {
    const int d = normalize_dim(dims[i], self.dim(), "permute");
    if (seen[d]) detail::fail<ShapeError>("[permute] dimension {} appears twice in {}", d, dims);
    seen[d] = true;
    shape.push_back(self.shape()[d]);
    st.push_back(self.strides()[d]);
  }
  return Tensor(self.storage(), shape, st, self.offset(), self.dtype());
}

Tensor slice(const Tensor& self, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  const int d = normalize_dim(dim, self.dim(), "slice");
  if (self.dim() == 0) throw IndexError("[slice] cannot slice a 0-dimensional tensor");
  if (step < 1) detail::fail<ValueError>("[slice] step must be ≥ 1, got {}", step);
  const std::int64_t size = self.shape()[d];
  auto clamp_index = [size](std::int64_t i) {
    if (i < 0) i += size;
    return std::clamp<std::int64_t>(i, 0, size);
  };
  const std::int64_t b = clamp_index(start);
  const std::int64_t e = std::max(b, clamp_index(end));
  Shape new_shape = self.shape();
  Strides new_strides = self.strides();
  new_shape[d] = (e - b + step - 1) / step;
  new_strides[d] = self.strides()[d] * step;
  return Tensor(self.storage(), new_shape, new_strides, self.offset() + b * self.strides()[d], self.dtype());
}

Tensor narrow(const Tensor& self, std::int64_t dim, std::int64_t start, std::int64_t length) {
  const int d = normalize_dim(dim, self.dim(), "narrow");
  if (self.dim() == 0) throw IndexError("[narrow] cannot narrow a 0-dimensional tensor");
  const std::int64_t size = self.shape()[d];
  const std::int64_t s = start < 0 ? start + size : start;
  if (s < 0 || s > size || length < 0 || s + length > size) {
    detail::fail<IndexError>("[narrow] range start {} length {} does not fit dimension {} of size {}",
                             start, length, d, size);
  }
  Shape new_shape = self.shape();
  new_shape[d] = length;
  return Tensor(self.storage(), new_shape, self.strides(), self.offset() + s * self.strides()[d], self.dtype());
}

Tensor select(const Tensor& self, std::int64_t dim, std::int64_t index) {
  if (self.dim() == 0) throw IndexError("[select] cannot index a 0-dimensional tensor");
  const int d = normalize_dim(dim, self.dim(), "select");
  const std::int64_t size = self.shape()[d];
  if (index < -size || index >= size) {
    detail::fail<IndexError>("[select] index {} is out of range for dimension {} of size {}", index, d,
                             size);
  }
  const std::int64_t i = index < 0 ? index + size : index;
  Shape new_shape = self.shape();
  Strides new_strides = self.strides();
  new_shape.erase(d);
  new_strides.erase(d);
  return Tensor(self.storage(), new_shape, new_strides, self.offset() + i * self.strides()[d], self.dtype());
}

Tensor squeeze(const Tensor& self) {
  Shape new_shape;
  Strides new_strides;
  for (int d = 0; d < self.dim(); ++d) {
    if (self.shape()[d] == 1) continue;
    new_shape.push_back(self.shape()[d]);
    new_strides.push_back(self.strides()[d]);
  }
  return Tensor(self.storage(), new_shape, new_strides, self.offset(), self.dtype());
}

Tensor squeeze(const Tensor& self, std::int64_t dim) {
  const int d = normalize_dim(dim, self.dim(), "squeeze");
  if (self.dim() == 0 || self.shape()[d] != 1) return Tensor(self.storage(), self.shape(), self.strides(), self.offset(), self.dtype());
  Shape new_shape = self.shape();
  Strides new_strides = self.strides();
  new_shape.erase(d);
  new_strides.erase(d);
  return Tensor(self.storage(), new_shape, new_strides, self.offset(), self.dtype());
}

Tensor unsqueeze(const Tensor& self, std::int64_t dim) {
  const int d = normalize_dim(dim, self.dim() + 1, "unsqueeze");
  Shape new_shape = self.shape();
  Strides new_strides = self.strides();
  const std::int64_t stride = d < self.dim() ? self.shape()[d] * self.strides()[d] : 1;
  new_shape.insert(d, 1);
  new_strides.insert(d, stride);
  return Tensor(self.storage(), new_shape, new_strides, self.offset(), self.dtype());
}

Tensor expand(const Tensor& self, const Shape& requested) {
  if (requested.size() < self.dim()) {
    detail::fail<ShapeError>("[expand] cannot expand shape {} to {}: the target has fewer dimensions",
                             self.shape(), requested);
  }
  const int lead = requested.size() - self.dim();
  Shape new_shape;
  Strides new_strides;
  for (int d = 0; d < requested.size(); ++d) {
    const std::int64_t want = requested[d];
    if (d < lead) {
      if (want < 0) {
        detail::fail<ShapeError>("[expand] size -1 is not allowed for new leading dimension {} of {}", d,
                                 requested);
      }
      new_shape.push_back(want);
      new_strides.push_back(0);
      continue;
    }
    const std::int64_t have = self.shape()[d - lead];
    if (want == -1 || want == have) {
      new_shape.push_back(have);
      new_strides.push_back(self.strides()[d - lead]);
    } else if (have == 1 && want >= 0) {
      new_shape.push_back(want);
      new_strides.push_back(0);
    } else {
      detail::fail<ShapeError>("[expand] cannot expand shape {} to {}: dimension {} has size {} (only "
                               "size-1 dimensions can be expanded)",
                               self.shape(), requested, d, have);
    }
  }
  return Tensor(self.storage(), new_shape, new_strides, self.offset(), self.dtype());
}

}  // namespace layout

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) { return os << tensor.str(); }

}  // namespace ignis

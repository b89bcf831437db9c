// Tensor metadata and views: everything here rewrites shape, strides and offset only.
#include "ignis/tensor/tensor.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

#include "core/check.hpp"

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

Tensor Tensor::view(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), "view", this->shape());
  const auto new_strides = view_strides(this->shape(), strides(), shape);
  if (!new_strides) {
    detail::fail<ShapeError>("[view] cannot view a tensor of shape {} with strides {} as {} without "
                             "copying; use reshape() or call contiguous() first",
                             this->shape(), strides(), shape);
  }
  return Tensor(storage(), shape, *new_strides, offset(), dtype());
}

Tensor Tensor::reshape(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), "reshape", this->shape());
  if (const auto new_strides = view_strides(this->shape(), strides(), shape)) {
    return Tensor(storage(), shape, *new_strides, offset(), dtype());
  }
  return contiguous().view(shape);
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int s = normalize_dim(start_dim, dim(), "flatten");
  const int e = normalize_dim(end_dim, dim(), "flatten");
  if (s > e) detail::fail<IndexError>("[flatten] start_dim {} comes after end_dim {}", start_dim, end_dim);
  Shape shape;
  for (int d = 0; d < s; ++d) shape.push_back(this->shape()[d]);
  std::int64_t merged = 1;
  for (int d = s; d <= e; ++d) merged *= this->shape()[d];
  shape.push_back(merged);
  for (int d = e + 1; d < dim(); ++d) shape.push_back(this->shape()[d]);
  return reshape(shape);
}

Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  const int a = normalize_dim(dim0, dim(), "transpose");
  const int b = normalize_dim(dim1, dim(), "transpose");
  Shape shape = this->shape();
  Strides st = strides();
  if (dim() > 0) {
    std::swap(shape[a], shape[b]);
    std::swap(st[a], st[b]);
  }
  return Tensor(storage(), shape, st, offset(), dtype());
}

Tensor Tensor::t() const {
  if (dim() > 2) {
    detail::fail<ShapeError>("[t] expects a tensor with at most 2 dimensions, got {} of shape {}; use "
                             "transpose(dim0, dim1) or permute()",
                             dim(), shape());
  }
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const Dims& dims) const {
  if (dims.size() != dim()) {
    detail::fail<ShapeError>("[permute] got {} dimensions {} for a tensor with {} dimensions", dims.size(),
                             dims, dim());
  }
  Shape shape;
  Strides st;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < dims.size(); ++i) {
    const int d = normalize_dim(dims[i], dim(), "permute");
    if (seen[d]) detail::fail<ShapeError>("[permute] dimension {} appears twice in {}", d, dims);
    seen[d] = true;
    shape.push_back(this->shape()[d]);
    st.push_back(strides()[d]);
  }
  return Tensor(storage(), shape, st, offset(), dtype());
}

Tensor Tensor::slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) const {
  const int d = normalize_dim(dim, this->dim(), "slice");
  if (this->dim() == 0) throw IndexError("[slice] cannot slice a 0-dimensional tensor");
  if (step < 1) detail::fail<ValueError>("[slice] step must be ≥ 1, got {}", step);
  const std::int64_t size = shape()[d];
  auto clamp_index = [size](std::int64_t i) {
    if (i < 0) i += size;
    return std::clamp<std::int64_t>(i, 0, size);
  };
  const std::int64_t b = clamp_index(start);
  const std::int64_t e = std::max(b, clamp_index(end));
  Shape new_shape = shape();
  Strides new_strides = strides();
  new_shape[d] = (e - b + step - 1) / step;
  new_strides[d] = strides()[d] * step;
  return Tensor(storage(), new_shape, new_strides, offset() + b * strides()[d], dtype());
}

Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  const int d = normalize_dim(dim, this->dim(), "narrow");
  if (this->dim() == 0) throw IndexError("[narrow] cannot narrow a 0-dimensional tensor");
  const std::int64_t size = shape()[d];
  const std::int64_t s = start < 0 ? start + size : start;
  if (s < 0 || s > size || length < 0 || s + length > size) {
    detail::fail<IndexError>("[narrow] range start {} length {} does not fit dimension {} of size {}",
                             start, length, d, size);
  }
  Shape new_shape = shape();
  new_shape[d] = length;
  return Tensor(storage(), new_shape, strides(), offset() + s * strides()[d], dtype());
}

Tensor Tensor::select(std::int64_t dim, std::int64_t index) const {
  if (this->dim() == 0) throw IndexError("[select] cannot index a 0-dimensional tensor");
  const int d = normalize_dim(dim, this->dim(), "select");
  const std::int64_t size = shape()[d];
  if (index < -size || index >= size) {
    detail::fail<IndexError>("[select] index {} is out of range for dimension {} of size {}", index, d,
                             size);
  }
  const std::int64_t i = index < 0 ? index + size : index;
  Shape new_shape = shape();
  Strides new_strides = strides();
  new_shape.erase(d);
  new_strides.erase(d);
  return Tensor(storage(), new_shape, new_strides, offset() + i * strides()[d], dtype());
}

Tensor Tensor::squeeze() const {
  Shape new_shape;
  Strides new_strides;
  for (int d = 0; d < dim(); ++d) {
    if (shape()[d] == 1) continue;
    new_shape.push_back(shape()[d]);
    new_strides.push_back(strides()[d]);
  }
  return Tensor(storage(), new_shape, new_strides, offset(), dtype());
}

Tensor Tensor::squeeze(std::int64_t dim) const {
  const int d = normalize_dim(dim, this->dim(), "squeeze");
  if (this->dim() == 0 || shape()[d] != 1) return Tensor(storage(), shape(), strides(), offset(), dtype());
  Shape new_shape = shape();
  Strides new_strides = strides();
  new_shape.erase(d);
  new_strides.erase(d);
  return Tensor(storage(), new_shape, new_strides, offset(), dtype());
}

Tensor Tensor::unsqueeze(std::int64_t dim) const {
  const int d = normalize_dim(dim, this->dim() + 1, "unsqueeze");
  Shape new_shape = shape();
  Strides new_strides = strides();
  const std::int64_t stride = d < this->dim() ? shape()[d] * strides()[d] : 1;
  new_shape.insert(d, 1);
  new_strides.insert(d, stride);
  return Tensor(storage(), new_shape, new_strides, offset(), dtype());
}

Tensor Tensor::expand(const Shape& requested) const {
  if (requested.size() < dim()) {
    detail::fail<ShapeError>("[expand] cannot expand shape {} to {}: the target has fewer dimensions",
                             shape(), requested);
  }
  const int lead = requested.size() - dim();
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
    const std::int64_t have = shape()[d - lead];
    if (want == -1 || want == have) {
      new_shape.push_back(have);
      new_strides.push_back(strides()[d - lead]);
    } else if (have == 1 && want >= 0) {
      new_shape.push_back(want);
      new_strides.push_back(0);
    } else {
      detail::fail<ShapeError>("[expand] cannot expand shape {} to {}: dimension {} has size {} (only "
                               "size-1 dimensions can be expanded)",
                               shape(), requested, d, have);
    }
  }
  return Tensor(storage(), new_shape, new_strides, offset(), dtype());
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) { return os << tensor.str(); }

}  // namespace ignis

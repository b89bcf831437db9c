#include "ignis/core/shape.hpp"

#include <algorithm>
#include <ostream>

#include "check.hpp"

namespace ignis {

namespace {
[[noreturn]] void too_many_dims(std::size_t n) {
  detail::fail<ShapeError>("[Shape] {} dimensions requested, but ignis supports at most {}", n,
                           kMaxDims);
}
}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims)
    : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  if (dims.size() > static_cast<std::size_t>(kMaxDims)) too_many_dims(dims.size());
  std::copy(dims.begin(), dims.end(), dims_);
  size_ = static_cast<int>(dims.size());
}

void Shape::push_back(std::int64_t d) {
  if (size_ == kMaxDims) too_many_dims(size_ + 1);
  dims_[size_++] = d;
}

void Shape::insert(int pos, std::int64_t d) {
  if (size_ == kMaxDims) too_many_dims(size_ + 1);
  std::copy_backward(dims_ + pos, dims_ + size_, dims_ + size_ + 1);
  dims_[pos] = d;
  ++size_;
}

void Shape::erase(int pos) {
  std::copy(dims_ + pos + 1, dims_ + size_, dims_ + pos);
  --size_;
}

void Shape::resize(int n, std::int64_t value) {
  if (n > kMaxDims) too_many_dims(n);
  for (int i = size_; i < n; ++i) dims_[i] = value;
  size_ = n;
}

std::string Shape::str() const { return fmt::format("({})", fmt::join(begin(), end(), ", ")); }

bool operator==(const Shape& a, const Shape& b) {
  return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.str(); }

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides;
  strides.resize(shape.size());
  std::int64_t s = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  Shape out;
  out.resize(n);
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i;
    const int ib = b.size() - n + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1;
    const std::int64_t db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      detail::fail<ShapeError>(
          "[{}] shapes {} and {} do not broadcast: dimension {} is {} in one and {} in the other "
          "(sizes must match or one of them must be 1)",
          op, a, b, i - n, da, db);
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int normalize_dim(std::int64_t dim, int ndim, const char* op) {
  const int lo = ndim == 0 ? -1 : -ndim;
  const int hi = ndim == 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi) {
    detail::fail<IndexError>("[{}] dimension {} is out of range for a tensor with {} dimensions "
                             "(expected {} to {})",
                             op, dim, ndim, lo, hi);
  }
  return static_cast<int>(dim < 0 ? dim + std::max(ndim, 1) : dim);
}

}  // namespace ignis

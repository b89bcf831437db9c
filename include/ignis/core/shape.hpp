#pragma once
// Shape: the sizes of a tensor's dimensions, stored inline (no heap) for up to kMaxDims
// dimensions. The same container holds strides (in elements) and lists of dimensions.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace ignis {

/// The most dimensions a tensor may have. Fixed so that shapes and strides travel by value
/// (into CUDA kernels too) without allocation.
inline constexpr int kMaxDims = 8;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  explicit Shape(const std::vector<std::int64_t>& dims) : Shape(std::span<const std::int64_t>(dims)) {}

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::int64_t& operator[](int i) { return dims_[i]; }
  std::int64_t operator[](int i) const { return dims_[i]; }
  std::int64_t* begin() { return dims_; }
  std::int64_t* end() { return dims_ + size_; }
  const std::int64_t* begin() const { return dims_; }
  const std::int64_t* end() const { return dims_ + size_; }
  const std::int64_t* data() const { return dims_; }
  std::int64_t back() const { return dims_[size_ - 1]; }

  /// Appends a dimension; throws ShapeError past kMaxDims.
  void push_back(std::int64_t d);
  void insert(int pos, std::int64_t d);
  void erase(int pos);
  void resize(int n, std::int64_t value = 0);

  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }
  /// "(2, 3)"; "()" for a scalar.
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);

 private:
  std::int64_t dims_[kMaxDims] = {};
  int size_ = 0;
};

using Strides = Shape;
using Dims = Shape;

std::ostream& operator<<(std::ostream& os, const Shape& shape);

/// Product of the sizes (1 for a scalar).
std::int64_t numel(const Shape& shape);

/// Row-major strides, in elements, for a contiguous tensor of this shape.
Strides contiguous_strides(const Shape& shape);

/// NumPy broadcasting of two shapes; throws ShapeError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Whether a reduction keeps the reduced dimensions (as size 1). Shorthand: sum(x, {1}, kKeepDim).
enum class KeepDim : bool { kNo = false, kYes = true };
inline constexpr KeepDim kKeepDim = KeepDim::kYes;

/// Maps a possibly negative dimension into [0, ndim); throws IndexError naming `op`.
int normalize_dim(std::int64_t dim, int ndim, const char* op);

}  // namespace ignis

#pragma once
// Tensor: a typed, strided view of a Storage. Copying a Tensor copies the handle, not the data
// (like torch.Tensor); views share storage with their base.
//
// Contract of the layout: element (i0, ..., in) lives at
//   storage.data() + (offset + i0*stride[0] + ... + in*stride[n]) * item_size(dtype).
// Strides are in elements and may be 0 (expand) but never negative.
//
// Where the methods are defined: metadata accessors and the autograd flags in src/tensor/; the
// views, copies and conversions (which differentiate) in src/autograd/ on top of the raw views of
// ignis/tensor/layout.hpp and the raw copies of src/ops/; backward() in the autograd engine. The
// layer rule governs includes, and every definition sits in the lowest layer that can hold it.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "ignis/core/device.hpp"
#include "ignis/core/dtype.hpp"
#include "ignis/core/error.hpp"
#include "ignis/core/scalar.hpp"
#include "ignis/core/shape.hpp"
#include "ignis/tensor/storage.hpp"

namespace ignis {

namespace autograd {
class Node;
}

/// Shared state of a tensor handle. Views get their own TensorImpl over the same Storage.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::kFloat32;

  // Autograd state (the autograd layer defines Node and gives these fields meaning).
  bool requires_grad = false;                        // leaves: set by the user; others: computed
  std::shared_ptr<autograd::Node> grad_fn;           // the node that produced this tensor, or null
  std::shared_ptr<TensorImpl> grad;                  // accumulated gradient of a leaf, or null
  std::weak_ptr<autograd::Node> grad_accumulator;   // a leaf's AccumulateGrad node, while in a graph
};

/// Options of Tensor::backward.
struct BackwardOptions {
  /// Keep the graph's saved tensors so that backward can run through it again.
  bool retain_graph = false;
};

class Tensor {
 public:
  /// An undefined tensor; every operation on it throws ValueError.
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
         std::int64_t offset, DType dtype);
  /// A handle on an existing TensorImpl (used by the autograd layer).
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  /// True when both handles refer to the same TensorImpl (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // --- metadata -------------------------------------------------------------------------------
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  int dim() const { return impl().shape.size(); }
  /// Size of one dimension; negative dims count from the end.
  std::int64_t size(std::int64_t dim) const;
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t numel() const { return ignis::numel(impl().shape); }
  std::int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  std::size_t item_size() const { return ignis::item_size(dtype()); }
  /// Row-major contiguous (size-1 dimensions may have any stride).
  bool is_contiguous() const;

  /// Address of the first element (storage data + offset).
  void* data_ptr() const;
  /// Typed address of the first element; throws DTypeError if T does not match dtype().
  template <class T>
  T* data_ptr() const {
    check_dtype(dtype_of<T>, "data_ptr");
    return static_cast<T*>(data_ptr());
  }

  /// The shared state (for the autograd layer and the backends).
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // --- autograd --------------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf tensor as needing gradients (floating point only; ValueError on a tensor that
  /// an operation produced, DTypeError on other dtypes). Returns *this.
  Tensor& requires_grad_(bool required = true);
  /// The gradient accumulated by backward() (undefined until then, or after zero_grad).
  Tensor grad() const;
  /// Replaces the gradient (an undefined tensor clears it).
  void set_grad(const Tensor& grad);
  /// True for tensors no differentiable operation produced (user-made tensors, parameters).
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  /// The node that produced this tensor in the graph, or null.
  autograd::Node* grad_fn() const { return impl().grad_fn.get(); }
  /// The same data, cut off from the graph (shares storage, requires no gradient).
  Tensor detach() const;
  /// Computes gradients of this tensor with respect to every leaf that requires them and adds
  /// them to the leaves' grad(). A scalar needs no `gradient`; otherwise pass d(out)/d(this).
  /// Throws ValueError when run twice through a graph whose saved tensors were freed.
  void backward(const Tensor& gradient = Tensor(), BackwardOptions options = {}) const;
  /// Replaces this tensor's data, shape and dtype with other's (same TensorImpl, so every handle,
  /// e.g. an optimizer's, sees the change). Used by Module::to.
  void set_data(const Tensor& other) const;

  // --- views (share storage) ------------------------------------------------------------------
  /// Same data, new shape (one size may be -1); throws ShapeError when the strides do not allow
  /// it without a copy (use reshape).
  Tensor view(const Shape& shape) const;
  /// view() when possible, otherwise a contiguous copy with the new shape.
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  /// Transpose of a tensor with at most 2 dimensions.
  Tensor t() const;
  Tensor permute(const Dims& dims) const;
  /// Elements start, start+step, ... below end along dim (Python slicing: negative indices count
  /// from the end, out-of-range bounds are clamped); step ≥ 1.
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  /// length elements from start along dim; the range must lie inside the dimension.
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  /// Removes dim by taking one index along it.
  Tensor select(std::int64_t dim, std::int64_t index) const;
  /// Removes all size-1 dimensions.
  Tensor squeeze() const;
  /// Removes dim if its size is 1 (otherwise returns the same view, like PyTorch).
  Tensor squeeze(std::int64_t dim) const;
  Tensor unsqueeze(std::int64_t dim) const;
  /// Broadcasts size-1 dimensions (stride 0) to the given sizes; -1 keeps a size.
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }

  // --- copies and conversion (defined in src/ops/) -------------------------------------------
  /// This tensor if already contiguous, otherwise a contiguous copy.
  Tensor contiguous() const;
  /// A contiguous copy with its own storage.
  Tensor clone() const;
  /// This tensor if already on `device`, otherwise a copy there. "cuda" resolves to the current
  /// CUDA device.
  Tensor to(Device device) const;
  /// This tensor if already of `dtype`, otherwise a converted copy (C++ conversion rules;
  /// floats to integers truncate toward zero).
  Tensor to(DType dtype) const;
  Tensor to(Device device, DType dtype) const { return to(device).to(dtype); }
  Tensor cpu() const { return to(Device::cpu()); }
  /// A copy of this CPU tensor in page-locked host memory (torch's pin_memory): copies between
  /// it and a GPU run by DMA, about twice as fast as from ordinary memory. Needs CUDA
  /// (BackendUnavailableError with the reason otherwise); a pinned tensor is returned as is.
  Tensor pin_memory() const;
  /// Whether this is a CPU tensor in page-locked memory (always false without CUDA).
  bool is_pinned() const;
  /// Writes value into every element (through views, too).
  Tensor& fill_(const Scalar& value);
  Tensor& zero_() { return fill_(0); }
  /// Copies src into this tensor: src must broadcast to this shape; dtype and device convert.
  Tensor& copy_(const Tensor& src);

  /// The value of a one-element tensor (copied to the host if needed).
  Scalar item() const;
  template <class T>
  T item() const {
    return item().to<T>();
  }
  /// One element, by index (negative indices count from the end); meant for tests and tools.
  template <class T>
  T at(std::initializer_list<std::int64_t> index) const {
    return element(index).to<T>();
  }
  Scalar element(std::initializer_list<std::int64_t> index) const;
  /// All elements in row-major order, converted to T and copied to the host.
  template <class T>
  std::vector<T> to_vector() const {
    const Tensor host = detach().to(Device::cpu()).to(dtype_of<T>).contiguous();
    const T* p = host.data_ptr<T>();
    return std::vector<T>(p, p + host.numel());
  }

  // --- method forms of common ops (the free functions, differentiable) ----------------------
  Tensor sum() const;
  Tensor sum(const Dims& dims, KeepDim keep = KeepDim::kNo) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, KeepDim keep = KeepDim::kNo) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(std::int64_t dim, KeepDim keep = KeepDim::kNo) const;
  Tensor abs() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor relu() const;
  Tensor pow(const Scalar& exponent) const;
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(std::int64_t dim) const;
  Tensor log_softmax(std::int64_t dim) const;

  /// PyTorch-style text: "tensor([[1., 2.], [3., 4.]], dtype=float64)".
  std::string str() const;

 private:
  const TensorImpl& impl() const {
    if (impl_ == nullptr) throw_undefined();
    return *impl_;
  }
  [[noreturn]] static void throw_undefined();
  void check_dtype(DType expected, const char* op) const;

  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

}  // namespace ignis

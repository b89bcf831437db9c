// matmul and linear: shape rules here, GEMM in the backend.
#include "ignis/ops/linalg.hpp"

#include "ignis/ops/elementwise.hpp"
#include "op_utils.hpp"

namespace ignis::ops {

using namespace ops_detail;

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined(a, "matmul", "first operand");
  check_defined(b, "matmul", "second operand");
  check_same_device("matmul", a, b);
  if (a.dim() == 0 || b.dim() == 0) {
    detail::fail<ShapeError>("[matmul] both operands need at least 1 dimension, got shapes {} and {}",
                             a.shape(), b.shape());
  }
  const DType dtype = result_type(a, b);
  if (dtype == DType::kBool) throw DTypeError("[matmul] bool matrices are not supported; convert first");
  const Tensor a2 = a.dim() == 1 ? layout::unsqueeze(to(a, dtype), 0) : to(a, dtype);
  const Tensor b2 = b.dim() == 1 ? layout::unsqueeze(to(b, dtype), -1) : to(b, dtype);
  const std::int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  if (b2.size(-2) != k) {
    detail::fail<ShapeError>("[matmul] inner dimensions differ: {} x {} ({} vs {})", a.shape(), b.shape(), k,
                             b2.size(-2));
  }
  const Shape batch_a(std::span<const std::int64_t>(a2.shape().begin(), a2.dim() - 2));
  const Shape batch_b(std::span<const std::int64_t>(b2.shape().begin(), b2.dim() - 2));
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  const std::int64_t batch_count = numel(batch);

  auto as_3d = [&](const Tensor& t, std::int64_t rows, std::int64_t cols) {
    Shape full = batch;
    full.push_back(rows);
    full.push_back(cols);
    return reshape(layout::expand(t, full), {batch_count, rows, cols});
  };
  Tensor out = new_tensor({batch_count, m, n}, dtype, a.device());
  backend_of(out).matmul(as_3d(a2, m, k), as_3d(b2, k, n), out, {});

  Shape result = batch;
  if (a.dim() > 1) result.push_back(m);
  if (b.dim() > 1) result.push_back(n);
  return layout::view(out, result);
}

Tensor linear(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias) {
  check_defined(x, "linear", "input");
  check_defined(weight, "linear", "weight");
  if (weight.device() != x.device()) {
    detail::fail<DeviceError>("[linear] weight is on {} but input is on {}; move both to one device with "
                              ".to(device)",
                              weight.device(), x.device());
  }
  if (weight.dim() != 2) {
    detail::fail<ShapeError>("[linear] weight must be 2-D (out_features, in_features), got shape {}",
                             weight.shape());
  }
  if (x.dim() == 0 || x.size(-1) != weight.size(1)) {
    detail::fail<ShapeError>("[linear] input has {} features (shape {}) but the weight expects {} (weight "
                             "shape {})",
                             x.dim() == 0 ? 0 : x.size(-1), x.shape(), weight.size(1), weight.shape());
  }
  if (x.dtype() != weight.dtype()) {
    detail::fail<DTypeError>("[linear] input is {} but weight is {}; convert one with .to(dtype)", x.dtype(),
                             weight.dtype());
  }
  const std::int64_t in = weight.size(1), out_features = weight.size(0);
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = out_features;
  const Tensor x2 = reshape(x, {-1, in});
  Tensor out = new_tensor({x2.size(0), out_features}, x.dtype(), x.device());
  backend::MatmulOptions options;
  if (bias) {
    check_defined(*bias, "linear", "bias");
    if (bias->device() != x.device()) {
      detail::fail<DeviceError>("[linear] bias is on {} but input is on {}; move both to one device",
                                bias->device(), x.device());
    }
    if (bias->dim() != 1 || bias->size(0) != out_features) {
      detail::fail<ShapeError>("[linear] bias must have shape ({}), got {}", out_features, bias->shape());
    }
    // Start from the broadcast bias and let the GEMM accumulate into it (beta = 1).
    backend_of(out).copy(layout::expand(to(*bias, x.dtype()), out.shape()), out);
    options.beta = 1.0;
  }
  backend_of(out).matmul(layout::unsqueeze(x2, 0), layout::unsqueeze(layout::t(weight), 0),
                         layout::unsqueeze(out, 0), options);
  return layout::view(out, out_shape);
}

}  // namespace ignis::ops

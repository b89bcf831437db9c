// Tensor factories (declared in ignis/tensor/factories.hpp).
#include "ignis/tensor/factories.hpp"

#include <cmath>
#include <cstring>

#include "kernels/philox.hpp"
#include "op_utils.hpp"

namespace ignis {

using namespace ops_detail;

namespace {

void check_shape(const Shape& shape, const char* op) {
  for (std::int64_t d : shape) {
    if (d < 0) detail::fail<ShapeError>("[{}] sizes must be ≥ 0, got {}", op, shape);
  }
}

DType floating_dtype(const TensorOptions& options, const char* op) {
  const DType dtype = options.dtype.value_or(DType::kFloat32);
  if (!is_floating_point(dtype) || !is_supported(dtype)) {
    detail::fail<DTypeError>("[{}] needs a floating-point dtype (float32 or float64), got {}", op, dtype);
  }
  return dtype;
}

Tensor random_tensor(const Shape& shape, DType dtype, Device device, backend::RandomOp op,
                     const backend::RandomParams& params, Generator* generator) {
  Tensor out = empty(shape, {.dtype = dtype, .device = device});
  const std::int64_t per = kernels::values_per_block(op, dtype == DType::kFloat64);
  const auto blocks = static_cast<std::uint64_t>((out.numel() + per - 1) / per);
  Generator& gen = generator ? *generator : default_generator();
  backend_of(out).random(op, params, gen.reserve(blocks), out);
  return out;
}

/// Fills t (any layout) with values from a fresh contiguous random tensor.
Tensor& random_fill(Tensor& t, backend::RandomOp op, const backend::RandomParams& params,
                    Generator* generator, const char* name) {
  check_defined(t, name);
  floating_dtype({.dtype = t.dtype()}, name);
  const Tensor values = random_tensor(t.shape(), t.dtype(), t.device(), op, params, generator);
  if (t.is_contiguous()) {
    backend_of(t).copy(values, t);
  } else {
    t.copy_(values);
  }
  return t;
}

}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  check_shape(shape, "empty");
  const DType dtype = options.dtype.value_or(DType::kFloat32);
  if (!is_supported(dtype)) throw_unsupported_dtype(dtype, "empty");
  const auto nbytes = static_cast<std::size_t>(numel(shape)) * item_size(dtype);
  Allocator& allocator = backend::for_device(options.device).allocator(options.device);
  auto storage = std::make_shared<Storage>(allocator.allocate(nbytes), nbytes);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  if (!options.dtype) options.dtype = DType::kFloat32;
  return full(shape, 0, options);
}

Tensor ones(const Shape& shape, TensorOptions options) {
  if (!options.dtype) options.dtype = DType::kFloat32;
  return full(shape, 1, options);
}

Tensor full(const Shape& shape, const Scalar& value, TensorOptions options) {
  if (!options.dtype) options.dtype = value.default_dtype();
  Tensor t = empty(shape, options);
  t.fill_(value);
  return t;
}

Tensor arange(const Scalar& end, TensorOptions options) { return arange(0, end, 1, options); }

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options) {
  const bool integral = !start.is_floating_point() && !end.is_floating_point() && !step.is_floating_point();
  const DType dtype = options.dtype.value_or(integral ? DType::kInt64 : DType::kFloat32);
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  if (st == 0) throw ValueError("[arange] step must not be zero");
  if (!std::isfinite(s) || !std::isfinite(e) || !std::isfinite(st)) {
    detail::fail<ValueError>("[arange] bounds and step must be finite, got start {} end {} step {}", start,
                             end, step);
  }
  if ((e - s) / st < 0) {
    detail::fail<ValueError>("[arange] step {} moves away from end: start {} end {}", step, start, end);
  }
  std::int64_t count;
  if (integral) {
    const std::int64_t is = start.to<std::int64_t>(), ie = end.to<std::int64_t>(), ist = step.to<std::int64_t>();
    count = ist > 0 ? (ie - is + ist - 1) / ist : (is - ie - ist - 1) / -ist;
  } else {
    count = static_cast<std::int64_t>(std::ceil((e - s) / st));
  }
  Tensor out = empty({count}, {.dtype = dtype, .device = options.device});
  backend::GenerateParams p;
  p.start = s;
  p.step = st;
  p.istart = start.to<std::int64_t>();
  p.istep = step.to<std::int64_t>();
  if (count > 0) backend_of(out).generate(backend::GenerateOp::kArange, p, out);
  return out;
}

Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options) {
  if (steps < 0) detail::fail<ValueError>("[linspace] steps must be ≥ 0, got {}", steps);
  const DType dtype = options.dtype.value_or(DType::kFloat32);
  Tensor out = empty({steps}, {.dtype = dtype, .device = options.device});
  backend::GenerateParams p;
  p.start = start;
  p.end = steps == 1 ? start : end;  // a single value is start, as in PyTorch
  p.steps = steps;
  p.step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  if (steps > 0) backend_of(out).generate(backend::GenerateOp::kLinspace, p, out);
  return out;
}

Tensor eye(std::int64_t n, TensorOptions options) { return eye(n, n, options); }

Tensor eye(std::int64_t n, std::int64_t m, TensorOptions options) {
  if (n < 0 || m < 0) detail::fail<ValueError>("[eye] sizes must be ≥ 0, got {} x {}", n, m);
  Tensor out = empty({n, m}, options);
  backend::GenerateParams p;
  p.cols = m;
  if (out.numel() > 0) backend_of(out).generate(backend::GenerateOp::kEye, p, out);
  return out;
}

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  check_shape(shape, "rand");
  return random_tensor(shape, floating_dtype(options, "rand"), options.device, backend::RandomOp::kUniform,
                       {.a = 0.0, .b = 1.0}, generator);
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  check_shape(shape, "randn");
  return random_tensor(shape, floating_dtype(options, "randn"), options.device, backend::RandomOp::kNormal,
                       {.a = 0.0, .b = 1.0}, generator);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  check_shape(shape, "randint");
  if (high <= low) detail::fail<ValueError>("[randint] needs low < high, got [{}, {})", low, high);
  const DType dtype = options.dtype.value_or(DType::kInt64);
  if (dtype == DType::kBool) throw DTypeError("[randint] cannot produce bool tensors");
  backend::RandomParams p;
  p.ia = low;
  p.ib = high;
  return random_tensor(shape, dtype, options.device, backend::RandomOp::kRandint, p, generator);
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* generator) {
  if (!(low <= high)) detail::fail<ValueError>("[uniform_] needs low ≤ high, got [{}, {})", low, high);
  return random_fill(t, backend::RandomOp::kUniform, {.a = low, .b = high}, generator, "uniform_");
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* generator) {
  if (!(std >= 0)) detail::fail<ValueError>("[normal_] std must be ≥ 0, got {}", std);
  return random_fill(t, backend::RandomOp::kNormal, {.a = mean, .b = std}, generator, "normal_");
}

Tensor empty_like(const Tensor& t, std::optional<TensorOptions> options) {
  check_defined(t, "empty_like");
  TensorOptions o = options.value_or(TensorOptions{.dtype = t.dtype(), .device = t.device()});
  if (!o.dtype) o.dtype = t.dtype();
  return empty(t.shape(), o);
}

Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> options) {
  return empty_like(t, options).fill_(0);
}

Tensor ones_like(const Tensor& t, std::optional<TensorOptions> options) {
  return empty_like(t, options).fill_(1);
}

Tensor full_like(const Tensor& t, const Scalar& value, std::optional<TensorOptions> options) {
  return empty_like(t, options).fill_(value);
}

Tensor rand_like(const Tensor& t, Generator* generator) {
  check_defined(t, "rand_like");
  return rand(t.shape(), {.dtype = t.dtype(), .device = t.device()}, generator);
}

Tensor randn_like(const Tensor& t, Generator* generator) {
  check_defined(t, "randn_like");
  return randn(t.shape(), {.dtype = t.dtype(), .device = t.device()}, generator);
}

namespace detail {

Tensor tensor_from_host(const void* data, DType dtype, const Shape& shape, TensorOptions options) {
  Tensor host = empty(shape, {.dtype = dtype});
  if (host.numel() > 0) {
    std::memcpy(host.data_ptr(), data, static_cast<std::size_t>(host.numel()) * item_size(dtype));
  }
  return ops::to(ops::to(host, options.dtype.value_or(dtype)), options.device);
}

void throw_ragged_literal(std::size_t expected, std::size_t got) {
  fail<ValueError>("[tensor] expected {} values but got {}: nested lists must be rectangular and "
                   "values must match the shape",
                   expected, got);
}

}  // namespace detail

}  // namespace ignis

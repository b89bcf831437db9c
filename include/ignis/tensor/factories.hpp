#pragma once
// Functions that make new tensors. dtype defaults follow PyTorch: float32 for floating-point
// factories, int64 for integer ranges and randint, the scalar's kind for full().
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <vector>

#include "ignis/core/device.hpp"
#include "ignis/core/dtype.hpp"
#include "ignis/core/scalar.hpp"
#include "ignis/core/shape.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

/// Where and of what type a new tensor is: zeros({2, 3}, {.dtype = kFloat64, .device = dev}).
struct TensorOptions {
  std::optional<DType> dtype;  // empty: the factory's default
  Device device = Device::cpu();
};

/// Uninitialised memory.
Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
/// Every element equal to value; the dtype defaults to the scalar's (bool, int64 or float32).
Tensor full(const Shape& shape, const Scalar& value, TensorOptions options = {});

/// start, start+step, ... below end. int64 when all arguments are integers, else float32.
Tensor arange(const Scalar& end, TensorOptions options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1,
              TensorOptions options = {});
/// steps values evenly spaced from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, TensorOptions options = {});
/// n x m identity (m = n when omitted).
Tensor eye(std::int64_t n, TensorOptions options = {});
Tensor eye(std::int64_t n, std::int64_t m, TensorOptions options = {});

/// Uniform on [0, 1). Floating-point dtypes only.
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
/// Standard normal.
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
/// Integers uniform on [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options = {},
               Generator* generator = nullptr);
/// In place: uniform on [low, high) / normal(mean, std). Return the tensor.
Tensor& uniform_(Tensor& t, double low, double high, Generator* generator = nullptr);
Tensor& normal_(Tensor& t, double mean, double std, Generator* generator = nullptr);

/// Copies host values into a new tensor of the given shape (numel must match). The dtype
/// defaults to T's; options.dtype converts.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options = {});

/// Literal tensors: tensor({1.0, 2.0}) is float32, tensor({1, 2}) int64, tensor({{1, 2}, {3, 4}})
/// 2-D. Nested lists must be rectangular (ValueError otherwise).
template <class T>
Tensor tensor(std::initializer_list<T> values, TensorOptions options = {});
template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> values, TensorOptions options = {});
template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> values,
              TensorOptions options = {});

/// Same shape, dtype and device as t unless options say otherwise.
Tensor empty_like(const Tensor& t, std::optional<TensorOptions> options = {});
Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> options = {});
Tensor ones_like(const Tensor& t, std::optional<TensorOptions> options = {});
Tensor full_like(const Tensor& t, const Scalar& value, std::optional<TensorOptions> options = {});
Tensor rand_like(const Tensor& t, Generator* generator = nullptr);
Tensor randn_like(const Tensor& t, Generator* generator = nullptr);

// --- implementation of the templates ----------------------------------------------------------
namespace detail {
/// Copies n host values of `dtype` from `data` into a new tensor (then converts/moves it).
Tensor tensor_from_host(const void* data, DType dtype, const Shape& shape, TensorOptions options);
template <class T>
struct LiteralType {
  // Literal ints become int64 and literal floats float32 (PyTorch's defaults).
  using type = std::conditional_t<std::is_same_v<T, bool>, bool,
                                  std::conditional_t<std::is_integral_v<T>, std::int64_t, double>>;
};
template <class T>
DType literal_dtype() {
  if constexpr (std::is_same_v<T, bool>) {
    return DType::kBool;
  } else if constexpr (std::is_integral_v<T>) {
    return DType::kInt64;
  } else if constexpr (std::is_same_v<T, double>) {
    return DType::kFloat32;  // a literal 1.5 means the default float type, as in PyTorch
  } else {
    return dtype_of<T>;
  }
}
[[noreturn]] void throw_ragged_literal(std::size_t expected, std::size_t got);
}  // namespace detail

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  if (static_cast<std::int64_t>(values.size()) != numel(shape)) {
    detail::throw_ragged_literal(static_cast<std::size_t>(numel(shape)), values.size());
  }
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: unpack to bytes
    const std::vector<std::uint8_t> bytes(values.begin(), values.end());
    return detail::tensor_from_host(bytes.data(), DType::kBool, shape, options);
  } else {
    return detail::tensor_from_host(values.data(), dtype_of<T>, shape, options);
  }
}

template <class T>
Tensor tensor(std::initializer_list<T> values, TensorOptions options) {
  using L = typename detail::LiteralType<T>::type;
  std::vector<L> flat(values.begin(), values.end());
  if (!options.dtype) options.dtype = detail::literal_dtype<T>();
  return from_vector(flat, Shape{static_cast<std::int64_t>(values.size())}, options);
}

template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> values, TensorOptions options) {
  using L = typename detail::LiteralType<T>::type;
  std::vector<L> flat;
  const std::size_t cols = values.size() ? values.begin()->size() : 0;
  for (const auto& row : values) {
    if (row.size() != cols) detail::throw_ragged_literal(cols, row.size());
    flat.insert(flat.end(), row.begin(), row.end());
  }
  if (!options.dtype) options.dtype = detail::literal_dtype<T>();
  return from_vector(
      flat, Shape{static_cast<std::int64_t>(values.size()), static_cast<std::int64_t>(cols)},
      options);
}

template <class T>
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> values,
              TensorOptions options) {
  using L = typename detail::LiteralType<T>::type;
  std::vector<L> flat;
  const std::size_t rows = values.size() ? values.begin()->size() : 0;
  const std::size_t cols = rows ? values.begin()->begin()->size() : 0;
  for (const auto& plane : values) {
    if (plane.size() != rows) detail::throw_ragged_literal(rows, plane.size());
    for (const auto& row : plane) {
      if (row.size() != cols) detail::throw_ragged_literal(cols, row.size());
      flat.insert(flat.end(), row.begin(), row.end());
    }
  }
  if (!options.dtype) options.dtype = detail::literal_dtype<T>();
  return from_vector(flat,
                     Shape{static_cast<std::int64_t>(values.size()),
                           static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)},
                     options);
}

}  // namespace ignis

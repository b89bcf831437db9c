#pragma once
// Internal helpers to build error messages with fmt and throw the typed ignis exceptions.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <utility>

#include "ignis/core/device.hpp"
#include "ignis/core/dtype.hpp"
#include "ignis/core/error.hpp"
#include "ignis/core/scalar.hpp"
#include "ignis/core/shape.hpp"

template <>
struct fmt::formatter<ignis::Shape> : fmt::ostream_formatter {};
template <>
struct fmt::formatter<ignis::DType> : fmt::ostream_formatter {};
template <>
struct fmt::formatter<ignis::Device> : fmt::ostream_formatter {};
template <>
struct fmt::formatter<ignis::Scalar> : fmt::ostream_formatter {};

namespace ignis::detail {

/// Throws E with a message formatted by fmt: fail<ShapeError>("[{}] bad {}", op, shape).
template <class E, class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw E(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ignis::detail

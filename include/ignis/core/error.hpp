#pragma once
// The ignis error hierarchy. Library code throws these and never exits. A message names the
// operation in brackets, what was wrong, the values involved, and what to do, e.g.
//   [matmul] inner dimensions differ: (32, 64) x (63, 10)
#include <memory>
#include <stdexcept>
#include <string>

#include "ignis/core/memory_report.hpp"

namespace ignis {

/// Base of every ignis exception; catch this to handle any ignis failure.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Shapes that do not fit the operation (broadcasting, matmul dimensions, view sizes).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A dtype the operation does not support, or operands whose dtypes cannot be combined.
class DTypeError : public Error {
 public:
  using Error::Error;
};

/// Operands on different devices, or a device string that does not parse.
class DeviceError : public Error {
 public:
  using Error::Error;
};

/// An index or dimension outside its valid range.
class IndexError : public Error {
 public:
  using Error::Error;
};

/// An argument with an invalid value (negative size, zero step, undefined tensor, ...).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An allocation that could not be satisfied; the message gives the figures, and report() the
/// same figures as numbers (null when the thrower had none).
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
  OutOfMemoryError(const std::string& message, const MemoryReport& report)
      : Error(message), report_(std::make_shared<const MemoryReport>(report)) {}
  const MemoryReport* report() const noexcept { return report_.get(); }

 private:
  std::shared_ptr<const MemoryReport> report_;  // shared: copying an exception must not throw
};

/// A failed CUDA runtime/driver/library call; the message names the call and the error code.
class CudaError : public Error {
 public:
  using Error::Error;
};

/// A backend (CUDA) that is not built, not loadable, or has no usable device; says why.
class BackendUnavailableError : public Error {
 public:
  using Error::Error;
};

/// A file whose contents do not follow its format; the message gives the path and offset.
class FormatError : public Error {
 public:
  using Error::Error;
};

}  // namespace ignis

#include "support/reference.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <unistd.h>
#include <sstream>

namespace ignis::testing {

std::vector<double> values_of(const Tensor& tensor) {
  const Tensor t = tensor.device().is_cpu() ? tensor : tensor.cpu();
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(t.numel()));
  if (t.numel() == 0) return out;
  const char* base = static_cast<const char*>(t.storage()->data());
  for_each_index(t.shape(), [&](const std::vector<std::int64_t>& idx, std::int64_t) {
    std::int64_t off = t.offset();
    for (int d = 0; d < t.dim(); ++d) off += idx[static_cast<std::size_t>(d)] * t.stride(d);
    const char* p = base + off * static_cast<std::int64_t>(t.item_size());
    out.push_back(visit_dtype(t.dtype(), "values_of", [&](auto tag) {
      using T = typename decltype(tag)::type;
      return static_cast<double>(*reinterpret_cast<const T*>(p));
    }));
  });
  return out;
}

void for_each_index(const Shape& shape,
                    const std::function<void(const std::vector<std::int64_t>&, std::int64_t)>& f) {
  const std::int64_t n = numel(shape);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(shape.size()), 0);
  for (std::int64_t linear = 0; linear < n; ++linear) {
    f(idx, linear);
    for (int d = shape.size() - 1; d >= 0; --d) {
      if (++idx[static_cast<std::size_t>(d)] < shape[d]) break;
      idx[static_cast<std::size_t>(d)] = 0;
    }
  }
}

double broadcast_value(const Tensor& t, const std::vector<double>& values,
                       const std::vector<std::int64_t>& index) {
  const int lead = static_cast<int>(index.size()) - t.dim();
  std::int64_t linear = 0;
  for (int d = 0; d < t.dim(); ++d) {
    const std::int64_t i = t.size(d) == 1 ? 0 : index[static_cast<std::size_t>(d + lead)];
    linear = linear * t.size(d) + i;
  }
  return values[static_cast<std::size_t>(linear)];
}

::testing::AssertionResult all_close(const Tensor& actual, const Shape& shape,
                                     const std::vector<double>& expected, double rtol, double atol) {
  if (actual.shape() != shape) {
    return ::testing::AssertionFailure() << "shape " << actual.shape() << ", expected " << shape;
  }
  const std::vector<double> got = values_of(actual);
  if (got.size() != expected.size()) {
    return ::testing::AssertionFailure() << got.size() << " values, expected " << expected.size();
  }
  std::ostringstream bad;
  int mismatches = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double a = got[i], e = expected[i];
    bool ok;
    if (std::isnan(e)) {
      ok = std::isnan(a);
    } else if (std::isinf(e)) {
      ok = a == e;
    } else {
      ok = std::abs(a - e) <= atol + rtol * std::abs(e);
    }
    if (!ok && mismatches++ < 5) bad << fmt::format("\n  [{}] got {:.10g}, expected {:.10g}", i, a, e);
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << mismatches << " of " << got.size() << " values differ (rtol "
                                       << rtol << ", atol " << atol << "):" << bad.str();
}

Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return {1e-5, 1e-6};
    case DType::kFloat64:
      return {1e-12, 1e-14};
    default:
      return {0.0, 0.0};
  }
}

std::string name(Layout layout) {
  switch (layout) {
    case Layout::kContiguous:
      return "contiguous";
    case Layout::kTransposed:
      return "transposed";
    case Layout::kStrided:
      return "strided";
    case Layout::kOffset:
      break;
  }
  return "offset";
}

Tensor random_tensor(const Shape& shape, DType dtype, Layout layout, double lo, double hi,
                     std::uint64_t seed, Device device) {
  Generator gen(seed);
  auto make = [&](const Shape& s) {
    Tensor u = rand(s, {.dtype = DType::kFloat64}, &gen) * (hi - lo) + lo;
    if (!is_floating_point(dtype)) u = u.to(DType::kInt64).to(DType::kFloat64);  // whole numbers
    return u.to(dtype).to(device);
  };
  const int nd = shape.size();
  switch (layout) {
    case Layout::kContiguous:
      break;
    case Layout::kTransposed: {
      if (nd < 2) break;
      Shape reversed;
      for (int d = nd - 1; d >= 0; --d) reversed.push_back(shape[d]);
      Dims back;
      for (int d = nd - 1; d >= 0; --d) back.push_back(d);
      return make(reversed).permute(back);
    }
    case Layout::kStrided: {
      if (nd < 1) break;
      Shape wide = shape;
      wide[nd - 1] = 2 * shape[nd - 1];
      return make(wide).slice(nd - 1, 0, wide[nd - 1], 2);
    }
    case Layout::kOffset: {
      if (nd < 1) break;
      Shape tall = shape;
      tall[0] = shape[0] + 3;
      return make(tall).narrow(0, 2, shape[0]);
    }
  }
  return make(shape);
}

std::vector<Shape> standard_shapes() {
  return {Shape{}, Shape{0}, Shape{1}, Shape{7}, Shape{3, 1, 5}, Shape{4, 33}, Shape{2, 3, 4, 5},
          Shape{0, 3}, Shape{257, 301}};
}

std::filesystem::path unique_temp_path(const std::string& stem, const std::string& extension) {
  return std::filesystem::temp_directory_path() / fmt::format("{}_{}{}", stem, ::getpid(), extension);
}

std::vector<Device> test_devices() { return {Device::cpu(), Device::cuda(0)}; }

namespace {
// scripts/gpu-check sets IGNIS_REQUIRE_CUDA=1 on a GPU machine: there, a CUDA case that would
// skip is a failure.
bool cuda_required() {
  const char* required = std::getenv("IGNIS_REQUIRE_CUDA");
  return required != nullptr && required[0] == '1';
}
}  // namespace

std::string device_skip_reason(Device device) {
  if (device.is_cpu()) return "";
  const auto status = diag::cuda_backend_status();
  if (status.available) return "";
  if (cuda_required()) ADD_FAILURE() << "IGNIS_REQUIRE_CUDA=1 but CUDA is not usable: " << status.reason;
  return "no usable CUDA device: " + status.reason;
}

std::string op_skip_reason(Device device, const std::string& why) {
  const std::string reason = fmt::format("cannot run on {}: {}", device.str(), why);
  if (device.is_cpu()) {
    ADD_FAILURE() << "the CPU must run every case, but it " << reason;
  } else if (cuda_required()) {
    ADD_FAILURE() << "IGNIS_REQUIRE_CUDA=1 but this case " << reason;
  }
  return reason;
}

std::string device_name(const ::testing::TestParamInfo<Device>& info) {
  return info.param.is_cpu() ? "cpu" : "cuda" + std::to_string(std::max(info.param.index(), 0));
}

}  // namespace ignis::testing

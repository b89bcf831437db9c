#pragma once
// Test support: plain double-precision references that read tensors element by element through
// their own strides (independent of the library's copy kernels), layout variants of inputs,
// tolerance checks of the form |a - b| <= atol + rtol * |ref|, and the device parameterisation.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ignis/ignis.hpp"

namespace ignis::testing {

/// The values of a tensor as doubles in row-major order, read directly from storage. CUDA
/// tensors are first copied to the host.
std::vector<double> values_of(const Tensor& t);

/// Calls f(index, linear) for every multi-index of shape in row-major order.
void for_each_index(const Shape& shape,
                    const std::function<void(const std::vector<std::int64_t>&, std::int64_t)>& f);

/// The value of `t` at the broadcast multi-index `index` of a larger shape.
double broadcast_value(const Tensor& t, const std::vector<double>& values,
                       const std::vector<std::int64_t>& index);

/// Checks shape and every value: |actual - expected| <= atol + rtol * |expected|; NaN matches
/// NaN and infinities must match exactly. Reports the first mismatches.
::testing::AssertionResult all_close(const Tensor& actual, const Shape& shape,
                                     const std::vector<double>& expected, double rtol, double atol);

/// Tolerances for results computed in `dtype` (exact for integers).
struct Tolerance {
  double rtol, atol;
};
Tolerance tolerance_for(DType dtype);

/// A tensor of `shape` holding random values in [lo, hi) (integers: whole numbers in that
/// range), stored in one of several layouts with the same logical values.
enum class Layout { kContiguous, kTransposed, kStrided, kOffset };
std::string name(Layout layout);
Tensor random_tensor(const Shape& shape, DType dtype, Layout layout, double lo, double hi,
                     std::uint64_t seed, Device device = Device::cpu());
inline constexpr Layout kAllLayouts[] = {Layout::kContiguous, Layout::kTransposed, Layout::kStrided,
                                         Layout::kOffset};

/// Shapes every elementwise/reduction test covers: scalar, empty, size-1 dims, odd sizes, a
/// 4-D shape, and one large enough for the multi-threaded path.
std::vector<Shape> standard_shapes();

/// A path in the temporary directory unique to this process (stem_<pid><extension>): test
/// programs run concurrently (ctest -j, several checkouts on one machine) must not share files.
std::filesystem::path unique_temp_path(const std::string& stem, const std::string& extension = "");

/// The devices every device-parameterised test runs on; for CUDA, the reason it cannot run
/// (empty when it can). With IGNIS_REQUIRE_CUDA=1 a CUDA device that cannot run also records a
/// test failure (scripts/gpu-check: no CUDA case may skip on a GPU machine).
std::vector<Device> test_devices();
std::string device_skip_reason(Device device);
/// The skip message of a case on `device` that cannot run because `why` (e.g. an op threw
/// BackendUnavailableError: no cuDNN). Use it as `GTEST_SKIP() << op_skip_reason(...)`. The CPU
/// must run everything, and with IGNIS_REQUIRE_CUDA=1 so must CUDA: there it also records a test
/// failure, so a GPU machine cannot silently skip a CPU-vs-GPU agreement case.
std::string op_skip_reason(Device device, const std::string& why);
std::string device_name(const ::testing::TestParamInfo<Device>& info);

/// Base of tests that run once per device; CUDA cases skip visibly where there is no GPU.
class DeviceTest : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    const std::string reason = device_skip_reason(GetParam());
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
  Device device() const { return GetParam(); }
};

/// Expects `statement` to throw E with a message containing every fragment.
#define IGNIS_EXPECT_THROW_MSG(statement, E, ...)                                        \
  do {                                                                                    \
    try {                                                                                 \
      statement;                                                                          \
      ADD_FAILURE() << "expected " #E " from: " #statement;                               \
    } catch (const E& e) {                                                                \
      for (const char* fragment : {__VA_ARGS__}) {                                        \
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)                \
            << "message \"" << e.what() << "\" lacks \"" << fragment << "\"";             \
      }                                                                                   \
    }                                                                                     \
  } while (0)

}  // namespace ignis::testing

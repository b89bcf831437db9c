#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

std::vector<double> reference_softmax(const Tensor& x, int dim, bool log_space) {
  const auto v = values_of(x);
  std::vector<double> out(v.size());
  const Shape& s = x.shape();
  std::int64_t inner = 1;
  for (int d = dim + 1; d < s.size(); ++d) inner *= s[d];
  const std::int64_t len = s[dim];
  for (std::size_t start = 0; start < v.size(); ++start) {
    // Visit each (outer, inner) row once: at its first element.
    if ((static_cast<std::int64_t>(start) / inner) % len != 0) continue;
    double m = -INFINITY;
    for (std::int64_t i = 0; i < len; ++i) m = std::max(m, v[start + static_cast<std::size_t>(i * inner)]);
    double z = 0;
    for (std::int64_t i = 0; i < len; ++i) z += std::exp(v[start + static_cast<std::size_t>(i * inner)] - m);
    for (std::int64_t i = 0; i < len; ++i) {
      const double xi = v[start + static_cast<std::size_t>(i * inner)];
      out[start + static_cast<std::size_t>(i * inner)] = log_space ? xi - m - std::log(z) : std::exp(xi - m) / z;
    }
  }
  return out;
}

TEST(Softmax, MatchesReferenceAlongEveryDimension) {
  std::uint64_t seed = 1;
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Shape& shape : {Shape{7}, Shape{3, 1, 5}, Shape{4, 33}, Shape{2, 3, 4, 5}, Shape{300, 200}}) {
      for (Layout layout : {Layout::kContiguous, Layout::kTransposed}) {
        const Tensor x = random_tensor(shape, dtype, layout, -5, 5, seed++);
        for (int d = 0; d < shape.size(); ++d) {
          const Tolerance tol = tolerance_for(dtype);
          EXPECT_TRUE(all_close(softmax(x, d), shape, reference_softmax(x, d, false), tol.rtol * 10, tol.atol))
              << shape << " dim " << d;
          EXPECT_TRUE(all_close(log_softmax(x, d), shape, reference_softmax(x, d, true), tol.rtol * 10,
                                tol.atol * 10))
              << shape << " dim " << d;
        }
      }
    }
  }
}

TEST(Softmax, IsStableForHugeInputsAndHandlesMinusInfinity) {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor y = softmax(tensor({1000.0, 1000.0, -inf}), 0);
  EXPECT_TRUE(all_close(y, {3}, {0.5, 0.5, 0}, 1e-6, 0));
  const Tensor l = log_softmax(tensor({-1000.0, 0.0}), 0);
  EXPECT_TRUE(all_close(l, {2}, {-1000, 0}, 1e-6, 0));
  EXPECT_TRUE(all_close(sum(softmax(randn({8, 10}) * 50, 1), {1}), {8}, std::vector<double>(8, 1), 1e-5, 0));
}

TEST(Softmax, EdgeCases) {
  EXPECT_TRUE(all_close(softmax(full({}, 3.0), 0), {}, {1}, 0, 0));
  EXPECT_EQ(softmax(zeros({0, 4}), 1).shape(), (Shape{0, 4}));
  EXPECT_EQ(softmax(tensor({1, 2}), 0).dtype(), kFloat32);
  IGNIS_EXPECT_THROW_MSG(softmax(ones({2, 3}), 2), IndexError, "[softmax]");
}

class SoftmaxOnDevice : public DeviceTest {};

TEST_P(SoftmaxOnDevice, AgreesWithTheCpu) {
  const Tensor x = random_tensor({65, 130}, kFloat32, Layout::kContiguous, -5, 5, 3);
  for (int d : {0, 1}) {
    const Tensor cpu = log_softmax(x, d);
    EXPECT_TRUE(all_close(log_softmax(x.to(device()), d), cpu.shape(), values_of(cpu), 1e-3, 1e-3));
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, SoftmaxOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

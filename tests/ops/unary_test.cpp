// Unary ops against a double-precision reference over every standard shape, every layout,
// float32/float64 (and integer dtypes where defined); known values; dtype rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct UnaryCase {
  const char* name;
  Tensor (*op)(const Tensor&);
  double (*reference)(double);
  double lo, hi;      // input range (away from kinks and poles)
  bool integral_too;  // also defined for integer dtypes (result keeps the dtype)
};

const UnaryCase kUnaryCases[] = {
    {"neg", neg, [](double x) { return -x; }, -5, 5, true},
    {"abs", abs, [](double x) { return std::abs(x); }, -5, 5, true},
    {"sign", sign, [](double x) { return double((0 < x) - (x < 0)); }, -5, 5, true},
    {"relu", relu, [](double x) { return x > 0 ? x : 0.0; }, -5, 5, true},
    {"exp", exp, [](double x) { return std::exp(x); }, -5, 5, false},
    {"log", log, [](double x) { return std::log(x); }, 0.01, 10, false},
    {"sqrt", sqrt, [](double x) { return std::sqrt(x); }, 0, 10, false},
    {"rsqrt", rsqrt, [](double x) { return 1 / std::sqrt(x); }, 0.01, 10, false},
    {"sin", sin, [](double x) { return std::sin(x); }, -5, 5, false},
    {"cos", cos, [](double x) { return std::cos(x); }, -5, 5, false},
    {"tanh", tanh, [](double x) { return std::tanh(x); }, -5, 5, false},
    {"sigmoid", sigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }, -10, 10, false},
    {"gelu", [](const Tensor& x) { return gelu(x); }, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -5, 5, false},
    {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApproximation::kTanh); },
     [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }, -5, 5, false},
};

void PrintTo(const UnaryCase& c, std::ostream* os) { *os << c.name; }

class UnaryOps : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryOps, MatchReferenceOnEveryShapeLayoutAndDType) {
  const UnaryCase& c = GetParam();
  std::vector<DType> dtypes = {kFloat32, kFloat64};
  if (c.integral_too) dtypes.insert(dtypes.end(), {kInt64, kInt32});
  std::uint64_t seed = 1;
  for (DType dtype : dtypes) {
    for (const Shape& shape : standard_shapes()) {
      for (Layout layout : kAllLayouts) {
        const Tensor x = random_tensor(shape, dtype, layout, c.lo, c.hi, seed++);
        const Tensor y = c.op(x);
        std::vector<double> expected;
        for (double v : values_of(x)) expected.push_back(c.reference(v));
        const Tolerance tol = tolerance_for(dtype);
        EXPECT_EQ(y.dtype(), dtype);
        EXPECT_TRUE(all_close(y, shape, expected, tol.rtol, tol.atol))
            << c.name << " " << name(dtype) << " " << shape << " " << name(layout);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, UnaryOps, ::testing::ValuesIn(kUnaryCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Unary, KnownValues) {
  const Tensor x = tensor({-2.0, 0.0, 1.0});
  EXPECT_TRUE(all_close(relu(x), {3}, {0, 0, 1}, 0, 0));
  EXPECT_TRUE(all_close(sigmoid(x), {3}, {0.11920292202211755, 0.5, 0.7310585786300049}, 1e-6, 0));
  // GELU(1) = Φ(1) = 0.8413447460685429
  EXPECT_TRUE(all_close(gelu(x), {3}, {-0.04550026389635842, 0, 0.8413447460685429}, 1e-6, 1e-7));
  EXPECT_TRUE(all_close(exp(tensor({0.0, 1.0})), {2}, {1, 2.718281828459045}, 1e-6, 0));
}

TEST(Unary, SigmoidDoesNotOverflowAtTheExtremes) {
  const Tensor y = sigmoid(tensor({-1000.0, 1000.0}));
  EXPECT_TRUE(all_close(y, {2}, {0, 1}, 0, 0));
}

TEST(Unary, NaNPropagatesThroughReluAndClampAndSign) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({nan, -1.0});
  EXPECT_TRUE(std::isnan(relu(x).at<double>({0})));
  EXPECT_TRUE(std::isnan(sign(x).at<double>({0})));
  EXPECT_TRUE(std::isnan(clamp(x, 0.0, 1.0).at<double>({0})));
}

TEST(Unary, FloatingFunctionsPromoteIntegersToFloat32) {
  const Tensor y = sqrt(tensor({4, 9}));
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_TRUE(all_close(y, {2}, {2, 3}, 0, 0));
  EXPECT_EQ(exp(tensor({true})).dtype(), kFloat32);
  EXPECT_EQ(abs(tensor({-3})).dtype(), kInt64);
}

TEST(Unary, IsNanAndIsFiniteReturnBool) {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor x = tensor({1.0, inf, -inf, std::nan("")});
  EXPECT_EQ(isnan(x).dtype(), kBool);
  EXPECT_TRUE(all_close(isnan(x), {4}, {0, 0, 0, 1}, 0, 0));
  EXPECT_TRUE(all_close(isfinite(x), {4}, {1, 0, 0, 0}, 0, 0));
  EXPECT_TRUE(all_close(isfinite(tensor({3})), {1}, {1}, 0, 0));
}

TEST(Unary, Clamp) {
  const Tensor x = tensor({-2.0, 0.5, 3.0});
  EXPECT_TRUE(all_close(clamp(x, -1.0, 1.0), {3}, {-1, 0.5, 1}, 0, 0));
  EXPECT_TRUE(all_close(clamp(x, std::nullopt, 0.0), {3}, {-2, 0, 0}, 0, 0));
  EXPECT_TRUE(all_close(clamp(x, 0.0, std::nullopt), {3}, {0, 0.5, 3}, 0, 0));
  const Tensor i = clamp(tensor({-5, 5, 50}), 0, 10);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_TRUE(all_close(i, {3}, {0, 5, 10}, 0, 0));
  EXPECT_EQ(clamp(tensor({1, 2}), 0.5, 1.5).dtype(), kFloat32);  // a float bound promotes
  IGNIS_EXPECT_THROW_MSG(clamp(x, std::nullopt, std::nullopt), ValueError, "[clamp]", "at least one");
}

TEST(Unary, BoolInputsAreRejectedWhereMeaningless) {
  IGNIS_EXPECT_THROW_MSG(neg(tensor({true})), DTypeError, "[neg]", "bool");
  IGNIS_EXPECT_THROW_MSG(relu(tensor({true})), DTypeError, "[relu]", "bool");
}

class UnaryOnDevice : public DeviceTest {};

// Every unary op, every dtype it takes, every standard shape (scalar, empty, odd, large) and
// layout: the device gives the CPU's values (float32 to 1e-5 relative: the device's libm differs).
TEST_P(UnaryOnDevice, AgreesWithTheCpu) {
  std::uint64_t seed = 100;
  for (const UnaryCase& c : kUnaryCases) {
    std::vector<DType> dtypes = {kFloat32, kFloat64};
    if (c.integral_too) dtypes.insert(dtypes.end(), {kInt32, kInt64});
    for (const DType dtype : dtypes) {
      for (const Shape& shape : standard_shapes()) {
        const Layout layout = kAllLayouts[seed % std::size(kAllLayouts)];
        const Tensor x = random_tensor(shape, dtype, layout, c.lo, c.hi, seed++);
        const Tensor on_cpu = c.op(x);
        const Tensor on_device = c.op(x.to(device()));
        EXPECT_EQ(on_device.device(), device());
        EXPECT_EQ(on_device.dtype(), on_cpu.dtype());
        const double tol = dtype == kFloat32 ? 1e-5 : dtype == kFloat64 ? 1e-12 : 0;
        EXPECT_TRUE(all_close(on_device, on_cpu.shape(), values_of(on_cpu), tol, tol))
            << c.name << " " << dtype << " " << shape << " " << name(layout);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, UnaryOnDevice, ::testing::ValuesIn(test_devices()), device_name);

/// d gelu / dx in double, from the definitions (exact: Φ(x) + x φ(x); tanh: the chain rule).
double gelu_derivative(double x, GeluApproximation approximate) {
  if (approximate == GeluApproximation::kNone) {
    return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
  }
  const double k = std::sqrt(2 / M_PI), t = std::tanh(k * (x + 0.044715 * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
}

class GeluBackwardDevice : public DeviceTest {};

// The fused backward (one BinaryOp pass) against the derivative in double, on every layout,
// both dtypes and both approximations, and where the tails of erf and tanh saturate.
TEST_P(GeluBackwardDevice, MatchesTheDerivativeInDouble) {
  std::uint64_t seed = 100;
  for (GeluApproximation approximate : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    for (DType dtype : {kFloat32, kFloat64}) {
      for (const Shape& shape : standard_shapes()) {
        for (Layout layout : kAllLayouts) {
          const Tensor x = random_tensor(shape, dtype, layout, -12, 12, seed++);
          const Tensor g = random_tensor(shape, dtype, Layout::kContiguous, -2, 2, seed++);
          const Tensor dx = ops::gelu_backward(g.to(device()), x.to(device()), approximate);
          EXPECT_EQ(dx.device().type(), device().type());
          EXPECT_EQ(dx.dtype(), dtype);
          std::vector<double> expected;
          const std::vector<double> xv = values_of(x), gv = values_of(g);
          for (std::size_t i = 0; i < xv.size(); ++i) expected.push_back(gv[i] * gelu_derivative(xv[i], approximate));
          const Tolerance tol = tolerance_for(dtype);
          // float32, tanh form: where |u| is large, 1 + t and 1 - t² cancel (as in PyTorch's
          // formula), leaving an absolute error of a few float ulps of 1 in a ~1e-6 derivative.
          const double atol = dtype == kFloat32 && approximate == GeluApproximation::kTanh ? 4e-6 : tol.atol;
          EXPECT_TRUE(all_close(dx, shape, expected, tol.rtol, atol))
              << name(dtype) << " " << shape << " " << name(layout) << " tanh=" << (approximate == GeluApproximation::kTanh);
        }
      }
    }
  }
}

TEST_P(GeluBackwardDevice, KnownValuesAndIntegerPromotion) {
  // GELU'(0) = 1/2, GELU'(1) = Φ(1) + φ(1) = 0.8413447460685429 + 0.24197072451914337.
  const Tensor x = tensor({0.0, 1.0, -30.0, 30.0}).to(kFloat64).to(device());
  const Tensor dx = ops::gelu_backward(tensor({2.0, 1.0, 1.0, 1.0}).to(kFloat64).to(device()), x);
  EXPECT_EQ(dx.dtype(), kFloat64);
  EXPECT_TRUE(all_close(dx, {4}, {1.0, 1.0833154705876863, 0, 1}, 1e-12, 1e-15));
  EXPECT_EQ(ops::gelu_backward(tensor({1}), tensor({0})).dtype(), kFloat32);
}

INSTANTIATE_TEST_SUITE_P(Devices, GeluBackwardDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

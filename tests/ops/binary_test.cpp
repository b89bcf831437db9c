// Binary ops: reference comparison over broadcasting shape pairs and layouts, scalar forms,
// PyTorch's type promotion, comparisons, where, and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct BinaryCase {
  const char* name;
  Tensor (*op)(const Tensor&, const Tensor&);
  double (*reference)(double, double);
  double lo, hi;
  bool comparison;
};

double max_ref(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }
double min_ref(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }

const BinaryCase kBinaryCases[] = {
    {"add", add, [](double a, double b) { return a + b; }, -5, 5, false},
    {"sub", sub, [](double a, double b) { return a - b; }, -5, 5, false},
    {"mul", mul, [](double a, double b) { return a * b; }, -5, 5, false},
    {"div", div, [](double a, double b) { return a / b; }, 0.5, 5, false},
    {"pow", pow, [](double a, double b) { return std::pow(a, b); }, 0.5, 3, false},
    {"maximum", maximum, max_ref, -5, 5, false},
    {"minimum", minimum, min_ref, -5, 5, false},
    {"eq", eq, [](double a, double b) { return double(a == b); }, -2, 2, true},
    {"ne", ne, [](double a, double b) { return double(a != b); }, -2, 2, true},
    {"lt", lt, [](double a, double b) { return double(a < b); }, -2, 2, true},
    {"le", le, [](double a, double b) { return double(a <= b); }, -2, 2, true},
    {"gt", gt, [](double a, double b) { return double(a > b); }, -2, 2, true},
    {"ge", ge, [](double a, double b) { return double(a >= b); }, -2, 2, true},
};

const std::pair<Shape, Shape> kShapePairs[] = {
    {{}, {}},           {{5}, {5}},          {{3, 4}, {4}},        {{3, 1}, {1, 4}},   {{}, {2, 3}},
    {{2, 1, 5}, {3, 1}}, {{0, 4}, {1, 4}},   {{5}, {0, 5}},        {{1}, {7}},         {{4, 33}, {4, 33}},
    {{2, 3, 4, 5}, {3, 1, 5}}, {{257, 301}, {301}}, {{257, 1}, {257, 301}},
};

void PrintTo(const BinaryCase& c, std::ostream* os) { *os << c.name; }

class BinaryOps : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryOps, MatchReferenceWithBroadcastingAndLayouts) {
  const BinaryCase& c = GetParam();
  std::uint64_t seed = 1;
  std::vector<DType> dtypes = {kFloat32, kFloat64, kInt64, kInt32};
  for (DType dtype : dtypes) {
    if (std::string(c.name) == "div" && !is_floating_point(dtype)) continue;  // covered below
    for (const auto& [sa, sb] : kShapePairs) {
      for (Layout layout : kAllLayouts) {
        const Tensor a = random_tensor(sa, dtype, layout, c.lo, c.hi, seed++);
        const Tensor b = random_tensor(sb, dtype, Layout::kContiguous, c.lo, c.hi, seed++);
        const Tensor y = c.op(a, b);
        const Shape shape = broadcast_shapes(sa, sb, "test");
        const auto va = values_of(a), vb = values_of(b);
        std::vector<double> expected;
        for_each_index(shape, [&](const std::vector<std::int64_t>& idx, std::int64_t) {
          expected.push_back(c.reference(broadcast_value(a, va, idx), broadcast_value(b, vb, idx)));
        });
        EXPECT_EQ(y.dtype(), c.comparison ? kBool : dtype);
        const Tolerance tol = tolerance_for(dtype);
        EXPECT_TRUE(all_close(y, shape, expected, tol.rtol, tol.atol))
            << c.name << " " << name(dtype) << " " << sa << " vs " << sb << " " << name(layout);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BinaryOps, ::testing::ValuesIn(kBinaryCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Binary, OperatorsAndScalarForms) {
  const Tensor x = tensor({1.0, 2.0, 3.0});
  EXPECT_TRUE(all_close(x + 1, {3}, {2, 3, 4}, 0, 0));
  EXPECT_TRUE(all_close(10 - x, {3}, {9, 8, 7}, 0, 0));
  EXPECT_TRUE(all_close(x * x, {3}, {1, 4, 9}, 0, 0));
  EXPECT_TRUE(all_close(1.0 / x, {3}, {1, 0.5, 1.0 / 3}, 1e-6, 0));
  EXPECT_TRUE(all_close(-x, {3}, {-1, -2, -3}, 0, 0));
  EXPECT_TRUE(all_close(pow(x, 2), {3}, {1, 4, 9}, 0, 0));
  EXPECT_TRUE(all_close(pow(2, x), {3}, {2, 4, 8}, 0, 0));
  EXPECT_TRUE(all_close(x > 1.5, {3}, {0, 1, 1}, 0, 0));
  EXPECT_TRUE(all_close(x == 2, {3}, {0, 1, 0}, 0, 0));
}

TEST(Binary, TypePromotionFollowsPyTorch) {
  const Tensor f32 = ones({2});
  const Tensor f64 = ones({2}, {.dtype = kFloat64});
  const Tensor i64 = ones({2}, {.dtype = kInt64});
  const Tensor i32 = ones({2}, {.dtype = kInt32});
  const Tensor u8 = ones({2}, {.dtype = kUInt8});
  const Tensor b = ones({2}, {.dtype = kBool});
  EXPECT_EQ((f32 + f64).dtype(), kFloat64);
  EXPECT_EQ((i64 + f32).dtype(), kFloat32);
  EXPECT_EQ((i32 + i64).dtype(), kInt64);
  EXPECT_EQ((u8 + i32).dtype(), kInt32);
  EXPECT_EQ((b + u8).dtype(), kUInt8);
  // Scalars raise the category only: float32 * 2.0 stays float32; int * 2.5 becomes float32.
  EXPECT_EQ((f32 * 2.0).dtype(), kFloat32);
  EXPECT_EQ((i32 * 2).dtype(), kInt32);
  EXPECT_EQ((i32 * 2.5).dtype(), kFloat32);
  EXPECT_EQ((b + 1).dtype(), kInt64);
  // 0-dim tensors behave like scalars unless their category is higher.
  EXPECT_EQ((f32 + full({}, 1.0, {.dtype = kFloat64})).dtype(), kFloat32);
  EXPECT_EQ((i32 + full({}, 1.0, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_EQ((u8 + full({}, 5)).dtype(), kUInt8);
  EXPECT_EQ(result_type(full({}, 1), full({}, 1.0, {.dtype = kFloat64})), kFloat64);
}

TEST(Binary, IntegerDivisionIsTrueDivision) {
  const Tensor y = tensor({7, -7}) / tensor({2, 2});
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_TRUE(all_close(y, {2}, {3.5, -3.5}, 0, 0));
}

TEST(Binary, IntegerPowerIsExact) {
  EXPECT_EQ(pow(tensor({3}), tensor({20})).at<std::int64_t>({0}), 3486784401);
  EXPECT_TRUE(all_close(pow(tensor({2, 1, -1}), tensor({-1, -3, -3})), {3}, {0, 1, -1}, 0, 0));
}

TEST(Binary, MaximumAndMinimumPropagateNaN) {
  const Tensor a = tensor({std::nan(""), 1.0});
  const Tensor b = tensor({0.0, std::nan("")});
  const auto mx = values_of(maximum(a, b));
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  const auto mn = values_of(minimum(a, b));
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
}

TEST(Binary, BoolArithmetic) {
  const Tensor t = tensor({true, true, false});
  const Tensor f = tensor({true, false, false});
  EXPECT_TRUE(all_close(t + f, {3}, {1, 1, 0}, 0, 0));  // logical or, as in PyTorch
  EXPECT_TRUE(all_close(t * f, {3}, {1, 0, 0}, 0, 0));  // logical and
  EXPECT_EQ((t + f).dtype(), kBool);
  IGNIS_EXPECT_THROW_MSG(t - f, DTypeError, "[sub]", "bool");
}

TEST(Binary, Where) {
  const Tensor cond = tensor({true, false, true});
  EXPECT_TRUE(all_close(where(cond, tensor({1.0, 2.0, 3.0}), tensor({-1.0})), {3}, {1, -1, 3}, 0, 0));
  EXPECT_TRUE(all_close(where(cond, 5, tensor({0, 0, 0})), {3}, {5, 0, 5}, 0, 0));
  const Tensor mixed = where(cond, tensor({1, 2, 3}), 0.5);
  EXPECT_EQ(mixed.dtype(), kFloat32);
  EXPECT_TRUE(all_close(mixed, {3}, {1, 0.5, 3}, 0, 0));
  // Broadcasting across all three operands.
  const Tensor w = where(tensor({{true}, {false}}), arange(3), zeros({1, 3}, {.dtype = kInt64}));
  EXPECT_TRUE(all_close(w, {2, 3}, {0, 1, 2, 0, 0, 0}, 0, 0));
  IGNIS_EXPECT_THROW_MSG(where(tensor({1, 0}), tensor({1}), tensor({2})), DTypeError, "[where]", "bool");
}

TEST(Binary, ShapeErrorsNameTheOpAndShapes) {
  IGNIS_EXPECT_THROW_MSG(ones({2, 3}) + ones({4}), ShapeError, "[add]", "(2, 3)", "(4)", "do not broadcast");
  IGNIS_EXPECT_THROW_MSG(mul(ones({2}), Tensor()), ValueError, "[mul]", "second operand");
}

class BinaryOnDevice : public DeviceTest {};

// Every binary op over every broadcasting shape pair, float32/float64/int32 and mixed dtypes
// (promotion), with layouts varied: the device gives the CPU's values.
TEST_P(BinaryOnDevice, AgreesWithTheCpu) {
  std::uint64_t seed = 200;
  const std::pair<DType, DType> dtype_pairs[] = {
      {kFloat32, kFloat32}, {kFloat64, kFloat64}, {kInt32, kInt32}, {kInt64, kFloat32}, {kInt32, kInt64}};
  for (const BinaryCase& c : kBinaryCases) {
    for (const auto& [da, db] : dtype_pairs) {
      if (std::string(c.name) == "div" || std::string(c.name) == "pow") {
        if (!is_floating_point(da) && !is_floating_point(db)) continue;  // integer div/pow: CPU tests
      }
      for (const auto& [sa, sb] : kShapePairs) {
        const Layout layout = kAllLayouts[seed % std::size(kAllLayouts)];
        const Tensor a = random_tensor(sa, da, layout, c.lo, c.hi, seed++);
        const Tensor b = random_tensor(sb, db, Layout::kContiguous, c.lo, c.hi, seed++);
        const Tensor on_cpu = c.op(a, b);
        const Tensor on_device = c.op(a.to(device()), b.to(device()));
        EXPECT_EQ(on_device.dtype(), on_cpu.dtype()) << c.name;
        const double tol = on_cpu.dtype() == kFloat32 ? 1e-5 : on_cpu.dtype() == kFloat64 ? 1e-12 : 0;
        EXPECT_TRUE(all_close(on_device, on_cpu.shape(), values_of(on_cpu), tol, tol))
            << c.name << " " << da << "/" << db << " " << sa << " " << sb;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, BinaryOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

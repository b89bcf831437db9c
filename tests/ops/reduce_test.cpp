// Reductions against a double-precision reference over shapes, layouts, dim sets and keepdim;
// edge cases (empty, NaN, ties) and dtype rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

enum class Kind { kSum, kMean, kMax, kMin, kVar, kStd, kLogSumExp };

struct ReduceCase {
  const char* name;
  Kind kind;
  bool floating_only;
};

const ReduceCase kCases[] = {
    {"sum", Kind::kSum, false},  {"mean", Kind::kMean, true}, {"max", Kind::kMax, false},
    {"min", Kind::kMin, false},  {"var", Kind::kVar, true},   {"std", Kind::kStd, true},
    {"logsumexp", Kind::kLogSumExp, true},
};

Tensor apply(Kind kind, const Tensor& x, const Dims& dims, KeepDim keep) {
  switch (kind) {
    case Kind::kSum: return sum(x, dims, keep);
    case Kind::kMean: return mean(x, dims, keep);
    case Kind::kMax: return max(x, dims, keep);
    case Kind::kMin: return min(x, dims, keep);
    case Kind::kVar: return var(x, dims, keep);
    case Kind::kStd: return std(x, dims, keep);
    case Kind::kLogSumExp: break;
  }
  return logsumexp(x, dims, keep);
}

double reference(Kind kind, const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += x;
  switch (kind) {
    case Kind::kSum: return s;
    case Kind::kMean: return s / n;
    case Kind::kMax: {
      double m = -INFINITY;
      for (double x : v) m = std::max(m, x);
      return m;
    }
    case Kind::kMin: {
      double m = INFINITY;
      for (double x : v) m = std::min(m, x);
      return m;
    }
    case Kind::kVar:
    case Kind::kStd: {
      double ss = 0;
      for (double x : v) ss += (x - s / n) * (x - s / n);
      const double var = ss / std::max(n - 1, 0.0);
      return kind == Kind::kVar ? var : std::sqrt(var);
    }
    case Kind::kLogSumExp: break;
  }
  double m = -INFINITY;
  for (double x : v) m = std::max(m, x);
  double e = 0;
  for (double x : v) e += std::exp(x - m);
  return std::log(e) + m;
}

/// The dim sets tried for a tensor of rank r: all, each single dim, first+last, negative.
std::vector<Dims> dim_sets(int rank) {
  std::vector<Dims> sets = {Dims{}};
  for (int d = 0; d < rank; ++d) sets.push_back(Dims{d});
  if (rank >= 2) sets.push_back(Dims{0, -1});
  if (rank >= 3) sets.push_back(Dims{-1, -2});
  return sets;
}

void PrintTo(const ReduceCase& c, std::ostream* os) { *os << c.name; }

class Reductions : public ::testing::TestWithParam<ReduceCase> {};

TEST_P(Reductions, MatchReferenceOverShapesLayoutsDimsAndKeepDim) {
  const ReduceCase& c = GetParam();
  std::vector<DType> dtypes = {kFloat32, kFloat64};
  if (!c.floating_only) dtypes.push_back(kInt32);
  std::uint64_t seed = 1;
  for (DType dtype : dtypes) {
    for (const Shape& shape : standard_shapes()) {
      const bool empty = numel(shape) == 0;
      for (Layout layout : {Layout::kContiguous, Layout::kTransposed, Layout::kStrided}) {
        const Tensor x = random_tensor(shape, dtype, layout, -3, 3, seed++);
        const auto values = values_of(x);
        for (const Dims& dims : dim_sets(shape.size())) {
          // Reduced-over-nothing max/min throw (tested below); skip those combinations here.
          Shape kept_shape, keep_shape;
          bool reduces_empty = false;
          std::vector<bool> reduced(static_cast<std::size_t>(shape.size()), dims.empty());
          for (std::int64_t d : dims) reduced[static_cast<std::size_t>(normalize_dim(d, shape.size(), "t"))] = true;
          for (int d = 0; d < shape.size(); ++d) {
            if (reduced[static_cast<std::size_t>(d)]) {
              keep_shape.push_back(1);
              reduces_empty = reduces_empty || shape[d] == 0;
            } else {
              kept_shape.push_back(shape[d]);
              keep_shape.push_back(shape[d]);
            }
          }
          if (empty && dims.empty()) reduces_empty = true;
          if (reduces_empty && (c.kind == Kind::kMax || c.kind == Kind::kMin)) continue;
          // Reference: bucket every element into its output position.
          std::vector<std::vector<double>> buckets(static_cast<std::size_t>(numel(keep_shape)));
          for_each_index(shape, [&](const std::vector<std::int64_t>& idx, std::int64_t linear) {
            std::int64_t out = 0;
            for (int d = 0; d < shape.size(); ++d) {
              out = out * keep_shape[d] + (reduced[static_cast<std::size_t>(d)] ? 0 : idx[static_cast<std::size_t>(d)]);
            }
            buckets[static_cast<std::size_t>(out)].push_back(values[static_cast<std::size_t>(linear)]);
          });
          std::vector<double> expected;
          for (const auto& b : buckets) expected.push_back(reference(c.kind, b));
          // Summation order differs from the reference: allow a few ulps per element summed.
          const Tolerance tol = tolerance_for(dtype);
          const double rtol = is_floating_point(dtype) ? tol.rtol * 10 : 0;
          const double atol = is_floating_point(dtype) ? tol.atol * 100 : 0;
          for (KeepDim keep : {KeepDim::kNo, KeepDim::kYes}) {
            const Tensor y = apply(c.kind, x, dims, keep);
            EXPECT_TRUE(all_close(y, keep == KeepDim::kYes ? keep_shape : kept_shape, expected, rtol, atol))
                << c.name << " " << name(dtype) << " " << shape << " " << name(layout) << " dims " << dims
                << " keep " << (keep == KeepDim::kYes);
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Reductions, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Reduce, KnownValuesAndDTypes) {
  const Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_TRUE(all_close(sum(x), {}, {21}, 0, 0));
  EXPECT_TRUE(all_close(sum(x, {0}), {3}, {5, 7, 9}, 0, 0));
  EXPECT_TRUE(all_close(mean(x, {1}, kKeepDim), {2, 1}, {2, 5}, 0, 0));
  EXPECT_TRUE(all_close(var(x, {1}), {2}, {1, 1}, 0, 0));
  EXPECT_TRUE(all_close(var(x, {1}, KeepDim::kNo, 0), {2}, {2.0 / 3, 2.0 / 3}, 1e-6, 0));
  EXPECT_TRUE(all_close(std(tensor({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}), {}, KeepDim::kNo, 0), {}, {2}, 1e-6, 0));
  EXPECT_EQ(sum(tensor({1, 2})).dtype(), kInt64);
  EXPECT_EQ(sum(tensor({true, true, false})).item<int>(), 2);
  EXPECT_EQ(sum(ones({2}, {.dtype = kInt32})).dtype(), kInt64);
  EXPECT_EQ(max(tensor({3, 9, 2})).dtype(), kInt64);
  EXPECT_EQ(sum(ones({3, 4}), {-1, 0}).item<float>(), 12.0f);
}

TEST(Reduce, LargeReductionsUseThePartitionedPathAccurately) {
  // One output over 2^20 elements (threads split the reduction) and many short outputs.
  const Tensor x = full({1 << 20}, 0.1f);
  EXPECT_NEAR(sum(x).item<double>(), 104857.6, 0.05);
  const Tensor m = ones({100000, 3});
  EXPECT_TRUE(all_close(sum(m, {1}), {100000}, std::vector<double>(100000, 3), 0, 0));
  EXPECT_TRUE(all_close(sum(m, {0}), {3}, {100000, 100000, 100000}, 0, 0));
}

TEST(Reduce, EmptyInputs) {
  EXPECT_EQ(sum(zeros({0})).item<float>(), 0.0f);
  EXPECT_TRUE(std::isnan(mean(zeros({0})).item<double>()));
  EXPECT_EQ(logsumexp(zeros({0, 2}), {0}).at<float>({1}), -INFINITY);
  EXPECT_EQ(sum(zeros({0, 3}), {1}).shape(), (Shape{0}));
  EXPECT_EQ(max(zeros({0, 3}), {1}).shape(), (Shape{0}));  // reduces size-3 rows: nothing to do
  IGNIS_EXPECT_THROW_MSG(max(zeros({0})), ValueError, "[max]", "empty dimension", "(0)");
  IGNIS_EXPECT_THROW_MSG(min(zeros({0, 3}), {0}), ValueError, "[min]", "(0, 3)");
}

TEST(Reduce, MaxAndMinPropagateNaN) {
  const Tensor x = tensor({1.0, std::nan(""), 3.0});
  EXPECT_TRUE(std::isnan(max(x).item<double>()));
  EXPECT_TRUE(std::isnan(min(x).item<double>()));
}

TEST(Reduce, LogSumExpIsStable) {
  EXPECT_NEAR(logsumexp(tensor({1000.0, 1000.0}), {0}).item<double>(), 1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(logsumexp(tensor({-1000.0, -1000.0}), {0}).item<double>(), -1000 + std::log(2.0), 1e-3);
  EXPECT_EQ(logsumexp(tensor({-INFINITY, -INFINITY}), {0}).item<double>(), -INFINITY);
  EXPECT_EQ(logsumexp(tensor({1, 2}), {0}).dtype(), kFloat32);
}

TEST(Reduce, ArgMaxArgMin) {
  const Tensor x = tensor({{1.0, 5.0, 5.0}, {7.0, 0.0, -1.0}});
  EXPECT_EQ(argmax(x).item<std::int64_t>(), 3);
  EXPECT_EQ(argmin(x).item<std::int64_t>(), 5);
  EXPECT_TRUE(all_close(argmax(x, 1), {2}, {1, 0}, 0, 0));  // ties go to the first
  EXPECT_TRUE(all_close(argmin(x, 0, kKeepDim), {1, 3}, {0, 1, 1}, 0, 0));
  EXPECT_TRUE(all_close(argmax(x.t(), 0), {2}, {1, 0}, 0, 0));
  EXPECT_EQ(argmax(x, 1).dtype(), kInt64);
  EXPECT_EQ(argmax(tensor({2.0, std::nan(""), 9.0, std::nan("")})).item<int>(), 1);  // first NaN
  EXPECT_EQ(argmax(full({}, 4.0)).item<int>(), 0);
  IGNIS_EXPECT_THROW_MSG(argmax(zeros({3, 0}), 1), ValueError, "[argmax]", "empty");
  IGNIS_EXPECT_THROW_MSG(argmax(x, 2), IndexError, "[argmax]");
}

TEST(Reduce, ArgumentErrors) {
  const Tensor x = ones({2, 3});
  IGNIS_EXPECT_THROW_MSG(sum(x, {0, 0}), ValueError, "[sum]", "twice");
  IGNIS_EXPECT_THROW_MSG(sum(x, {2}), IndexError, "[sum]", "dimension 2");
  IGNIS_EXPECT_THROW_MSG(mean(tensor({1, 2})), DTypeError, "[mean]", "floating-point", "int64");
  IGNIS_EXPECT_THROW_MSG(var(x, {}, KeepDim::kNo, -1), ValueError, "[var]", "correction");
}

class ReduceOnDevice : public DeviceTest {};

TEST_P(ReduceOnDevice, AgreesWithTheCpu) {
  const Tensor x = random_tensor({63, 129}, kFloat32, Layout::kTransposed, -2, 2, 9);
  const Tensor xd = x.to(device());
  for (const Dims& dims : {Dims{}, Dims{0}, Dims{1}}) {
    for (const ReduceCase& c : kCases) {
      const Tensor on_cpu = apply(c.kind, x, dims, KeepDim::kNo);
      EXPECT_TRUE(all_close(apply(c.kind, xd, dims, KeepDim::kNo), on_cpu.shape(), values_of(on_cpu), 1e-3, 1e-3))
          << c.name << " dims " << dims;
    }
    if (dims.size() == 1) {
      EXPECT_EQ(values_of(argmax(xd, dims[0])), values_of(argmax(x, dims[0])));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, ReduceOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

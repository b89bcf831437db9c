// The Philox generator: known answers, reproducibility, independence from thread count and
// chunking, distributions, and the same stream on every device.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/philox.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

using testing::values_of;

// Known-answer vectors of Philox4x32-10 published with Random123 (Salmon et al., SC'11;
// Random123 tests/kat_vectors), also used by TensorFlow's stateful random tests.
TEST(Philox, MatchesRandom123KnownAnswers) {
  struct Kat {
    kernels::PhiloxBlock ctr;
    std::uint32_t k0, k1;
    kernels::PhiloxBlock expected;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Kat& kat : kats) {
    const kernels::PhiloxBlock out = kernels::philox4x32_10(kat.ctr, kat.k0, kat.k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.w[i], kat.expected.w[i]) << "word " << i;
  }
}

TEST(Random, SameSeedSameValuesDifferentSeedDifferentValues) {
  manual_seed(42);
  const auto a = values_of(randn({100}));
  manual_seed(42);
  const auto b = values_of(randn({100}));
  manual_seed(43);
  const auto c = values_of(randn({100}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Random, ConsecutiveCallsContinueTheStream) {
  Generator g(7);
  const auto first = values_of(rand({10}, {}, &g));
  const auto second = values_of(rand({10}, {}, &g));
  EXPECT_NE(first, second);
  EXPECT_EQ(g.state().offset, 6u);  // ceil(10 / 4) blocks per call
}

TEST(Random, StateCanBeSavedAndRestored) {
  Generator g(11);
  (void)rand({5}, {}, &g);
  const PhiloxState saved = g.state();
  const auto expected = values_of(randn({9}, {}, &g));
  g.manual_seed(999);
  g.set_state(saved);
  EXPECT_EQ(values_of(randn({9}, {}, &g)), expected);
}

TEST(Random, ElementIDependsOnlyOnSeedAndIndex) {
  // A prefix of a longer draw equals a shorter draw, and the thread count does not matter:
  // the property that makes the CPU and GPU streams identical.
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator g1(5), g2(5), g3(5);
    const auto small = values_of(randn({10}, {.dtype = dtype}, &g1));
    const int threads = get_num_threads();
    set_num_threads(1);
    const auto large_one_thread = values_of(randn({200000}, {.dtype = dtype}, &g2));
    set_num_threads(2);
    const auto large_two_threads = values_of(randn({200000}, {.dtype = dtype}, &g3));
    set_num_threads(threads);
    EXPECT_EQ(large_one_thread, large_two_threads);
    EXPECT_TRUE(std::equal(small.begin(), small.end(), large_one_thread.begin()));
  }
}

TEST(Random, UniformIsInRangeWithTheRightMoments) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const auto v = values_of(rand({100000}, {.dtype = dtype}));
    double sum = 0, sq = 0, lo = 1, hi = 0;
    for (double x : v) {
      sum += x;
      sq += x * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    const double mean = sum / v.size(), var = sq / v.size() - mean * mean;
    EXPECT_GE(lo, 0.0);
    EXPECT_LT(hi, 1.0);
    EXPECT_NEAR(mean, 0.5, 0.005);  // standard error 0.0009
    EXPECT_NEAR(var, 1.0 / 12, 0.003);
  }
}

TEST(Random, NormalHasMeanZeroAndUnitVariance) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const auto v = values_of(randn({100000}, {.dtype = dtype}));
    double sum = 0, sq = 0;
    int beyond_3_sigma = 0;
    for (double x : v) {
      sum += x;
      sq += x * x;
      beyond_3_sigma += std::abs(x) > 3;
    }
    const double mean = sum / v.size(), var = sq / v.size() - mean * mean;
    EXPECT_NEAR(mean, 0.0, 0.015);
    EXPECT_NEAR(var, 1.0, 0.02);
    EXPECT_NEAR(beyond_3_sigma / 100000.0, 0.0027, 0.001);
  }
}

TEST(Random, RandintCoversExactlyItsRange) {
  const auto v = values_of(randint(-3, 4, {20000}));
  std::vector<int> counts(7, 0);
  for (double x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 4);
    ++counts[static_cast<std::size_t>(x + 3)];
  }
  for (int c : counts) EXPECT_NEAR(c, 20000 / 7.0, 200);
  EXPECT_EQ(randint(0, 10, {3}, {.dtype = kInt32}).dtype(), kInt32);
  IGNIS_EXPECT_THROW_MSG(randint(5, 5, {3}), ValueError, "[randint]", "low < high");
}

TEST(Random, InPlaceFillsWorkOnViews) {
  Tensor base = zeros({4, 6});
  Tensor view = base.slice(1, 0, 6, 2);  // every other column
  uniform_(view, 2.0, 3.0);
  for (double x : values_of(view)) {
    EXPECT_GE(x, 2.0);
    EXPECT_LT(x, 3.0);
  }
  for (double x : values_of(base.slice(1, 1, 6, 2))) EXPECT_EQ(x, 0.0);  // untouched
  Tensor n = zeros({1000}, {.dtype = kFloat64});
  normal_(n, 10.0, 0.5);
  EXPECT_NEAR(mean(n).item<double>(), 10.0, 0.1);
  Tensor ints = zeros({3}, {.dtype = kInt64});
  IGNIS_EXPECT_THROW_MSG(uniform_(ints, 0, 1), DTypeError, "floating-point");
  IGNIS_EXPECT_THROW_MSG(rand({2}, {.dtype = kInt64}), DTypeError, "[rand]", "int64");
}

class RandomOnDevice : public testing::DeviceTest {};

TEST_P(RandomOnDevice, StreamIsIdenticalToTheCpuStream) {
  for (DType dtype : {kFloat32, kFloat64}) {
    Generator cpu_gen(3), dev_gen(3);
    const auto on_cpu = values_of(randn({1001}, {.dtype = dtype}, &cpu_gen));
    const auto on_device = values_of(randn({1001}, {.dtype = dtype, .device = device()}, &dev_gen));
    EXPECT_EQ(on_cpu, on_device);
  }
  Generator cpu_gen(4), dev_gen(4);
  EXPECT_EQ(values_of(randint(0, 1000, {99}, {}, &cpu_gen)),
            values_of(randint(0, 1000, {99}, {.device = device()}, &dev_gen)));
}

INSTANTIATE_TEST_SUITE_P(Devices, RandomOnDevice, ::testing::ValuesIn(testing::test_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ignis

#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

TEST(IndexSelect, PicksSlicesInIndexOrderWithRepeats) {
  const Tensor x = arange(12).reshape({3, 4}).to(kFloat32);
  EXPECT_TRUE(all_close(index_select(x, 0, tensor({2, 0, 2})), {3, 4}, {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}, 0, 0));
  EXPECT_TRUE(all_close(index_select(x, 1, tensor({3, 1})), {3, 2}, {3, 1, 7, 5, 11, 9}, 0, 0));
  EXPECT_TRUE(all_close(index_select(x.t(), 0, tensor({1}, {.dtype = kInt32})), {1, 3}, {1, 5, 9}, 0, 0));
  EXPECT_EQ(index_select(x, -1, zeros({0}, {.dtype = kInt64})).shape(), (Shape{3, 0}));
}

TEST(IndexSelect, MatchesReferenceOnLargeInputs) {
  const Tensor x = random_tensor({500, 70}, kFloat64, Layout::kStrided, -1, 1, 4);
  const Tensor idx = randint(0, 500, {1000});
  const auto vx = values_of(x), vi = values_of(idx);
  std::vector<double> expected;
  for (double i : vi) {
    for (int j = 0; j < 70; ++j) expected.push_back(vx[static_cast<std::size_t>(i) * 70 + j]);
  }
  EXPECT_TRUE(all_close(index_select(x, 0, idx), {1000, 70}, expected, 0, 0));
}

TEST(IndexSelect, Errors) {
  const Tensor x = ones({3, 4});
  IGNIS_EXPECT_THROW_MSG(index_select(x, 0, tensor({0, 3})), IndexError, "index 3", "size 3");
  IGNIS_EXPECT_THROW_MSG(index_select(x, 0, tensor({-1})), IndexError, "index -1");
  IGNIS_EXPECT_THROW_MSG(index_select(x, 0, tensor({0.0})), DTypeError, "integer");
  IGNIS_EXPECT_THROW_MSG(index_select(x, 0, tensor({{0}})), ShapeError, "1-D");
}

TEST(Gather, PicksAlongADimension) {
  const Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}});
  EXPECT_TRUE(all_close(gather(x, 1, tensor({{0, 0}, {1, 0}})), {2, 2}, {1, 1, 4, 3}, 0, 0));
  EXPECT_TRUE(all_close(gather(x, 0, tensor({{1, 0}})), {1, 2}, {3, 2}, 0, 0));
  // The classification pattern: the logit of each row's target class.
  const Tensor logits = arange(12).reshape({4, 3}).to(kFloat32);
  const Tensor target = tensor({2, 0, 1, 2});
  EXPECT_TRUE(all_close(gather(logits, 1, target.unsqueeze(1)).squeeze(1), {4}, {2, 3, 7, 11}, 0, 0));
}

TEST(Gather, MatchesReferenceIn3D) {
  const Tensor x = random_tensor({4, 5, 6}, kFloat32, Layout::kTransposed, -1, 1, 8);
  const Tensor idx = randint(0, 5, {3, 7, 6});
  const auto vx = values_of(x), vi = values_of(idx);
  std::vector<double> expected;
  for_each_index({3, 7, 6}, [&](const std::vector<std::int64_t>& i, std::int64_t linear) {
    const auto k = static_cast<std::int64_t>(vi[static_cast<std::size_t>(linear)]);
    expected.push_back(vx[static_cast<std::size_t>((i[0] * 5 + k) * 6 + i[2])]);
  });
  EXPECT_TRUE(all_close(gather(x, 1, idx), {3, 7, 6}, expected, 0, 0));
}

TEST(Gather, Errors) {
  const Tensor x = ones({2, 3});
  IGNIS_EXPECT_THROW_MSG(gather(x, 1, tensor({{3}})), IndexError, "[gather]", "index 3", "size 3");
  IGNIS_EXPECT_THROW_MSG(gather(x, 1, tensor({0})), ShapeError, "2 dimensions");
  IGNIS_EXPECT_THROW_MSG(gather(x, 1, zeros({3, 1}, {.dtype = kInt64})), ShapeError, "larger than input");
}

TEST(OneHot, EncodesClasses) {
  EXPECT_TRUE(all_close(one_hot(tensor({0, 2, 1})), {3, 3}, {1, 0, 0, 0, 0, 1, 0, 1, 0}, 0, 0));
  const Tensor y = one_hot(tensor({{1}, {0}}), 4);
  EXPECT_EQ(y.shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(one_hot(zeros({0}, {.dtype = kInt64}), 5).shape(), (Shape{0, 5}));
  IGNIS_EXPECT_THROW_MSG(one_hot(tensor({3}), 3), IndexError, "[one_hot]", "3", "num_classes 3");
  IGNIS_EXPECT_THROW_MSG(one_hot(tensor({-1})), IndexError, "≥ 0");
  IGNIS_EXPECT_THROW_MSG(one_hot(zeros({0}, {.dtype = kInt64})), ValueError, "empty");
}

class IndexOnDevice : public DeviceTest {};

TEST_P(IndexOnDevice, AgreesWithTheCpu) {
  const Tensor x = random_tensor({40, 30}, kFloat32, Layout::kContiguous, -1, 1, 5);
  const Tensor idx = randint(0, 40, {25});
  const Tensor cpu = index_select(x, 0, idx);
  EXPECT_TRUE(all_close(index_select(x.to(device()), 0, idx.to(device())), cpu.shape(), values_of(cpu), 0, 0));
  const Tensor g = randint(0, 30, {40, 5});
  const Tensor gcpu = gather(x, 1, g);
  EXPECT_TRUE(all_close(gather(x.to(device()), 1, g.to(device())), gcpu.shape(), values_of(gcpu), 0, 0));
}

INSTANTIATE_TEST_SUITE_P(Devices, IndexOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

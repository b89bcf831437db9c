#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

TEST(Cat, JoinsAlongAnyDimension) {
  const Tensor a = arange(6).reshape({2, 3});
  const Tensor b = arange(6, 9).reshape({1, 3});
  EXPECT_TRUE(all_close(cat({a, b}), {3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}, 0, 0));
  const Tensor c = cat({a, a.t().contiguous().t()}, -1);
  EXPECT_TRUE(all_close(c, {2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, 0, 0));
  EXPECT_TRUE(all_close(cat({tensor({1}), tensor({2, 3})}), {3}, {1, 2, 3}, 0, 0));
}

TEST(Cat, PromotesDTypesAndSkipsLegacyEmptyTensors) {
  const Tensor y = cat({tensor({1, 2}), tensor({0.5})});
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_TRUE(all_close(y, {3}, {1, 2, 0.5}, 0, 0));
  EXPECT_EQ(cat({zeros({0}), ones({2, 3})}).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({zeros({0, 3}), ones({2, 3})}).shape(), (Shape{2, 3}));
}

TEST(Cat, Errors) {
  IGNIS_EXPECT_THROW_MSG(cat({}), ValueError, "[cat]", "non-empty");
  IGNIS_EXPECT_THROW_MSG(cat({ones({2, 3}), ones({2, 4})}), ShapeError, "[cat]", "tensor 1", "(2, 4)");
  IGNIS_EXPECT_THROW_MSG(cat({ones({2, 3}), ones({3})}), ShapeError, "[cat]");
  IGNIS_EXPECT_THROW_MSG(cat({full({}, 1)}), ShapeError, "zero-dimensional");
}

TEST(Stack, AddsANewDimension) {
  const Tensor a = tensor({1, 2}), b = tensor({3, 4});
  EXPECT_TRUE(all_close(stack({a, b}), {2, 2}, {1, 2, 3, 4}, 0, 0));
  EXPECT_TRUE(all_close(stack({a, b}, 1), {2, 2}, {1, 3, 2, 4}, 0, 0));
  EXPECT_TRUE(all_close(stack({a, b}, -1), {2, 2}, {1, 3, 2, 4}, 0, 0));
  EXPECT_EQ(stack({full({}, 1.0), full({}, 2.0)}).shape(), (Shape{2}));
  IGNIS_EXPECT_THROW_MSG(stack({a, tensor({1, 2, 3})}), ShapeError, "[stack]", "tensor 1", "(3)");
}

}  // namespace
}  // namespace ignis

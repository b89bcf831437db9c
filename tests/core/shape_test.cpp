#include <gtest/gtest.h>

#include "ignis/core/error.hpp"
#include "ignis/core/shape.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

TEST(Shape, BasicsAndPrinting) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(numel(s), 24);
  EXPECT_EQ(s.str(), "(2, 3, 4)");
  EXPECT_EQ(Shape{}.str(), "()");
  EXPECT_EQ(numel(Shape{}), 1);
  EXPECT_EQ(numel(Shape{3, 0}), 0);
  EXPECT_EQ(contiguous_strides(s), (Strides{12, 4, 1}));
  EXPECT_EQ(contiguous_strides(Shape{2, 0, 3}), (Strides{3, 3, 1}));
}

TEST(Shape, EditsInPlace) {
  Shape s{2, 3};
  s.insert(0, 7);
  EXPECT_EQ(s, (Shape{7, 2, 3}));
  s.erase(1);
  EXPECT_EQ(s, (Shape{7, 3}));
  s.push_back(5);
  EXPECT_EQ(s, (Shape{7, 3, 5}));
}

TEST(Shape, RejectsMoreThanMaxDims) {
  Shape s{1, 1, 1, 1, 1, 1, 1, 1};
  IGNIS_EXPECT_THROW_MSG(s.push_back(1), ShapeError, "9 dimensions", "at most 8");
  IGNIS_EXPECT_THROW_MSG((Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), ShapeError, "at most 8");
}

TEST(Shape, BroadcastsLikeNumPy) {
  EXPECT_EQ(broadcast_shapes({3, 1}, {1, 4}, "t"), (Shape{3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({5, 1, 3}, {4, 1}, "t"), (Shape{5, 4, 3}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 4}, "t"), (Shape{0, 4}));
  IGNIS_EXPECT_THROW_MSG(broadcast_shapes({2, 3}, {4, 3}, "add"), ShapeError, "[add]", "(2, 3)", "(4, 3)",
                         "do not broadcast");
}

TEST(Shape, NormalizesDims) {
  EXPECT_EQ(normalize_dim(-1, 3, "t"), 2);
  EXPECT_EQ(normalize_dim(0, 3, "t"), 0);
  EXPECT_EQ(normalize_dim(-1, 0, "t"), 0);  // a scalar accepts 0 and -1, like PyTorch
  IGNIS_EXPECT_THROW_MSG(normalize_dim(3, 3, "sum"), IndexError, "[sum]", "dimension 3", "-3 to 2");
  IGNIS_EXPECT_THROW_MSG(normalize_dim(-4, 3, "sum"), IndexError, "out of range");
}

}  // namespace
}  // namespace ignis

// Views rewrite shape/strides/offset only: they share storage with their base.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using testing::values_of;

Tensor iota(const Shape& shape) { return arange(numel(shape), {.dtype = kFloat32}).reshape(shape); }

TEST(Views, ViewAndReshapeInferMinusOne) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_EQ(x.view({6, -1}).shape(), (Shape{6, 4}));
  EXPECT_EQ(x.view({-1}).shape(), (Shape{24}));
  EXPECT_EQ(x.reshape({4, -1, 3}).shape(), (Shape{4, 2, 3}));
  EXPECT_TRUE(x.view({6, 4}).storage() == x.storage());
  EXPECT_EQ(values_of(x.view({24})), values_of(x));
  IGNIS_EXPECT_THROW_MSG(x.view({5, -1}), ShapeError, "[view]", "(5, -1)", "(2, 3, 4)");
  IGNIS_EXPECT_THROW_MSG(x.view({-1, -1}), ShapeError, "only one dimension can be -1");
  IGNIS_EXPECT_THROW_MSG(x.view({7, 3}), ShapeError, "invalid for a tensor of shape (2, 3, 4)");
}

TEST(Views, ViewOfNonContiguousFailsButReshapeCopies) {
  const Tensor x = iota({3, 4});
  const Tensor t = x.t();
  EXPECT_FALSE(t.is_contiguous());
  IGNIS_EXPECT_THROW_MSG(t.view({12}), ShapeError, "without copying", "reshape");
  const Tensor r = t.reshape({12});
  EXPECT_FALSE(r.storage() == x.storage());
  EXPECT_EQ(values_of(r), (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // Splitting a dimension of a transposed tensor is still a view.
  EXPECT_TRUE(t.view({2, 2, 3}).storage() == x.storage());
}

TEST(Views, TransposePermuteAndT) {
  const Tensor x = iota({2, 3, 4});
  const Tensor p = x.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Strides{1, 12, 4}));
  EXPECT_EQ(p.at<float>({3, 1, 2}), x.at<float>({1, 2, 3}));
  EXPECT_EQ(x.transpose(0, -1).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(iota({5}).t().shape(), (Shape{5}));
  IGNIS_EXPECT_THROW_MSG(x.t(), ShapeError, "[t]", "at most 2 dimensions");
  IGNIS_EXPECT_THROW_MSG(x.permute({0, 0, 1}), ShapeError, "appears twice");
  IGNIS_EXPECT_THROW_MSG(x.permute({0, 1}), ShapeError, "[permute]");
}

TEST(Views, SliceFollowsPythonRules) {
  const Tensor x = iota({10});
  EXPECT_EQ(values_of(x.slice(0, 2, 8, 3)), (std::vector<double>{2, 5}));
  EXPECT_EQ(values_of(x.slice(0, -3, 100)), (std::vector<double>{7, 8, 9}));
  EXPECT_EQ(x.slice(0, 8, 2).numel(), 0);
  EXPECT_EQ(x.slice(0, 2, 8, 3).stride(0), 3);
  IGNIS_EXPECT_THROW_MSG(x.slice(0, 0, 5, 0), ValueError, "step must be ≥ 1");
}

TEST(Views, NarrowSelectSqueezeUnsqueeze) {
  const Tensor x = iota({3, 1, 4});
  EXPECT_EQ(values_of(x.narrow(2, 1, 2).select(0, 2)), (std::vector<double>{9, 10}));
  EXPECT_EQ(values_of(x.select(-1, -1)), (std::vector<double>{3, 7, 11}));
  EXPECT_EQ(x.squeeze().shape(), (Shape{3, 4}));
  EXPECT_EQ(x.squeeze(1).shape(), (Shape{3, 4}));
  EXPECT_EQ(x.squeeze(0).shape(), (Shape{3, 1, 4}));  // size 3: unchanged, like PyTorch
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 3, 1, 4}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{3, 1, 4, 1}));
  EXPECT_EQ(x.flatten().shape(), (Shape{12}));
  EXPECT_EQ(x.flatten(1).shape(), (Shape{3, 4}));
  IGNIS_EXPECT_THROW_MSG(x.narrow(2, 3, 2), IndexError, "[narrow]", "size 4");
  IGNIS_EXPECT_THROW_MSG(x.select(0, 3), IndexError, "[select]", "index 3", "size 3");
  IGNIS_EXPECT_THROW_MSG(tensor({1.0}).select(0, 0).select(0, 0), IndexError, "0-dimensional");
}

TEST(Views, ExpandUsesStrideZero) {
  const Tensor x = iota({3, 1});
  const Tensor e = x.expand({2, 3, 4});
  EXPECT_EQ(e.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(e.at<float>({1, 2, 3}), 2.0f);
  EXPECT_EQ(x.expand({-1, 5}).shape(), (Shape{3, 5}));
  IGNIS_EXPECT_THROW_MSG(x.expand({4, 4}), ShapeError, "[expand]", "(3, 1)", "(4, 4)");
  IGNIS_EXPECT_THROW_MSG(x.expand({4}), ShapeError, "fewer dimensions");
}

TEST(Views, WritesThroughAViewReachTheBase) {
  Tensor x = zeros({3, 4});
  Tensor column = x.select(1, 2);
  column.fill_(7);
  EXPECT_EQ(values_of(sum(x, {0})), (std::vector<double>{0, 0, 21, 0}));
  Tensor block = x.narrow(0, 1, 2).narrow(1, 0, 2);
  block.copy_(tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}));
  EXPECT_EQ(x.at<float>({2, 1}), 4.0f);
  EXPECT_EQ(x.at<float>({0, 0}), 0.0f);
}

TEST(Views, ContiguousAndCloneCopyOnlyWhenNeeded) {
  const Tensor x = iota({3, 4});
  EXPECT_TRUE(x.contiguous().is_same(x));
  const Tensor t = x.t().contiguous();
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(values_of(t), values_of(x.t()));
  const Tensor c = x.clone();
  EXPECT_FALSE(c.storage() == x.storage());
  EXPECT_EQ(values_of(c), values_of(x));
}

TEST(Views, UndefinedTensorsSayWhatToDo) {
  const Tensor undefined;
  EXPECT_FALSE(undefined.defined());
  IGNIS_EXPECT_THROW_MSG(undefined.shape(), ValueError, "undefined");
  IGNIS_EXPECT_THROW_MSG(relu(undefined), ValueError, "[relu]", "undefined");
}

TEST(Views, DataPtrChecksTheDType) {
  const Tensor x = zeros({2});
  EXPECT_NE(x.data_ptr<float>(), nullptr);
  IGNIS_EXPECT_THROW_MSG(x.data_ptr<double>(), DTypeError, "float32", "float64");
}

}  // namespace
}  // namespace ignis

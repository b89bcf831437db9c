// Printing matches PyTorch's layout (torch/_tensor_str.py), with ignis dtype names.
#include <gtest/gtest.h>

#include <sstream>

#include "support/reference.hpp"

namespace ignis {
namespace {

TEST(Print, FloatsWithFourDecimals) {
  EXPECT_EQ(tensor({{0.1, -1.25}, {3.0, 4.5}}).str(), "tensor([[ 0.1000, -1.2500],\n        [ 3.0000,  4.5000]])");
}

TEST(Print, IntegerValuedFloatsPrintWithATrailingDot) {
  EXPECT_EQ(tensor({1.0, 2.0, -3.0}).str(), "tensor([ 1.,  2., -3.])");
}

TEST(Print, ScientificWhenMagnitudesSpreadWidely) {
  EXPECT_EQ(tensor({1e-5, 1.0}).str(), "tensor([1.0000e-05, 1.0000e+00])");
}

TEST(Print, IntegersBoolsAndDTypeSuffix) {
  EXPECT_EQ(tensor({1, 20, 300}).str(), "tensor([  1,  20, 300])");
  EXPECT_EQ(tensor({true, false}).str(), "tensor([ True, False])");
  EXPECT_EQ(tensor({1.5}, {.dtype = kFloat64}).str(), "tensor([1.5000], dtype=float64)");
  EXPECT_EQ(tensor({7}, {.dtype = kInt32}).str(), "tensor([7], dtype=int32)");
}

TEST(Print, ScalarsEmptyAndSpecialValues) {
  EXPECT_EQ(full({}, 3.5).str(), "tensor(3.5000)");
  EXPECT_EQ(zeros({0}).str(), "tensor([])");
  EXPECT_EQ(zeros({0, 3}).str(), "tensor([], size=(0, 3))");
  const Tensor special = tensor({1.5, 0.0}) / tensor({0.0, 0.0});
  EXPECT_EQ(special.str(), "tensor([inf, nan])");
}

TEST(Print, ThreeDimensionsSeparateMatricesByABlankLine) {
  EXPECT_EQ(arange(8).reshape({2, 2, 2}).str(),
            "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
}

TEST(Print, LargeTensorsAreSummarised) {
  const std::string s = arange(2000).str();
  EXPECT_EQ(s.substr(0, 24), "tensor([   0,    1,    2");
  EXPECT_NE(s.find("...,"), std::string::npos);
  EXPECT_NE(s.find("1999])"), std::string::npos);
  EXPECT_LT(s.size(), 100u);
}

TEST(Print, NonContiguousViewsPrintTheirLogicalValues) {
  std::ostringstream os;
  os << arange(6).reshape({2, 3}).t();
  EXPECT_EQ(os.str(), "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])");
}

}  // namespace
}  // namespace ignis

#include <gtest/gtest.h>

#include <cstdint>

#include "support/reference.hpp"

namespace ignis {
namespace {

using testing::values_of;

TEST(Factories, ConstantsAndDefaultDTypes) {
  EXPECT_EQ(zeros({2, 3}).dtype(), kFloat32);
  EXPECT_EQ(values_of(zeros({2, 2})), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(values_of(ones({3}, {.dtype = kInt32})), (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(full({2}, 7).dtype(), kInt64);
  EXPECT_EQ(full({2}, 2.5).dtype(), kFloat32);
  EXPECT_EQ(full({2}, true).dtype(), kBool);
  EXPECT_EQ(values_of(full({2}, 2.5, {.dtype = kFloat64})), (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(empty({0, 4}).numel(), 0);
  EXPECT_EQ(zeros({}).dim(), 0);
  IGNIS_EXPECT_THROW_MSG(zeros({2, -1}), ShapeError, "[empty]", "≥ 0");
  IGNIS_EXPECT_THROW_MSG(zeros({2}, {.dtype = DType::kFloat16}), DTypeError, "float16");
}

TEST(Factories, CpuMemoryIs64ByteAligned) {
  for (std::int64_t n : {1, 3, 17, 1000}) {
    const auto address = reinterpret_cast<std::uintptr_t>(empty({n}).data_ptr());
    EXPECT_EQ(address % kCpuAlignment, 0u) << n;
  }
}

TEST(Factories, Arange) {
  EXPECT_EQ(arange(5).dtype(), kInt64);
  EXPECT_EQ(values_of(arange(5)), (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(values_of(arange(1, 10, 3)), (std::vector<double>{1, 4, 7}));
  EXPECT_EQ(values_of(arange(5, 0, -2)), (std::vector<double>{5, 3, 1}));
  const Tensor f = arange(0.0, 1.0, 0.25);
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(values_of(f), (std::vector<double>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(arange(3, 3).numel(), 0);
  const std::int64_t big = std::int64_t{1} << 60;  // integer ranges are exact beyond 2^53
  EXPECT_EQ(arange(big, big + 3).at<std::int64_t>({2}), big + 2);
  IGNIS_EXPECT_THROW_MSG(arange(0, 5, 0), ValueError, "[arange]", "zero");
  IGNIS_EXPECT_THROW_MSG(arange(0, 5, -1), ValueError, "moves away");
}

TEST(Factories, LinspaceHitsBothEndpointsExactly) {
  const Tensor x = linspace(-1.0, 1.0, 5);
  EXPECT_EQ(values_of(x), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  const Tensor y = linspace(0.1, 0.7, 7, {.dtype = kFloat64});
  EXPECT_EQ(y.at<double>({0}), 0.1);
  EXPECT_EQ(y.at<double>({6}), 0.7);
  EXPECT_EQ(values_of(linspace(3, 4, 1)), (std::vector<double>{3}));
  EXPECT_EQ(linspace(3, 4, 0).numel(), 0);
  IGNIS_EXPECT_THROW_MSG(linspace(0, 1, -1), ValueError, "[linspace]");
}

TEST(Factories, Eye) {
  EXPECT_EQ(values_of(eye(3)), (std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(values_of(eye(2, 3, {.dtype = kInt64})), (std::vector<double>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(0).numel(), 0);
}

TEST(Factories, LiteralsAndVectors) {
  const Tensor a = tensor({1, 2, 3});
  EXPECT_EQ(a.dtype(), kInt64);
  const Tensor b = tensor({{1.5, 2.5}, {3.5, 4.5}});
  EXPECT_EQ(b.dtype(), kFloat32);
  EXPECT_EQ(b.shape(), (Shape{2, 2}));
  EXPECT_EQ(b.at<float>({1, 0}), 3.5f);
  const Tensor c = tensor({{{1.0}, {2.0}}, {{3.0}, {4.0}}}, {.dtype = kFloat64});
  EXPECT_EQ(c.shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(c.dtype(), kFloat64);
  EXPECT_EQ(tensor({true, false}).dtype(), kBool);
  EXPECT_EQ(from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}).dtype(), kFloat64);
  EXPECT_EQ(values_of(from_vector(std::vector<bool>{true, false, true}, {3})), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(values_of(from_vector(std::vector<int>{4, 5}, {2}, {.dtype = kFloat32})), (std::vector<double>{4, 5}));
  IGNIS_EXPECT_THROW_MSG(tensor({{1, 2}, {3}}), ValueError, "[tensor]", "rectangular");
  IGNIS_EXPECT_THROW_MSG(from_vector(std::vector<float>{1, 2, 3}, {2, 2}), ValueError, "expected 4 values");
}

TEST(Factories, LikeFunctionsKeepShapeDTypeAndDevice) {
  const Tensor x = ones({2, 3}, {.dtype = kFloat64});
  const Tensor z = zeros_like(x);
  EXPECT_EQ(z.shape(), x.shape());
  EXPECT_EQ(z.dtype(), kFloat64);
  EXPECT_EQ(values_of(ones_like(x, TensorOptions{.dtype = kInt32})), (std::vector<double>(6, 1)));
  EXPECT_EQ(values_of(full_like(x, 4)), (std::vector<double>(6, 4)));
  EXPECT_EQ(rand_like(x).dtype(), kFloat64);
  EXPECT_EQ(randn_like(x).shape(), x.shape());
  EXPECT_EQ(empty_like(x).device(), Device::cpu());
}

TEST(Factories, ConversionsBetweenDTypes) {
  const Tensor x = tensor({-1.7, -0.2, 0.0, 0.6, 2.9});
  EXPECT_EQ(values_of(x.to(kInt64)), (std::vector<double>{-1, 0, 0, 0, 2}));  // toward zero
  EXPECT_EQ(values_of(x.to(kBool)), (std::vector<double>{1, 1, 0, 1, 1}));
  EXPECT_EQ(values_of(tensor({true, false}).to(kFloat32)), (std::vector<double>{1, 0}));
  EXPECT_EQ(values_of(tensor({300}).to(kInt32)), (std::vector<double>{300}));
  EXPECT_TRUE(x.to(kFloat32).is_same(x));
}

TEST(Factories, ItemAndElement) {
  EXPECT_EQ(tensor({4.5}).item<double>(), 4.5);
  EXPECT_EQ(full({}, 3).item<int>(), 3);
  const Tensor m = tensor({{1, 2}, {3, 4}});
  EXPECT_EQ(m.at<int>({-1, -2}), 3);
  IGNIS_EXPECT_THROW_MSG(m.item(), ValueError, "[item]", "(2, 2)", "4 elements");
  IGNIS_EXPECT_THROW_MSG(m.at<int>({0}), IndexError, "1 indices", "2 dimensions");
}

TEST(Factories, ThreadCountSetting) {
  const int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(before);
  IGNIS_EXPECT_THROW_MSG(set_num_threads(0), ValueError, "≥ 1");
}

}  // namespace
}  // namespace ignis

#include <gtest/gtest.h>

#include "ignis/core/dtype.hpp"
#include "ignis/core/error.hpp"
#include "ignis/core/scalar.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

TEST(DType, SizesAndNames) {
  EXPECT_EQ(item_size(kFloat32), 4u);
  EXPECT_EQ(item_size(kFloat64), 8u);
  EXPECT_EQ(item_size(kInt64), 8u);
  EXPECT_EQ(item_size(kInt32), 4u);
  EXPECT_EQ(item_size(kUInt8), 1u);
  EXPECT_EQ(item_size(kBool), 1u);
  EXPECT_EQ(item_size(DType::kFloat16), 2u);
  EXPECT_EQ(name(kFloat32), "float32");
  EXPECT_EQ(name(kBool), "bool");
  EXPECT_EQ(name(DType::kBFloat16), "bfloat16");
}

TEST(DType, Categories) {
  EXPECT_TRUE(is_floating_point(kFloat64));
  EXPECT_FALSE(is_floating_point(kInt64));
  EXPECT_TRUE(is_integral(kUInt8));
  EXPECT_FALSE(is_integral(kBool));
  EXPECT_FALSE(is_supported(DType::kFloat16));
  EXPECT_TRUE(is_supported(kBool));
}

TEST(DType, PromotionFollowsTheLattice) {
  EXPECT_EQ(promote_types(kBool, kUInt8), kUInt8);
  EXPECT_EQ(promote_types(kUInt8, kInt32), kInt32);
  EXPECT_EQ(promote_types(kInt32, kInt64), kInt64);
  EXPECT_EQ(promote_types(kInt64, kFloat32), kFloat32);
  EXPECT_EQ(promote_types(kFloat32, kFloat64), kFloat64);
  EXPECT_EQ(promote_types(kFloat64, kBool), kFloat64);
  EXPECT_EQ(promote_types(kInt32, kInt32), kInt32);
}

TEST(DType, ReservedHalfTypesAreRejectedByName) {
  IGNIS_EXPECT_THROW_MSG(promote_types(DType::kFloat16, kFloat32), DTypeError, "float16", "not supported yet");
  IGNIS_EXPECT_THROW_MSG(visit_dtype(DType::kBFloat16, "myop", [](auto) { return 0; }), DTypeError, "[myop]",
                         "bfloat16");
}

TEST(DType, CppTypeMapping) {
  static_assert(dtype_of<float> == kFloat32);
  static_assert(dtype_of<double> == kFloat64);
  static_assert(dtype_of<std::int64_t> == kInt64);
  static_assert(dtype_of<std::int32_t> == kInt32);
  static_assert(dtype_of<std::uint8_t> == kUInt8);
  static_assert(dtype_of<bool> == kBool);
  const std::size_t size = visit_dtype(kInt32, "test", [](auto tag) { return sizeof(typename decltype(tag)::type); });
  EXPECT_EQ(size, 4u);
}

TEST(Scalar, KindsAndDefaultDTypes) {
  EXPECT_EQ(Scalar(true).default_dtype(), kBool);
  EXPECT_EQ(Scalar(3).default_dtype(), kInt64);
  EXPECT_EQ(Scalar(3.5).default_dtype(), kFloat32);
  EXPECT_EQ(Scalar(3.5f).to<int>(), 3);
  EXPECT_EQ(Scalar(std::int64_t{1} << 60).to<std::int64_t>(), std::int64_t{1} << 60);  // exact
}

}  // namespace
}  // namespace ignis

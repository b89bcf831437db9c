// copy_/clone/to/fill_ between layouts and dtypes.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

TEST(Copy, EveryDTypePairConvertsLikeCpp) {
  const std::vector<double> src_values = {0, 1, 2, 100, 3.75};
  for (DType from : {kFloat32, kFloat64, kInt64, kInt32, kUInt8, kBool}) {
    for (DType to : {kFloat32, kFloat64, kInt64, kInt32, kUInt8, kBool}) {
      const Tensor src = from_vector(src_values, {5}, {.dtype = from});
      std::vector<double> expected;
      for (double v : values_of(src)) {
        if (to == kBool) {
          expected.push_back(v != 0);
        } else if (is_floating_point(to)) {
          expected.push_back(v);
        } else {
          expected.push_back(static_cast<double>(static_cast<std::int64_t>(v)));
        }
      }
      EXPECT_TRUE(all_close(src.to(to), {5}, expected, 0, 0)) << name(from) << " -> " << name(to);
    }
  }
}

TEST(Copy, BetweenLayoutsAndWithBroadcast) {
  std::uint64_t seed = 1;
  for (const Shape& shape : standard_shapes()) {
    for (Layout src_layout : kAllLayouts) {
      for (Layout dst_layout : kAllLayouts) {
        const Tensor src = random_tensor(shape, kFloat64, src_layout, -1, 1, seed++);
        Tensor dst = random_tensor(shape, kFloat32, dst_layout, 5, 6, seed++);
        dst.copy_(src);
        EXPECT_TRUE(all_close(dst, shape, values_of(src.to(kFloat32)), 0, 0)) << shape;
      }
    }
  }
  Tensor m = zeros({3, 2});
  m.copy_(tensor({1.0f, 2.0f}));  // broadcast over rows
  EXPECT_TRUE(all_close(m, {3, 2}, {1, 2, 1, 2, 1, 2}, 0, 0));
  IGNIS_EXPECT_THROW_MSG(m.copy_(ones({3})), ShapeError, "[expand]");
}

TEST(Copy, FillThroughStridedViews) {
  Tensor x = zeros({4, 5}, {.dtype = kInt32});
  x.slice(1, 1, 5, 2).fill_(9);
  EXPECT_TRUE(all_close(x.select(0, 3), {5}, {0, 9, 0, 9, 0}, 0, 0));
  x.t().fill_(2.7);  // converts like C++: 2
  EXPECT_EQ(sum(x).item<int>(), 40);
}

class CopyOnDevice : public DeviceTest {};

TEST_P(CopyOnDevice, RoundTripsExactlyAndConverts) {
  const Tensor x = random_tensor({33, 17}, kFloat64, Layout::kTransposed, -10, 10, 1);
  const Tensor on_device = x.to(device());
  EXPECT_EQ(on_device.device(), device());
  EXPECT_EQ(values_of(on_device.cpu()), values_of(x));
  EXPECT_EQ(values_of(on_device.to(kInt32).cpu()), values_of(x.to(kInt32)));
  Tensor target = zeros({33, 17}, {.device = device()});
  target.copy_(x);  // host -> device with conversion
  EXPECT_TRUE(all_close(target, {33, 17}, values_of(x.to(kFloat32)), 0, 0));
}

INSTANTIATE_TEST_SUITE_P(Devices, CopyOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

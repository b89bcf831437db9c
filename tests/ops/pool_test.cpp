// max_pool2d, avg_pool2d and adaptive_avg_pool2d against the double-precision reference over
// odd shapes, padding, dilation and ceil_mode; the max indices; argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/conv_reference.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct PoolCase {
  const char* name;
  Shape x;
  Pool2dOptions options;
};

void PrintTo(const PoolCase& c, std::ostream* os) { *os << c.name; }

const PoolCase kPoolCases[] = {
    {"k2_s2_even", {2, 3, 8, 6}, {.kernel_size = {2, 2}}},
    {"k2_s2_odd_floor", {2, 3, 7, 9}, {.kernel_size = {2, 2}}},
    {"k2_s2_odd_ceil", {2, 3, 7, 9}, {.kernel_size = {2, 2}, .ceil_mode = true}},
    {"k3_s2_p1", {1, 2, 9, 10}, {.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}}},
    {"k3_s2_p1_exclude_pad", {1, 2, 9, 10}, {.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}, .count_include_pad = false}},
    {"k3x2_s1x2_p1x0_ceil", {3, 1, 8, 7}, {.kernel_size = {3, 2}, .stride = Size2{1, 2}, .padding = {1, 0}, .ceil_mode = true}},
    {"k3_s3_p1_ceil", {1, 2, 10, 11}, {.kernel_size = {3, 3}, .stride = Size2{3, 3}, .padding = {1, 1}, .ceil_mode = true}},
    {"overlapping_k3_s1", {2, 2, 5, 5}, {.kernel_size = {3, 3}, .stride = Size2{1, 1}}},
    {"unbatched", {3, 6, 6}, {.kernel_size = {2, 3}}},
};

/// The output size torch computes (pooling_output_shape), for the reference.
std::int64_t expected_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d, bool ceil) {
  const double raw = static_cast<double>(in + 2 * p - d * (k - 1) - 1) / static_cast<double>(s);
  std::int64_t out = static_cast<std::int64_t>(ceil ? std::ceil(raw) : std::floor(raw)) + 1;
  if (ceil && (out - 1) * s >= in + p) --out;
  return out;
}

PoolRefParams ref_params(const PoolCase& c, const Shape& x4, bool with_dilation) {
  PoolRefParams p;
  const Size2 stride = c.options.stride.value_or(c.options.kernel_size);
  for (int d = 0; d < 2; ++d) {
    p.kernel[d] = c.options.kernel_size[d];
    p.stride[d] = stride[d];
    p.padding[d] = c.options.padding[d];
    p.dilation[d] = with_dilation ? c.options.dilation[d] : 1;
    p.out[d] = expected_size(x4[2 + d], p.kernel[d], p.stride[d], p.padding[d], p.dilation[d], c.options.ceil_mode);
  }
  p.count_include_pad = c.options.count_include_pad;
  return p;
}

class PoolReference : public ::testing::TestWithParam<std::tuple<PoolCase, DType>> {};

TEST_P(PoolReference, MaxAndAverageMatchTheReference) {
  const auto& [c, dtype] = GetParam();
  const Tensor x = random_tensor(c.x, dtype, Layout::kTransposed, -1, 1, 3);
  const Shape x4 = c.x.size() == 3 ? Shape{1, c.x[0], c.x[1], c.x[2]} : c.x;
  const PoolRefParams p = ref_params(c, x4, true);
  Shape out = c.x;
  out[out.size() - 2] = p.out[0];
  out[out.size() - 1] = p.out[1];
  const Tolerance tol = tolerance_for(dtype);
  const auto [m, indices] = ops::max_pool2d_with_indices(x, c.options);
  EXPECT_TRUE(all_close(m, out, max_pool2d_reference(x4, values_of(x), p), 0, 0));
  // Every index points at the value it reports.
  const auto xv = values_of(x), mv = values_of(m), iv = values_of(indices);
  const std::int64_t plane_in = x4[2] * x4[3], plane_out = p.out[0] * p.out[1];
  for (std::size_t i = 0; i < mv.size(); ++i) {
    const auto plane = static_cast<std::int64_t>(i) / plane_out;
    EXPECT_EQ(xv[static_cast<std::size_t>(plane * plane_in + static_cast<std::int64_t>(iv[i]))], mv[i]) << i;
  }
  EXPECT_TRUE(all_close(ops::avg_pool2d(x, c.options), out, avg_pool2d_reference(x4, values_of(x), p), tol.rtol,
                        tol.atol));
}

INSTANTIATE_TEST_SUITE_P(Shapes, PoolReference,
                         ::testing::Combine(::testing::ValuesIn(kPoolCases), ::testing::Values(kFloat32, kFloat64)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) == kFloat32 ? "_f32" : "_f64");
                         });

TEST(MaxPool2d, DilationMatchesTheReference) {
  const Tensor x = random_tensor({2, 3, 11, 10}, kFloat32, Layout::kContiguous, -1, 1, 4);
  const PoolCase c{"dilated", x.shape(), {.kernel_size = {3, 2}, .stride = Size2{2, 1}, .padding = {1, 1}, .dilation = {2, 3}}};
  const PoolRefParams p = ref_params(c, x.shape(), true);
  EXPECT_TRUE(all_close(ops::max_pool2d_with_indices(x, c.options).first, {2, 3, p.out[0], p.out[1]},
                        max_pool2d_reference(x.shape(), values_of(x), p), 0, 0));
}

TEST(MaxPool2d, NanWinsAndTiesTakeTheFirstIndex) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = tensor({1.0, 5.0, 2.0, nan, 5.0, 0.0, 3.0, 3.0}).reshape({1, 1, 2, 4});
  const auto [m, indices] = ops::max_pool2d_with_indices(x, {.kernel_size = {2, 2}});
  const auto mv = values_of(m);
  EXPECT_EQ(mv[0], 5.0);
  EXPECT_TRUE(std::isnan(mv[1]));
  EXPECT_TRUE(all_close(indices, {1, 1, 1, 2}, {1, 3}, 0, 0));
}

// float32 pools through oneDNN (its JIT kernels for larger planes, simpler ones for small), with
// max pooling's indices read from the primitive's workspace; float64 through the loops. With
// many ties (small integers, exact in both dtypes) the two must pick the same index everywhere,
// and the average gradients (oneDNN's backward primitive for float32) must agree.
TEST(Pool2d, Float32PrimitivesAgreeWithTheFloat64LoopsIncludingTies) {
  const std::vector<Shape> shapes{{2, 3, 7, 9}, {4, 16, 28, 28}, {3, 5, 13, 11}};
  for (const Shape& shape : shapes) {
    const Tensor x64 = random_tensor(shape, kInt32, Layout::kContiguous, 0, 4, 11).to(kFloat64);
    const Tensor x32 = x64.to(kFloat32);
    for (const PoolCase& c : kPoolCases) {
      if (c.x.size() != 4) continue;
      const auto [m32, i32] = ops::max_pool2d_with_indices(x32, c.options);
      const auto [m64, i64] = ops::max_pool2d_with_indices(x64, c.options);
      EXPECT_TRUE(all_close(m32, m64.shape(), values_of(m64), 0, 0)) << c.name << " " << shape;
      EXPECT_TRUE(all_close(i32, i64.shape(), values_of(i64), 0, 0)) << c.name << " " << shape;
      const Tensor g64 = random_tensor(m64.shape(), kInt32, Layout::kContiguous, -3, 3, 12).to(kFloat64);
      EXPECT_TRUE(all_close(ops::avg_pool2d_backward(g64.to(kFloat32), shape, c.options), shape,
                            values_of(ops::avg_pool2d_backward(g64, shape, c.options)), 1e-6, 1e-6))
          << c.name << " " << shape;
      EXPECT_TRUE(all_close(ops::avg_pool2d(x32, c.options), m64.shape(), values_of(ops::avg_pool2d(x64, c.options)),
                            1e-6, 1e-6))
          << c.name << " " << shape;
    }
    const Pool2dOptions dilated{.kernel_size = {3, 2}, .stride = Size2{2, 1}, .padding = {1, 1}, .dilation = {2, 3}};
    EXPECT_TRUE(all_close(ops::max_pool2d_with_indices(x32, dilated).second,
                          ops::max_pool2d_with_indices(x64, dilated).second.shape(),
                          values_of(ops::max_pool2d_with_indices(x64, dilated).second), 0, 0))
        << shape;
  }
}

TEST(MaxPool2d, NanWinsInFloat32Too) {
  std::vector<float> values(2 * 4 * 16 * 16, 1.0f);
  values[37] = std::numeric_limits<float>::quiet_NaN();
  values[38] = 2.0f;  // larger than its neighbours, but the NaN wins
  const Tensor x = from_vector(values, {2, 4, 16, 16});
  const auto [m, indices] = ops::max_pool2d_with_indices(x, {.kernel_size = {2, 2}});
  const auto mv = values_of(m), iv = values_of(indices);
  // Element 37 of plane 0 is (2, 5): output (1, 2) of the 8 x 8 output plane.
  EXPECT_TRUE(std::isnan(mv[1 * 8 + 2]));
  EXPECT_EQ(iv[1 * 8 + 2], 37);
}

TEST(AdaptiveAvgPool2d, MatchesTheReferenceForDivisibleAndUnevenSizes) {
  const Tensor x = random_tensor({2, 3, 7, 10}, kFloat64, Layout::kStrided, -1, 1, 5);
  for (const Size2 out : {Size2{1, 1}, Size2{3, 4}, Size2{7, 5}, Size2{9, 12}}) {
    EXPECT_TRUE(all_close(ops::adaptive_avg_pool2d(x, out), {2, 3, out[0], out[1]},
                          adaptive_avg_pool2d_reference(x.shape(), values_of(x), out[0], out[1]), 1e-12, 1e-14))
        << out[0] << "x" << out[1];
  }
}

TEST(Pool2d, BadArgumentsAreTypedErrorsThatNameTheProblem) {
  const Tensor x = zeros({1, 2, 4, 4});
  IGNIS_EXPECT_THROW_MSG(ops::max_pool2d_with_indices(zeros({4, 4}), {}), ShapeError, "[max_pool2d]", "4-D");
  IGNIS_EXPECT_THROW_MSG(ops::max_pool2d_with_indices(x, {.kernel_size = {2, 2}, .padding = {2, 0}}), ValueError,
                         "at most half of kernel_size");
  IGNIS_EXPECT_THROW_MSG(ops::avg_pool2d(x, {.kernel_size = {5, 5}}), ShapeError, "[avg_pool2d]", "too small");
  IGNIS_EXPECT_THROW_MSG(ops::avg_pool2d(x, {.kernel_size = {0, 2}}), ValueError, "must be positive");
  IGNIS_EXPECT_THROW_MSG(ops::adaptive_avg_pool2d(x, {0, 2}), ValueError, "output_size must be positive");
  IGNIS_EXPECT_THROW_MSG(ops::avg_pool2d(zeros({1, 2, 4, 4}, {.dtype = DType::kInt64}), {}), DTypeError,
                         "float32 or float64");
}

}  // namespace
}  // namespace ignis

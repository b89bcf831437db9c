// Layer normalisation (the fused op: the CPU's row loops, the CUDA kernels on a device): the
// forward and its statistics against a double-precision reference written here from the
// definition; the fused gradients against the gradients of the same function composed from
// differentiable ops (mean, sub, mul, rsqrt) in float64; gradcheck; argument errors; empty
// inputs; CPU-vs-device agreement.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct Case {
  Shape x, normalized;
};

const Case kCases[] = {{{4, 3}, {3}},         {{2, 3, 5}, {5}},       {{2, 3, 4}, {3, 4}}, {{7, 1}, {1}},
                       {{16, 9, 256}, {256}}, {{3, 2, 37}, {2, 37}}, {{5}, {5}}};

struct Reference {
  std::vector<double> y, mean, rstd;
};

/// y per row of n values from the definition, in double.
Reference reference(const Tensor& x, std::int64_t n, const std::vector<double>& w, const std::vector<double>& b,
                    double eps) {
  const std::vector<double> v = values_of(x);
  const std::int64_t rows = n == 0 ? 0 : static_cast<std::int64_t>(v.size()) / n;
  Reference r{std::vector<double>(v.size()), {}, {}};
  for (std::int64_t row = 0; row < rows; ++row) {
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < n; ++j) mean += v[row * n + j] / static_cast<double>(n);
    for (std::int64_t j = 0; j < n; ++j) var += (v[row * n + j] - mean) * (v[row * n + j] - mean) / static_cast<double>(n);
    const double rstd = 1 / std::sqrt(var + eps);
    r.mean.push_back(mean);
    r.rstd.push_back(rstd);
    for (std::int64_t j = 0; j < n; ++j) {
      r.y[row * n + j] = (v[row * n + j] - mean) * rstd * (w.empty() ? 1.0 : w[j]) + (b.empty() ? 0.0 : b[j]);
    }
  }
  return r;
}

/// The composed form nn::functional::layer_norm had before the fused op, differentiable.
Tensor composed(const Tensor& x, const Shape& normalized, const Tensor& w, const Tensor& b, double eps) {
  Dims dims;
  for (int i = 0; i < normalized.size(); ++i) dims.push_back(x.dim() - normalized.size() + i);
  const Tensor centered = x - mean(x, dims, kKeepDim);
  Tensor y = centered * rsqrt(mean(centered * centered, dims, kKeepDim) + eps);
  if (w.defined()) y = y * w;
  if (b.defined()) y = y + b;
  return y;
}

std::int64_t numel_of(const Shape& s) {
  std::int64_t n = 1;
  for (int i = 0; i < s.size(); ++i) n *= s[i];
  return n;
}

TEST(LayerNormOp, ForwardAndStatisticsMatchTheDefinition) {
  std::uint64_t seed = 1;
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tolerance tol = tolerance_for(dtype);
    for (const Case& c : kCases) {
      for (int affine = 0; affine < 3; ++affine) {  // none, weight only, weight and bias
        const Tensor x = random_tensor(c.x, dtype, Layout::kContiguous, -3, 5, seed++);
        const Tensor w = random_tensor(c.normalized, dtype, Layout::kContiguous, -2, 2, seed++);
        const Tensor b = random_tensor(c.normalized, dtype, Layout::kContiguous, -2, 2, seed++);
        const auto out = ops::layer_norm(x, c.normalized, affine >= 1 ? std::optional(w) : std::nullopt,
                                         affine == 2 ? std::optional(b) : std::nullopt, 1e-5);
        const Reference r = reference(x, numel_of(c.normalized), affine >= 1 ? values_of(w) : std::vector<double>{},
                                      affine == 2 ? values_of(b) : std::vector<double>{}, 1e-5);
        Shape leading;
        for (int i = 0; i < c.x.size() - c.normalized.size(); ++i) leading.push_back(c.x[i]);
        EXPECT_TRUE(all_close(out.y, c.x, r.y, tol.rtol, tol.atol)) << c.x << " affine " << affine << " " << dtype;
        EXPECT_TRUE(all_close(out.mean, leading, r.mean, tol.rtol, tol.atol)) << c.x;
        EXPECT_TRUE(all_close(out.rstd, leading, r.rstd, tol.rtol, tol.atol)) << c.x;
      }
    }
  }
}

TEST(LayerNormOp, NonContiguousInputIsNormalisedByItsValues) {
  const Tensor x = random_tensor({6, 8}, kFloat64, Layout::kTransposed, -1, 1, 7);
  const auto out = ops::layer_norm(x, {8}, std::nullopt, std::nullopt, 1e-5);
  EXPECT_TRUE(all_close(out.y, {6, 8}, reference(x, 8, {}, {}, 1e-5).y, 1e-12, 1e-12));
}

/// The gradients of (layer_norm(x) * probe).sum() for x, w, b by backward().
std::vector<Tensor> gradients(bool fused, const Tensor& x0, const Shape& normalized, const Tensor& w0,
                              const Tensor& b0, const Tensor& probe) {
  const Tensor x = x0.detach().requires_grad_(true);
  const Tensor w = w0.defined() ? w0.detach().requires_grad_(true) : Tensor();
  const Tensor b = b0.defined() ? b0.detach().requires_grad_(true) : Tensor();
  const Tensor y = fused ? nn::functional::layer_norm(x, normalized, w.defined() ? std::optional(w) : std::nullopt,
                                                      b.defined() ? std::optional(b) : std::nullopt, 1e-5)
                         : composed(x, normalized, w, b, 1e-5);
  (y * probe).sum().backward();
  return {x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor()};
}

TEST(LayerNormOp, FusedGradientsMatchTheComposedOnesInFloat64AndFloat32) {
  std::uint64_t seed = 50;
  for (DType dtype : {kFloat64, kFloat32}) {
    for (const Case& c : kCases) {
      for (bool affine : {true, false}) {
        const Tensor x = random_tensor(c.x, kFloat64, Layout::kContiguous, -3, 5, seed++);
        const Tensor probe = random_tensor(c.x, kFloat64, Layout::kContiguous, -1, 1, seed++);
        const Tensor w = affine ? random_tensor(c.normalized, kFloat64, Layout::kContiguous, -2, 2, seed++) : Tensor();
        const Tensor b = affine ? random_tensor(c.normalized, kFloat64, Layout::kContiguous, -2, 2, seed++) : Tensor();
        const auto expected = gradients(false, x, c.normalized, w, b, probe);  // float64 reference
        const auto got = gradients(true, x.to(dtype), c.normalized, affine ? w.to(dtype) : Tensor(),
                                   affine ? b.to(dtype) : Tensor(), probe.to(dtype));
        const double tol = dtype == kFloat64 ? 1e-10 : 2e-4;
        for (std::size_t i = 0; i < expected.size(); ++i) {
          ASSERT_EQ(got[i].defined(), expected[i].defined()) << i;
          if (!got[i].defined()) continue;
          EXPECT_EQ(got[i].dtype(), dtype);
          EXPECT_TRUE(all_close(got[i], expected[i].shape(), values_of(expected[i]), tol, tol))
              << c.x << (affine ? " affine" : " plain") << " " << dtype << " gradient " << i;
        }
      }
    }
  }
}

TEST(LayerNormOp, Gradchecks) {
  const Tensor x = randn({3, 2, 5}, {.dtype = kFloat64});
  const Tensor w = randn({2, 5}, {.dtype = kFloat64}), b = randn({2, 5}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck([](auto& v) { return nn::functional::layer_norm(v[0], {2, 5}, v[1], v[2]); }, {x, w, b}).ok);
  EXPECT_TRUE(gradcheck([](auto& v) { return nn::functional::layer_norm(v[0], {5}, std::nullopt, v[1]); },
                        {x, randn({5}, {.dtype = kFloat64})})
                  .ok);
  EXPECT_TRUE(gradcheck([](auto& v) { return nn::functional::layer_norm(v[0], {5}); }, {x}).ok);
}

TEST(LayerNormOp, EmptyInputsGiveEmptyOutputsAndZeroParameterGradients) {
  const Tensor x = zeros({0, 4}, {.dtype = kFloat64}).requires_grad_(true);
  const Tensor w = ones({4}, {.dtype = kFloat64}).requires_grad_(true);
  const Tensor b = zeros({4}, {.dtype = kFloat64}).requires_grad_(true);
  const Tensor y = nn::functional::layer_norm(x, {4}, w, b);
  EXPECT_EQ(y.shape(), (Shape{0, 4}));
  y.sum().backward();
  EXPECT_TRUE(all_close(w.grad(), {4}, {0, 0, 0, 0}, 0, 0));
  EXPECT_TRUE(all_close(b.grad(), {4}, {0, 0, 0, 0}, 0, 0));
}

TEST(LayerNormOp, RejectsBadArgumentsWithTheFix) {
  const Tensor x = randn({2, 3, 4});
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x, {5}, std::nullopt, std::nullopt, 1e-5), ShapeError, "[layer_norm]",
                         "(2, 3, 4)", "(5)");
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x, {4}, randn({3}), std::nullopt, 1e-5), ShapeError, "weight", "(3)",
                         "(4)");
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x, {4}, std::nullopt, randn({2, 4}), 1e-5), ShapeError, "bias", "(2, 4)");
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x, {4}, randn({4}, {.dtype = kFloat64}), std::nullopt, 1e-5), DTypeError,
                         "float32", "float64");
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x.to(kInt32), {4}, std::nullopt, std::nullopt, 1e-5), DTypeError,
                         "float32 or float64");
  IGNIS_EXPECT_THROW_MSG(ops::layer_norm(x, {4}, std::nullopt, std::nullopt, -1.0), ValueError, "eps");
}

class LayerNormDevice : public DeviceTest {};

TEST_P(LayerNormDevice, AgreesWithTheCpuForwardAndBackward) {
  std::uint64_t seed = 90;
  for (DType dtype : {kFloat32, kFloat64}) {
    // 300 columns: more than one block's threads per row; 1 column; two normalized dimensions.
    for (const Case& c : {Case{{5, 300}, {300}}, Case{{4, 1}, {1}}, Case{{3, 2, 6, 5}, {6, 5}}}) {
      for (bool affine : {true, false}) {
        const Tensor x = random_tensor(c.x, dtype, Layout::kContiguous, -3, 5, seed++);
        const Tensor probe = random_tensor(c.x, dtype, Layout::kContiguous, -1, 1, seed++);
        const Tensor w = affine ? random_tensor(c.normalized, dtype, Layout::kContiguous, -2, 2, seed++) : Tensor();
        const Tensor b = affine ? random_tensor(c.normalized, dtype, Layout::kContiguous, -2, 2, seed++) : Tensor();
        const auto on_cpu = gradients(true, x, c.normalized, w, b, probe);
        const auto on_device = gradients(true, x.to(device()), c.normalized, affine ? w.to(device()) : Tensor(),
                                         affine ? b.to(device()) : Tensor(), probe.to(device()));
        const Tolerance tol = tolerance_for(dtype);
        for (std::size_t i = 0; i < on_cpu.size(); ++i) {
          if (!on_cpu[i].defined()) continue;
          EXPECT_EQ(on_device[i].device(), device());
          EXPECT_TRUE(all_close(on_device[i], on_cpu[i].shape(), values_of(on_cpu[i]), tol.rtol * 10, tol.atol * 10))
              << c.x << " " << dtype << (affine ? " affine" : " plain") << " gradient " << i;
        }
        const auto yc = ops::layer_norm(x, c.normalized, affine ? std::optional(w) : std::nullopt,
                                        affine ? std::optional(b) : std::nullopt, 1e-5);
        const auto yd = ops::layer_norm(x.to(device()), c.normalized,
                                        affine ? std::optional(w.to(device())) : std::nullopt,
                                        affine ? std::optional(b.to(device())) : std::nullopt, 1e-5);
        EXPECT_TRUE(all_close(yd.y, c.x, values_of(yc.y), tol.rtol * 10, tol.atol * 10)) << c.x << " " << dtype;
        EXPECT_TRUE(all_close(yd.rstd, yc.rstd.shape(), values_of(yc.rstd), tol.rtol * 10, tol.atol * 10));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, LayerNormDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

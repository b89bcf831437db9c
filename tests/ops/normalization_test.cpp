// Batch normalisation (the CPU's per-channel loops; the CUDA kernels on a GPU): the forward
// against a double-precision reference written here from the definition, the float32 gradients
// against the float64 ones (which gradcheck checks numerically in tests/nn/conv_layers_test.cpp),
// argument errors, CPU-vs-device agreement.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

struct NormReference {
  std::vector<double> y, mean, var;
};

/// y per channel from x (N, C, ...) with the batch's statistics (training) or the given ones.
NormReference reference(const Tensor& x, const std::vector<double>& weight, const std::vector<double>& bias,
                        bool training, const std::vector<double>& given_mean, const std::vector<double>& given_var,
                        double eps) {
  const std::vector<double> v = values_of(x);
  const std::int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  NormReference r{std::vector<double>(v.size()), given_mean, given_var};
  if (training) {
    r.mean.assign(c, 0);
    r.var.assign(c, 0);
    for (std::int64_t i = 0; i < x.numel(); ++i) r.mean[i / s % c] += v[i] / static_cast<double>(n * s);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double d = v[i] - r.mean[i / s % c];
      r.var[i / s % c] += d * d / static_cast<double>(n * s);
    }
  }
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::int64_t ch = i / s % c;
    const double w = weight.empty() ? 1.0 : weight[ch], b = bias.empty() ? 0.0 : bias[ch];
    r.y[i] = (v[i] - r.mean[ch]) / std::sqrt(r.var[ch] + eps) * w + b;
  }
  return r;
}

const Shape kShapes[] = {{4, 3}, {3, 2, 5}, {2, 3, 3, 4}, {5, 7, 3, 1}, {64, 4, 6, 6}};

TEST(BatchNormOp, ForwardMatchesTheDefinitionInTrainingAndEvaluation) {
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tolerance tol = tolerance_for(dtype);
    for (const Shape& shape : kShapes) {
      for (bool affine : {true, false}) {
        const Tensor x = randn(shape, {.dtype = dtype}) * 2.0 + 0.5;
        const std::int64_t c = shape[1];
        const Tensor w = randn({c}, {.dtype = dtype}), b = randn({c}, {.dtype = dtype});
        const std::vector<double> wv = affine ? values_of(w) : std::vector<double>{};
        const std::vector<double> bv = affine ? values_of(b) : std::vector<double>{};
        const auto opt = [&](const Tensor& t) { return affine ? std::optional<Tensor>(t) : std::nullopt; };

        const ops::BatchNormForward train = ops::batch_norm(x, opt(w), opt(b), std::nullopt, std::nullopt, true, 1e-5);
        const NormReference rt = reference(x, wv, bv, true, {}, {}, 1e-5);
        EXPECT_TRUE(all_close(train.y, shape, rt.y, tol.rtol * 10, tol.atol * 10)) << shape << " " << dtype;
        EXPECT_TRUE(all_close(train.mean, {c}, rt.mean, tol.rtol, tol.atol)) << shape << " " << dtype;
        EXPECT_TRUE(all_close(train.var, {c}, rt.var, tol.rtol * 10, tol.atol)) << shape << " " << dtype;

        const Tensor rm = randn({c}, {.dtype = dtype}), rv = rand({c}, {.dtype = dtype}) + 0.5;
        const ops::BatchNormForward eval = ops::batch_norm(x, opt(w), opt(b), rm, rv, false, 1e-3);
        const NormReference re = reference(x, wv, bv, false, values_of(rm), values_of(rv), 1e-3);
        EXPECT_TRUE(all_close(eval.y, shape, re.y, tol.rtol * 10, tol.atol * 10)) << shape << " " << dtype;
      }
    }
  }
}

/// The gradients of sum(y * g) with respect to x, weight and bias through the autograd op.
std::vector<Tensor> gradients(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& g, bool affine,
                              bool training, const Tensor& rm, const Tensor& rv) {
  const Tensor xr = x.detach().requires_grad_(), wr = w.detach().requires_grad_(), br = b.detach().requires_grad_();
  const auto opt = [&](const Tensor& t) { return affine ? std::optional<Tensor>(t) : std::nullopt; };
  const Tensor y = batch_norm_with_stats(xr, opt(wr), opt(br), training ? std::nullopt : std::optional<Tensor>(rm),
                                         training ? std::nullopt : std::optional<Tensor>(rv), training, 1e-5)
                       .y;
  sum(y * g).backward();
  return affine ? std::vector<Tensor>{xr.grad(), wr.grad(), br.grad()} : std::vector<Tensor>{xr.grad()};
}

TEST(BatchNormOp, Float32GradientsAgreeWithFloat64) {
  for (const Shape& shape : kShapes) {
    for (bool affine : {true, false}) {
      for (bool training : {true, false}) {
        const std::int64_t c = shape[1];
        const Tensor x = randn(shape, {.dtype = kFloat64}) * 1.5 - 0.3, g = randn(shape, {.dtype = kFloat64});
        const Tensor w = randn({c}, {.dtype = kFloat64}), b = randn({c}, {.dtype = kFloat64});
        const Tensor rm = randn({c}, {.dtype = kFloat64}), rv = rand({c}, {.dtype = kFloat64}) + 0.5;
        const auto f64 = gradients(x, w, b, g, affine, training, rm, rv);
        const auto f32 = gradients(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), g.to(kFloat32), affine, training,
                                   rm.to(kFloat32), rv.to(kFloat32));
        ASSERT_EQ(f64.size(), f32.size());
        for (std::size_t i = 0; i < f64.size(); ++i) {
          EXPECT_EQ(f32[i].dtype(), kFloat32);
          EXPECT_TRUE(all_close(f32[i], f64[i].shape(), values_of(f64[i]), 1e-3, 1e-4))
              << shape << (affine ? " affine" : " plain") << (training ? " training" : " eval") << " gradient " << i;
        }
      }
    }
  }
}

TEST(BatchNormOp, RejectsBadArgumentsWithTheFix) {
  const Tensor x = randn({4, 3, 2});
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(randn({4}), std::nullopt, std::nullopt, std::nullopt, std::nullopt, true, 1e-5),
                         ShapeError, "(N, C, ...)", "(4)");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(x, randn({4}), std::nullopt, std::nullopt, std::nullopt, true, 1e-5),
                         ShapeError, "3 channels", "weight", "(4)");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(x, randn({3}, {.dtype = kFloat64}), std::nullopt, std::nullopt, std::nullopt,
                                         true, 1e-5),
                         DTypeError, "float32", "float64");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(x.to(kInt32), std::nullopt, std::nullopt, std::nullopt, std::nullopt, true,
                                         1e-5),
                         DTypeError, "float32 or float64", ".to(");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(x, std::nullopt, std::nullopt, std::nullopt, std::nullopt, false, 1e-5),
                         ValueError, "running_mean and running_var");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(x, std::nullopt, std::nullopt, std::nullopt, std::nullopt, true, -1.0),
                         ValueError, "eps");
  IGNIS_EXPECT_THROW_MSG(ops::batch_norm(randn({1, 3}), std::nullopt, std::nullopt, std::nullopt, std::nullopt, true,
                                         1e-5),
                         ValueError, "more than 1 value per channel", "eval mode");
}

TEST(BatchNormOp, EvaluationOfAnEmptyBatchIsEmpty) {
  const ops::BatchNormForward out =
      ops::batch_norm(zeros({0, 3, 2}), std::nullopt, std::nullopt, zeros({3}), ones({3}), false, 1e-5);
  EXPECT_EQ(out.y.shape(), (Shape{0, 3, 2}));
}

class BatchNormDevice : public DeviceTest {};

TEST_P(BatchNormDevice, AgreesWithTheCpuForwardAndBackward) {
  for (DType dtype : {kFloat32, kFloat64}) {
    for (bool training : {true, false}) {
      const Shape shape{8, 5, 7, 3};
      const Tensor x = randn(shape, {.dtype = dtype}), g = randn(shape, {.dtype = dtype});
      const Tensor w = randn({5}, {.dtype = dtype}), b = randn({5}, {.dtype = dtype});
      const Tensor rm = randn({5}, {.dtype = dtype}), rv = rand({5}, {.dtype = dtype}) + 0.5;
      const auto cpu = gradients(x, w, b, g, true, training, rm, rv);
      const auto dev = gradients(x.to(device()), w.to(device()), b.to(device()), g.to(device()), true, training,
                                 rm.to(device()), rv.to(device()));
      const Tolerance tol = tolerance_for(dtype);
      for (std::size_t i = 0; i < cpu.size(); ++i) {
        EXPECT_EQ(dev[i].device(), device());
        EXPECT_TRUE(all_close(dev[i], cpu[i].shape(), values_of(cpu[i]), tol.rtol * 10, tol.atol * 10))
            << dtype << (training ? " training" : " eval") << " gradient " << i;
      }
      const auto yc = ops::batch_norm(x, w, b, rm, rv, training, 1e-5);
      const auto yd = ops::batch_norm(x.to(device()), w.to(device()), b.to(device()), rm.to(device()), rv.to(device()),
                                      training, 1e-5);
      EXPECT_TRUE(all_close(yd.y, shape, values_of(yc.y), tol.rtol * 10, tol.atol * 10)) << dtype;
      EXPECT_TRUE(all_close(yd.var, {5}, values_of(yc.var), tol.rtol * 10, tol.atol)) << dtype;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, BatchNormDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

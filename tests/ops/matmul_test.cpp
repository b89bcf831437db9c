// matmul (torch.matmul's shape rules, GEMM through oneDNN for float32) and linear.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

/// Plain triple loop on (broadcast) batched matrices, in double.
std::vector<double> reference_matmul(const Tensor& a, const Tensor& b, const Shape& out_shape) {
  const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(-1) : b;
  const std::int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  Shape batch(std::span<const std::int64_t>(out_shape.begin(), out_shape.size() - (a.dim() > 1) - (b.dim() > 1)));
  Shape full_shape = batch;
  full_shape.push_back(m);
  full_shape.push_back(n);
  const auto va = values_of(a2), vb = values_of(b2);
  std::vector<double> out;
  for_each_index(full_shape, [&](const std::vector<std::int64_t>& idx, std::int64_t) {
    std::vector<std::int64_t> ia(idx.begin(), idx.end() - 2), ib = ia;
    const std::int64_t i = idx[idx.size() - 2], j = idx.back();
    double acc = 0;
    for (std::int64_t p = 0; p < k; ++p) {
      ia.push_back(i);
      ia.push_back(p);
      ib.push_back(p);
      ib.push_back(j);
      acc += broadcast_value(a2, va, ia) * broadcast_value(b2, vb, ib);
      ia.resize(ia.size() - 2);
      ib.resize(ib.size() - 2);
    }
    out.push_back(acc);
  });
  return out;
}

struct MatmulShapes {
  Shape a, b, out;
};

const MatmulShapes kShapes[] = {
    {{3, 4}, {4, 5}, {3, 5}},          {{4}, {4}, {}},
    {{4}, {4, 5}, {5}},                {{3, 4}, {4}, {3}},
    {{2, 3, 4}, {4, 5}, {2, 3, 5}},    {{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},
    {{1, 1}, {1, 1}, {1, 1}},          {{0, 4}, {4, 5}, {0, 5}},
    {{3, 0}, {0, 5}, {3, 5}},          {{65, 129}, {129, 33}, {65, 33}},
    {{3, 7, 16}, {3, 16, 9}, {3, 7, 9}},
};

TEST(Matmul, MatchesReferenceForEveryShapeRuleDTypeAndLayout) {
  std::uint64_t seed = 1;
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    for (const auto& s : kShapes) {
      for (Layout la : {Layout::kContiguous, Layout::kTransposed, Layout::kStrided}) {
        for (Layout lb : {Layout::kContiguous, Layout::kTransposed, Layout::kOffset}) {
          const Tensor a = random_tensor(s.a, dtype, la, -2, 2, seed++);
          const Tensor b = random_tensor(s.b, dtype, lb, -2, 2, seed++);
          const Tensor y = matmul(a, b);
          const double rtol = dtype == kFloat32 ? 1e-4 : (dtype == kFloat64 ? 1e-12 : 0);
          const double atol = dtype == kFloat32 ? 1e-4 : (dtype == kFloat64 ? 1e-12 : 0);
          EXPECT_EQ(y.dtype(), dtype);
          EXPECT_TRUE(all_close(y, s.out, reference_matmul(a, b, s.out), rtol, atol))
              << name(dtype) << " " << s.a << " x " << s.b << " " << name(la) << "/" << name(lb);
        }
      }
    }
  }
}

TEST(Matmul, KnownValues) {
  const Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}});
  const Tensor b = tensor({{5.0, 6.0}, {7.0, 8.0}});
  EXPECT_TRUE(all_close(matmul(a, b), {2, 2}, {19, 22, 43, 50}, 0, 0));
  EXPECT_TRUE(all_close(matmul(a, b.t()), {2, 2}, {17, 23, 39, 53}, 0, 0));
  EXPECT_TRUE(all_close(matmul(tensor({1.0, 2.0}), tensor({3.0, 4.0})), {}, {11}, 0, 0));
  EXPECT_EQ(matmul(tensor({{1, 2}}), tensor({{3.0}, {4.0}})).dtype(), kFloat32);  // promotes
}

TEST(Matmul, ErrorsNameTheShapes) {
  IGNIS_EXPECT_THROW_MSG(matmul(ones({32, 64}), ones({63, 10})), ShapeError,
                         "[matmul] inner dimensions differ: (32, 64) x (63, 10)");
  IGNIS_EXPECT_THROW_MSG(matmul(ones({2, 3, 4}), ones({3, 4, 5})), ShapeError, "[matmul]", "do not broadcast");
  IGNIS_EXPECT_THROW_MSG(matmul(full({}, 1.0), ones({3})), ShapeError, "at least 1 dimension");
  IGNIS_EXPECT_THROW_MSG(matmul(tensor({true}), tensor({true})), DTypeError, "bool");
}

TEST(Linear, MatchesMatmulPlusBias) {
  std::uint64_t seed = 50;
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Shape& xs : {Shape{5, 7}, Shape{2, 3, 7}, Shape{7}, Shape{0, 7}}) {
      const Tensor x = random_tensor(xs, dtype, Layout::kContiguous, -1, 1, seed++);
      const Tensor w = random_tensor({4, 7}, dtype, Layout::kTransposed, -1, 1, seed++);
      const Tensor b = random_tensor({4}, dtype, Layout::kContiguous, -1, 1, seed++);
      const Tensor expected = matmul(x, w.t()) + b;
      const double tol = dtype == kFloat32 ? 1e-5 : 1e-12;
      EXPECT_TRUE(all_close(linear(x, w, b), expected.shape(), values_of(expected), tol, tol)) << xs;
      const Tensor no_bias = matmul(x, w.t());
      EXPECT_TRUE(all_close(linear(x, w), no_bias.shape(), values_of(no_bias), tol, tol)) << xs;
    }
  }
}

TEST(Linear, ErrorsSayWhatIsWrong) {
  const Tensor w = ones({4, 7});
  IGNIS_EXPECT_THROW_MSG(linear(ones({5, 6}), w), ShapeError, "[linear]", "6 features", "expects 7");
  IGNIS_EXPECT_THROW_MSG(linear(ones({5, 7}), w, ones({3})), ShapeError, "[linear] bias", "(4)");
  IGNIS_EXPECT_THROW_MSG(linear(ones({5, 7}, {.dtype = kFloat64}), w), DTypeError, "float64", "float32");
  IGNIS_EXPECT_THROW_MSG(linear(ones({5, 7}), ones({7})), ShapeError, "weight must be 2-D");
}

class MatmulOnDevice : public DeviceTest {};

TEST_P(MatmulOnDevice, AgreesWithTheCpu) {
  const Tensor a = random_tensor({3, 65, 129}, kFloat32, Layout::kContiguous, -1, 1, 1);
  const Tensor b = random_tensor({129, 47}, kFloat32, Layout::kTransposed, -1, 1, 2);
  const Tensor cpu = matmul(a, b);
  EXPECT_TRUE(all_close(matmul(a.to(device()), b.to(device())), cpu.shape(), values_of(cpu), 1e-3, 1e-3));
  const Tensor bias = random_tensor({129}, kFloat32, Layout::kContiguous, -1, 1, 3);
  const Tensor lin = linear(b.t(), a.select(0, 0), bias.narrow(0, 0, 65));
  EXPECT_TRUE(all_close(linear(b.t().to(device()), a.select(0, 0).to(device()), bias.narrow(0, 0, 65).to(device())),
                        lin.shape(), values_of(lin), 1e-3, 1e-3));
}

INSTANTIATE_TEST_SUITE_P(Devices, MatmulOnDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis

// Every differentiable op passes gradcheck (central differences in float64, PyTorch's default
// tolerances) over shapes with broadcasting and views.
#include <gtest/gtest.h>

#include <functional>

#include "support/reference.hpp"

namespace ignis {
namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCase {
  const char* name;
  Fn f;
  std::vector<Shape> shapes;
  double lo = -2, hi = 2;  // input range (keep away from kinks where the case needs it)
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.name; }

/// Random float64 inputs in [lo, hi), or with |x| ≥ 0.2 where `away_from_zero`.
std::vector<Tensor> inputs_for(const GradCase& c, std::uint64_t seed) {
  std::vector<Tensor> xs;
  for (const Shape& s : c.shapes) {
    xs.push_back(testing::random_tensor(s, kFloat64, testing::Layout::kContiguous, c.lo, c.hi, seed++));
  }
  return xs;
}

const GradCase kCases[] = {
    {"neg", [](auto& x) { return neg(x[0]); }, {{3, 4}}},
    {"abs", [](auto& x) { return abs(x[0]); }, {{3, 4}}, 0.2, 2},
    {"relu", [](auto& x) { return relu(x[0] - 1.0); }, {{3, 4}}, 0.2, 0.9},
    {"relu_positive", [](auto& x) { return relu(x[0]); }, {{3, 4}}, 0.2, 2},
    {"exp", [](auto& x) { return exp(x[0]); }, {{3, 4}}},
    {"log", [](auto& x) { return log(x[0]); }, {{3, 4}}, 0.5, 3},
    {"sqrt", [](auto& x) { return sqrt(x[0]); }, {{5}}, 0.5, 3},
    {"rsqrt", [](auto& x) { return rsqrt(x[0]); }, {{5}}, 0.5, 3},
    {"sin", [](auto& x) { return sin(x[0]); }, {{3, 4}}},
    {"cos", [](auto& x) { return cos(x[0]); }, {{3, 4}}},
    {"tanh", [](auto& x) { return tanh(x[0]); }, {{3, 4}}},
    {"sigmoid", [](auto& x) { return sigmoid(x[0]); }, {{3, 4}}},
    {"erf", [](auto& x) { return erf(x[0]); }, {{3, 4}}},
    {"gelu", [](auto& x) { return gelu(x[0]); }, {{3, 4}}},
    {"gelu_tanh", [](auto& x) { return gelu(x[0], GeluApproximation::kTanh); }, {{3, 4}}, -4, 4},
    {"masked_fill", [](auto& x) { return masked_fill(x[0], x[1] > 0.0, -2.5); }, {{3, 4}, {4}}},
    {"tril", [](auto& x) { return tril(x[0], -1); }, {{2, 4, 5}}},
    {"triu", [](auto& x) { return triu(x[0], 1); }, {{4, 3}}},
    {"clamp", [](auto& x) { return clamp(x[0], -1.0, 1.0); }, {{4, 4}}},
    {"sign_has_zero_gradient", [](auto& x) { return sign(x[0]) * x[0]; }, {{4}}, 0.2, 2},
    {"add_broadcast", [](auto& x) { return x[0] + x[1]; }, {{3, 1}, {4}}},
    {"sub_broadcast", [](auto& x) { return x[0] - x[1]; }, {{2, 3, 4}, {3, 1}}},
    {"mul_broadcast", [](auto& x) { return x[0] * x[1]; }, {{3, 4}, {1, 4}}},
    {"div_broadcast", [](auto& x) { return x[0] / (x[1] + 3.0); }, {{3, 4}, {4}}},
    {"pow", [](auto& x) { return pow(x[0] + 3.0, x[1]); }, {{3, 4}, {3, 4}}},
    {"scalar_forms", [](auto& x) { return (2.0 - x[0]) * 3.0 / (x[0] + 4.0) + pow(x[0] + 3.0, 2.5) - 1.5 / (x[0] + 5.0) + pow(2.0, x[0]); }, {{5}}},
    {"maximum", [](auto& x) { return maximum(x[0], x[1]); }, {{3, 4}, {4}}},
    {"minimum", [](auto& x) { return minimum(x[0], x[1]); }, {{3, 4}, {3, 1}}},
    {"maximum_scalar", [](auto& x) { return maximum(x[0], 0.1) + minimum(x[0], -0.1); }, {{6}}},
    {"where", [](auto& x) { return where(x[0] > 0.0, x[0] * 2.0, x[1]); }, {{3, 4}, {4}}},
    {"sum_all", [](auto& x) { return sum(x[0]); }, {{2, 3, 4}}},
    {"sum_dims", [](auto& x) { return sum(x[0], {0, 2}); }, {{2, 3, 4}}},
    {"sum_keepdim", [](auto& x) { return sum(x[0], {1}, kKeepDim) * x[0]; }, {{2, 3}}},
    {"mean", [](auto& x) { return mean(x[0], {-1}); }, {{3, 5}}},
    {"max_dims", [](auto& x) { return max(x[0], {1}); }, {{3, 5}}},
    {"min_all", [](auto& x) { return min(x[0]); }, {{3, 5}}},
    {"var", [](auto& x) { return var(x[0], {1}); }, {{3, 5}}},
    {"std", [](auto& x) { return std(x[0]); }, {{3, 5}}},
    {"logsumexp", [](auto& x) { return logsumexp(x[0], {1}); }, {{3, 5}}},
    {"softmax", [](auto& x) { return softmax(x[0], 1) * x[1]; }, {{3, 5}, {3, 5}}},
    {"softmax_dim0", [](auto& x) { return softmax(x[0], 0) * x[1]; }, {{3, 5}, {3, 5}}},
    {"log_softmax", [](auto& x) { return log_softmax(x[0], -1) * x[1]; }, {{3, 5}, {3, 5}}},
    {"matmul_2d", [](auto& x) { return matmul(x[0], x[1]); }, {{3, 4}, {4, 2}}},
    {"matmul_dot", [](auto& x) { return matmul(x[0], x[1]); }, {{4}, {4}}},
    {"matmul_vec_mat", [](auto& x) { return matmul(x[0], x[1]); }, {{4}, {4, 3}}},
    {"matmul_mat_vec", [](auto& x) { return matmul(x[0], x[1]); }, {{3, 4}, {4}}},
    {"matmul_batched_broadcast", [](auto& x) { return matmul(x[0], x[1]); }, {{2, 1, 3, 4}, {3, 4, 2}}},
    {"matmul_transposed", [](auto& x) { return matmul(x[0].t(), x[1]); }, {{4, 3}, {4, 2}}},
    {"linear", [](auto& x) { return linear(x[0], x[1], x[2]); }, {{2, 3, 4}, {5, 4}, {5}}},
    {"linear_no_bias", [](auto& x) { return linear(x[0], x[1]); }, {{4}, {2, 4}}},
    {"conv2d", [](auto& x) { return conv2d(x[0], x[1], x[2]); }, {{2, 3, 5, 6}, {4, 3, 3, 2}, {4}}},
    {"conv2d_stride_padding", [](auto& x) { return conv2d(x[0], x[1], x[2], {.stride = {2, 3}, .padding = {1, 2}}); }, {{2, 2, 7, 8}, {3, 2, 3, 3}, {3}}},
    {"conv2d_dilation", [](auto& x) { return conv2d(x[0], x[1], std::nullopt, {.padding = {2, 1}, .dilation = {2, 2}}); }, {{1, 2, 7, 6}, {2, 2, 3, 2}}},
    {"conv2d_groups", [](auto& x) { return conv2d(x[0], x[1], x[2], {.padding = {1, 1}, .groups = 2}); }, {{2, 4, 5, 5}, {6, 2, 3, 3}, {6}}},
    {"conv2d_same_even_kernel", [](auto& x) { return conv2d(x[0], x[1], x[2], {.padding_mode = Padding::kSame}); }, {{1, 2, 5, 4}, {3, 2, 2, 4}, {3}}},
    {"conv2d_unbatched", [](auto& x) { return conv2d(x[0], x[1]); }, {{2, 4, 4}, {3, 2, 3, 3}}},
    {"max_pool2d", [](auto& x) { return max_pool2d(x[0], {.kernel_size = {2, 2}}); }, {{2, 3, 6, 5}}},
    {"max_pool2d_padding_dilation_ceil", [](auto& x) { return max_pool2d(x[0], {.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}, .dilation = {2, 1}, .ceil_mode = true}); }, {{1, 2, 8, 7}}},
    {"avg_pool2d", [](auto& x) { return avg_pool2d(x[0], {.kernel_size = {2, 3}, .stride = Size2{1, 2}}); }, {{2, 2, 5, 7}}},
    {"avg_pool2d_padding_exclude_ceil", [](auto& x) { return avg_pool2d(x[0], {.kernel_size = {3, 3}, .stride = Size2{2, 2}, .padding = {1, 1}, .ceil_mode = true, .count_include_pad = false}); }, {{1, 2, 6, 7}}},
    {"adaptive_avg_pool2d", [](auto& x) { return adaptive_avg_pool2d(x[0], {3, 2}); }, {{2, 2, 7, 5}}},
    {"index_select", [](auto& x) { return index_select(x[0], 0, tensor({2, 0, 2})); }, {{3, 4}}},
    {"gather", [](auto& x) { return gather(x[0], 1, tensor({{0, 2}, {1, 1}, {3, 0}})); }, {{3, 4}}},
    {"scatter_add", [](auto& x) { return scatter_add(x[0], 0, tensor({{0, 1}, {0, 0}}), x[1]); }, {{2, 2}, {2, 2}}},
    {"cat", [](auto& x) { return cat({x[0], x[1]}, 1); }, {{2, 3}, {2, 2}}},
    {"stack", [](auto& x) { return stack({x[0], x[1]}, 1); }, {{2, 3}, {2, 3}}},
    {"view_reshape_flatten", [](auto& x) { return x[0].view({4, 3}).reshape({2, 6}).flatten() * 2.0; }, {{3, 4}}},
    {"transpose_permute", [](auto& x) { return x[0].transpose(0, 2).permute({1, 0, 2}) * x[1]; }, {{2, 3, 4}, {3, 4, 2}}},
    {"slice_narrow_select", [](auto& x) { return x[0].slice(1, 0, 4, 2).narrow(0, 1, 2).select(1, 1); }, {{3, 4}}},
    {"squeeze_unsqueeze_expand", [](auto& x) { return x[0].squeeze().unsqueeze(0).expand({3, 4}); }, {{4, 1}}},
    {"contiguous_clone", [](auto& x) { return x[0].t().contiguous().clone(); }, {{3, 4}}},
};

class Gradcheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(Gradcheck, AnalyticalMatchesNumerical) {
  const GradCase& c = GetParam();
  const GradcheckResult r = gradcheck(c.f, inputs_for(c, 7));
  EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GradcheckItself, CatchesAWrongGradient) {
  // d/dx (x * x.detach()) is x, not 2x: the detach hides a path from backward.
  const GradcheckResult r = gradcheck([](auto& x) { return x[0] * x[0].detach(); }, {tensor({1.0, 2.0})});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("analytical"), std::string::npos) << r.message;
}

TEST(GradcheckItself, ReportsAFunctionWithoutGraph) {
  const GradcheckResult r = gradcheck([](auto& x) { return x[0].detach(); }, {tensor({1.0})});
  EXPECT_FALSE(r.ok);
}

TEST(GradcheckItself, TiesInMaxSplitTheGradientLikePyTorch) {
  Tensor x = tensor({1.0, 3.0, 3.0}).requires_grad_();
  max(x).backward();
  EXPECT_TRUE(testing::all_close(x.grad(), {3}, {0, 0.5, 0.5}, 0, 0));
  Tensor a = tensor({2.0}).requires_grad_(), b = tensor({2.0}).requires_grad_();
  maximum(a, b).backward();
  EXPECT_EQ(a.grad().item<double>(), 0.5);
  EXPECT_EQ(b.grad().item<double>(), 0.5);
}

}  // namespace
}  // namespace ignis

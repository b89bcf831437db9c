// Layers: gradcheck of every layer with respect to its input and parameters (through the
// functional form each module calls), and their behaviour.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis::nn {
namespace {

TEST(Layers, LinearGradcheckInputWeightAndBias) {
  const Tensor x = randn({3, 4}, {.dtype = kFloat64});
  const Tensor w = randn({2, 4}, {.dtype = kFloat64});
  const Tensor b = randn({2}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck([](auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, b}).ok);
  // The module computes the same function as the functional form.
  Linear layer(4, 2);
  layer.to(kFloat64);
  EXPECT_TRUE(testing::all_close(layer(x), {3, 2}, testing::values_of(linear(x, layer.weight, layer.bias)), 0, 0));
}

TEST(Layers, LayerNormMatchesItsDefinitionAndGradchecks) {
  const Tensor x = randn({2, 3, 4}, {.dtype = kFloat64});
  const Tensor w = randn({3, 4}, {.dtype = kFloat64}), b = randn({3, 4}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck([](auto& v) { return functional::layer_norm(v[0], {3, 4}, v[1], v[2]); }, {x, w, b}).ok);
  const Tensor y = functional::layer_norm(x, {4}, std::nullopt, std::nullopt, /*eps=*/0.0);
  EXPECT_TRUE(testing::all_close(mean(y, {-1}), {2, 3}, std::vector<double>(6, 0.0), 0, 1e-12));
  EXPECT_TRUE(testing::all_close(var(y, {-1}, KeepDim::kNo, 0), {2, 3}, std::vector<double>(6, 1.0), 1e-4, 0));
  IGNIS_EXPECT_THROW_MSG(functional::layer_norm(x, {5}), ShapeError, "[layer_norm]", "(2, 3, 4)", "(5)");
}

TEST(Layers, EmbeddingPicksRowsAndAccumulatesRepeatedGradients) {
  Embedding emb(5, 3);
  const Tensor idx = tensor({{1, 4}, {1, 0}});
  const Tensor y = emb(idx);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(testing::values_of(y.select(0, 1).select(0, 0)), testing::values_of(emb.weight.select(0, 1)));
  y.sum().backward();
  EXPECT_TRUE(testing::all_close(emb.weight.grad().sum({1}), {5}, {3, 6, 0, 0, 3}, 0, 0));
  const Tensor w = randn({5, 3}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck([&](auto& v) { return functional::embedding(idx, v[0]); }, {w}).ok);
}

TEST(Layers, ActivationsAndFlatten) {
  const Tensor x = tensor({-2.0, 0.5});
  EXPECT_TRUE(testing::all_close(LeakyReLU(0.1)(x), {2}, {-0.2, 0.5}, 1e-7, 0));
  EXPECT_TRUE(testing::all_close(ReLU()(x), {2}, {0, 0.5}, 0, 0));
  EXPECT_TRUE(testing::all_close(Softmax(0)(tensor({0.0, 0.0})), {2}, {0.5, 0.5}, 0, 0));
  EXPECT_EQ(Flatten()(ones({2, 3, 4})).shape(), (Shape{2, 12}));
  const Tensor z = randn({6}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck([](auto& v) { return functional::leaky_relu(v[0], 0.2); }, {z.abs() + 0.1}).ok);
  EXPECT_TRUE(gradcheck([](auto& v) { return functional::leaky_relu(v[0], 0.2); }, {-(z.abs() + 0.1)}).ok);
}

TEST(Layers, DropoutZeroesAboutPAndKeepsTheExpectation) {
  manual_seed(3);
  const Tensor x = ones({100000});
  const Tensor y = functional::dropout(x, 0.3, true);
  const double zeros_share = (y == 0.0).to(kFloat64).mean().item<double>();
  EXPECT_NEAR(zeros_share, 0.3, 0.01);
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.02);  // kept values are scaled by 1/(1-p)
  EXPECT_TRUE(functional::dropout(x, 0.3, false).is_same(x));
  // With the generator reseeded on every call the mask is fixed, so the gradient can be checked.
  const Tensor z = randn({20}, {.dtype = kFloat64});
  EXPECT_TRUE(gradcheck(
                  [](auto& v) {
                    Generator g(5);
                    return functional::dropout(v[0], 0.3, true, &g);
                  },
                  {z})
                  .ok);
  IGNIS_EXPECT_THROW_MSG(Dropout(1.5), ValueError, "[dropout]");
}

}  // namespace
}  // namespace ignis::nn

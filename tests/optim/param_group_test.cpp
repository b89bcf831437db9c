// Parameter groups: each group's options applied to its own parameters, checked against a plain
// AdamW written out in the test; the duplicate and foreign-option errors; state dicts with two
// groups; nanoGPT's weight_decay_groups.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::optim {
namespace {

/// torch.optim.AdamW's update for one element (amsgrad off), steps 1..grads.size().
double reference_adamw(double p, const std::vector<double>& grads, double lr, double beta1, double beta2, double eps,
                       double weight_decay) {
  double m = 0, v = 0;
  for (std::size_t k = 0; k < grads.size(); ++k) {
    const double t = static_cast<double>(k + 1), g = grads[k];
    p *= 1 - lr * weight_decay;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    const double m_hat = m / (1 - std::pow(beta1, t)), v_hat = v / (1 - std::pow(beta2, t));
    p -= lr * m_hat / (std::sqrt(v_hat) + eps);
  }
  return p;
}

Tensor f64(std::vector<double> v, Shape shape) {
  return from_vector(v, shape, {.dtype = kFloat64}).requires_grad_();
}

TEST(ParamGroups, EachGroupUpdatesWithItsOwnOptions) {
  // Group 0: a matrix with lr 0.1, weight decay 0.1 and beta2 0.95 of its own; group 1: a vector
  // with the optimizer's lr (0.01), betas and weight decay 0.
  Tensor w = f64({1.0, -2.0, 0.5, 3.0}, {2, 2}), b = f64({0.25, -0.75}, {2});
  AdamW opt({{.params = {w}, .lr = 0.1, .weight_decay = 0.1, .beta2 = 0.95}, {.params = {b}, .weight_decay = 0.0}},
            {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
  const std::vector<std::vector<double>> gw = {{0.1, -0.3, 0.5, 0.2}, {-0.2, 0.4, 0.1, 0.3}};
  const std::vector<std::vector<double>> gb = {{0.7, -0.1}, {0.05, 0.6}};
  for (std::size_t s = 0; s < gw.size(); ++s) {
    w.set_grad(from_vector(gw[s], {2, 2}, {.dtype = kFloat64}));
    b.set_grad(from_vector(gb[s], {2}, {.dtype = kFloat64}));
    opt.step();
  }
  const std::vector<double> w0 = {1.0, -2.0, 0.5, 3.0}, b0 = {0.25, -0.75};
  const std::vector<double> got_w = testing::values_of(w), got_b = testing::values_of(b);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(got_w[i], reference_adamw(w0[i], {gw[0][i], gw[1][i]}, 0.1, 0.9, 0.95, 1e-8, 0.1), 1e-13) << i;
  }
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(got_b[i], reference_adamw(b0[i], {gb[0][i], gb[1][i]}, 0.01, 0.9, 0.999, 1e-8, 0.0), 1e-13) << i;
  }
  // The groups as the optimizer holds them: overrides kept, the rest from the options.
  const auto& groups = opt.param_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(*groups[0].lr, 0.1);
  EXPECT_EQ(*groups[0].beta2, 0.95);
  EXPECT_EQ(*groups[1].lr, 0.01);
  EXPECT_EQ(*groups[1].beta2, 0.999);
  EXPECT_EQ(*groups[1].weight_decay, 0.0);
  EXPECT_EQ(opt.lr(), 0.1);  // group 0's
  EXPECT_EQ(opt.params().size(), 2u);
}

TEST(ParamGroups, SetLrSetsEveryGroupOrOne) {
  Tensor a = f64({1.0}, {1}), b = f64({2.0}, {1});
  SGD opt({{.params = {a}, .lr = 0.5}, {.params = {b}}}, {.lr = 0.1});
  opt.set_lr(1, 0.25);
  EXPECT_EQ(*opt.param_groups()[0].lr, 0.5);
  EXPECT_EQ(*opt.param_groups()[1].lr, 0.25);
  a.set_grad(tensor({1.0}, {.dtype = kFloat64}));
  b.set_grad(tensor({1.0}, {.dtype = kFloat64}));
  opt.step();
  EXPECT_DOUBLE_EQ(a.item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(b.item<double>(), 1.75);
  opt.set_lr(0.125);
  EXPECT_EQ(*opt.param_groups()[0].lr, 0.125);
  EXPECT_EQ(*opt.param_groups()[1].lr, 0.125);
  IGNIS_EXPECT_THROW_MSG(opt.set_lr(2, 0.1), IndexError, "group 2", "2 parameter groups");
}

TEST(ParamGroups, Errors) {
  Tensor a = f64({1.0}, {1}), b = f64({2.0}, {1});
  IGNIS_EXPECT_THROW_MSG(AdamW({{.params = {a, b}}, {.params = {b}}}), ValueError, "[AdamW]", "more than once",
                         "parameter 2 (group 1)", "parameter 1 (group 0)");
  IGNIS_EXPECT_THROW_MSG(SGD(std::vector<ParamGroup>{{.params = {a, a}}}), ValueError, "more than once");
  IGNIS_EXPECT_THROW_MSG(SGD({{.params = {a}, .beta1 = 0.8}}), ValueError, "[SGD]", "group 0 sets beta1");
  IGNIS_EXPECT_THROW_MSG(Adam({{.params = {a}, .momentum = 0.9}}), ValueError, "[Adam]", "sets momentum");
  IGNIS_EXPECT_THROW_MSG(RMSprop({{.params = {a}, .amsgrad = true}}), ValueError, "sets amsgrad");
  IGNIS_EXPECT_THROW_MSG(Adam({{.params = {a}}, {.params = {b}, .beta1 = 1.0}}), ValueError, "group 1: betas");
  IGNIS_EXPECT_THROW_MSG(SGD({{.params = {a}}, {.params = {b}, .lr = -1.0}}), ValueError, "group 1: learning rate");
  IGNIS_EXPECT_THROW_MSG(SGD(std::vector<ParamGroup>{}), ValueError, "empty list of parameter groups");
  IGNIS_EXPECT_THROW_MSG(SGD({{.params = {}}, {.params = {}}}), ValueError, "empty parameter list");
}

// Per-group buffers: momentum in one SGD group only keeps a buffer for that group's parameter.
TEST(ParamGroups, StateBuffersFollowEachGroupsOptions) {
  Tensor a = f64({1.0}, {1}), b = f64({2.0}, {1});
  SGD opt({{.params = {a}, .momentum = 0.9}, {.params = {b}}}, {.lr = 0.1});
  a.set_grad(tensor({1.0}, {.dtype = kFloat64}));
  b.set_grad(tensor({1.0}, {.dtype = kFloat64}));
  opt.step();
  opt.step();
  bool a_buffer = false, b_buffer = false;
  for (const auto& [name, t] : opt.state_dict()) {
    a_buffer = a_buffer || name == "state.0.momentum_buffer";
    b_buffer = b_buffer || name.starts_with("state.1.");
  }
  EXPECT_TRUE(a_buffer);
  EXPECT_FALSE(b_buffer);
  EXPECT_DOUBLE_EQ(a.item<double>(), 1.0 - 0.1 - 0.1 * 1.9);  // momentum: 1, then 0.9 + 1
  EXPECT_DOUBLE_EQ(b.item<double>(), 2.0 - 0.2);
}

TEST(ParamGroups, StateDictRoundTripRestoresEachGroup) {
  auto make = [] { return std::pair{f64({1.0, -2.0, 0.5, 3.0}, {2, 2}), f64({0.25, -0.75}, {2})}; };
  auto [w1, b1] = make();
  auto [w2, b2] = make();
  auto optimizer = [](Tensor w, Tensor b) {
    return AdamW({{.params = {w}, .weight_decay = 0.1}, {.params = {b}, .weight_decay = 0.0}}, {.lr = 0.01});
  };
  AdamW a1 = optimizer(w1, b1), a2 = optimizer(w2, b2);
  w1.set_grad(full({2, 2}, 0.3, {.dtype = kFloat64}));
  b1.set_grad(full({2}, -0.2, {.dtype = kFloat64}));
  a1.step();
  a1.set_lr(0, 0.02);  // what a scheduler does, group by group
  a1.set_lr(1, 0.004);
  {
    NoGradGuard g;
    w2.copy_(w1);
    b2.copy_(b1);
  }
  a2.load_state_dict(a1.state_dict());
  EXPECT_EQ(a2.step_count(), 1);
  EXPECT_EQ(*a2.param_groups()[0].lr, 0.02);
  EXPECT_EQ(*a2.param_groups()[1].lr, 0.004);
  EXPECT_EQ(*a2.param_groups()[0].weight_decay, 0.1);
  EXPECT_EQ(*a2.param_groups()[1].weight_decay, 0.0);
  for (auto [w, b] : {std::pair{w1, b1}, std::pair{w2, b2}}) {
    w.set_grad(full({2, 2}, -0.1, {.dtype = kFloat64}));
    b.set_grad(full({2}, 0.5, {.dtype = kFloat64}));
  }
  a1.step();
  a2.step();
  EXPECT_EQ(testing::values_of(w1), testing::values_of(w2));
  EXPECT_EQ(testing::values_of(b1), testing::values_of(b2));

  // The state of a one-group optimizer does not fit two groups; nor does a group of another size.
  Tensor p = f64({1.0}, {1});
  AdamW single({p});
  IGNIS_EXPECT_THROW_MSG(a2.load_state_dict(single.state_dict()), ValueError, "1 parameter groups",
                         "this optimizer has 2");
  Tensor q = f64({1.0}, {1}), r = f64({1.0}, {1});
  AdamW uneven({{.params = {q, r}}, {.params = {}}});
  IGNIS_EXPECT_THROW_MSG(uneven.load_state_dict(a1.state_dict()), ValueError, "group 0 has 1 parameters");
}

// A state written before groups existed ("step", "lr" and buffers) still loads: every group
// takes its "lr".
TEST(ParamGroups, StateWithoutGroupEntriesLoads) {
  Tensor a = f64({1.0}, {1}), b = f64({2.0}, {1});
  SGD opt({{.params = {a}, .lr = 0.5}, {.params = {b}}}, {.lr = 0.1});
  opt.load_state_dict({{"step", full({}, std::int64_t{3}, {.dtype = kInt64})},
                       {"lr", full({}, 0.05, {.dtype = kFloat64})}});
  EXPECT_EQ(opt.step_count(), 3);
  EXPECT_EQ(*opt.param_groups()[0].lr, 0.05);
  EXPECT_EQ(*opt.param_groups()[1].lr, 0.05);
}

TEST(ParamGroups, WeightDecayGroupsSplitsAsNanoGpt) {
  nn::Linear fc(3, 2);
  Tensor frozen = f64({1.0, 2.0, 3.0, 4.0}, {2, 2});
  frozen.requires_grad_(false);
  // The weight listed twice (tied) is kept once; the frozen matrix is left out.
  std::vector<std::pair<std::string, Tensor>> named = fc.named_parameters();
  named.emplace_back("tied.weight", fc.weight);
  named.emplace_back("frozen", frozen);
  const std::vector<ParamGroup> groups = weight_decay_groups(named, 0.1);
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[0].params.size(), 1u);
  EXPECT_TRUE(groups[0].params[0].is_same(fc.weight));
  EXPECT_EQ(*groups[0].weight_decay, 0.1);
  ASSERT_EQ(groups[1].params.size(), 1u);
  EXPECT_TRUE(groups[1].params[0].is_same(fc.bias));
  EXPECT_EQ(*groups[1].weight_decay, 0.0);

  // nanoGPT's configure_optimizers: AdamW(groups, lr, betas=(0.9, 0.99)).
  AdamW opt(groups, {.lr = 1e-3, .beta2 = 0.99});
  EXPECT_EQ(*opt.param_groups()[0].weight_decay, 0.1);
  EXPECT_EQ(*opt.param_groups()[1].weight_decay, 0.0);
  EXPECT_EQ(*opt.param_groups()[1].beta2, 0.99);
  // Zero gradients: only decoupled weight decay moves a parameter, so only the weight changes.
  const std::vector<double> weight = testing::values_of(fc.weight), bias = testing::values_of(fc.bias);
  fc.weight.set_grad(zeros_like(fc.weight));
  fc.bias.set_grad(zeros_like(fc.bias));
  opt.step();
  const std::vector<double> new_weight = testing::values_of(fc.weight);
  for (std::size_t i = 0; i < weight.size(); ++i) EXPECT_NEAR(new_weight[i], weight[i] * (1 - 1e-4), 1e-7) << i;
  EXPECT_EQ(testing::values_of(fc.bias), bias);
}

}  // namespace
}  // namespace ignis::optim

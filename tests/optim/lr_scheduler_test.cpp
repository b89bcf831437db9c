// Learning-rate schedules against PyTorch 2.15.0: SGD(lr=0.1), the scheduler's rate before the
// first step and after each of 12 steps, e.g.
//   opt = torch.optim.SGD([p], lr=0.1); s = StepLR(opt, 3, 0.5); lrs = [lr] + [s.step() ... ]
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::optim {
namespace {

template <class Make>
std::vector<double> rates(Make make) {
  Tensor p = zeros({1}).requires_grad_();
  SGD opt({p}, {.lr = 0.1});
  auto scheduler = make(opt);
  std::vector<double> out = {opt.lr()};
  for (int i = 0; i < 12; ++i) {
    scheduler.step();
    out.push_back(opt.lr());
  }
  return out;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-11) << "step " << i;
}

TEST(LRScheduler, StepMultiStepExponential) {
  expect_near(rates([](auto& o) { return StepLR(o, 3, 0.5); }),
              {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625});
  expect_near(rates([](auto& o) { return MultiStepLR(o, {2, 5, 9}, 0.1); }),
              {0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 0.0001});
  expect_near(rates([](auto& o) { return ExponentialLR(o, 0.9); }),
              {0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441, 0.04782969, 0.043046721, 0.0387420489,
               0.03486784401, 0.031381059609, 0.028242953648});
}

TEST(LRScheduler, CosineAndLinearWarmup) {
  expect_near(rates([](auto& o) { return CosineAnnealingLR(o, 10, 0.001); }),
              {0.1, 0.097577297557, 0.090546341222, 0.079595369988, 0.065796341222, 0.0505, 0.035203658778,
               0.021404630012, 0.010453658778, 0.003422702443, 0.001, 0.003422702443, 0.010453658778});
  expect_near(rates([](auto& o) { return LinearLR(o, 0.25, 1.0, 4); }),
              {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1});
}

// OneCycleLR(opt, max_lr=1.0, total_steps=13, cycle_momentum=False).
TEST(LRScheduler, OneCycle) {
  expect_near(rates([](auto& o) { return OneCycleLR(o, 1.0, 13); }),
              {0.04, 0.295163948464, 0.789369791374, 0.999702071467, 0.96437826255, 0.874255877064, 0.739969779105,
               0.577366357936, 0.405633579749, 0.24503671767, 0.114526954509, 0.029505054314, 4e-06});
}

// ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1) fed the metrics below.
TEST(LRScheduler, ReduceOnPlateau) {
  Tensor p = zeros({1}).requires_grad_();
  SGD opt({p}, {.lr = 0.1});
  ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 2, .cooldown = 1});
  const std::vector<double> metrics = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85};
  std::vector<double> out = {opt.lr()};
  for (double m : metrics) {
    plateau.step(m);
    out.push_back(opt.lr());
  }
  expect_near(out, {0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025});
}

TEST(LRScheduler, StateRestoresThePosition) {
  Tensor p = zeros({1}).requires_grad_();
  SGD a({p}, {.lr = 0.1}), b({p}, {.lr = 0.1});
  StepLR sa(a, 2, 0.5), sb(b, 2, 0.5);
  for (int i = 0; i < 5; ++i) sa.step();
  sb.load_state_dict(sa.state_dict());
  EXPECT_EQ(sb.last_epoch(), 5);
  EXPECT_DOUBLE_EQ(b.lr(), a.lr());
  sa.step();
  sb.step();
  EXPECT_DOUBLE_EQ(b.lr(), a.lr());
}

// Two groups with base rates 0.1 and 0.02: each schedule scales each group from its own base.
TEST(LRScheduler, EveryGroupFromItsOwnBase) {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  SGD opt({{.params = {a}}, {.params = {b}, .lr = 0.02}}, {.lr = 0.1});
  StepLR step(opt, 2, 0.5);
  for (int i = 0; i < 5; ++i) step.step();  // epoch 5: two halvings
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr.value(), 0.025);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr.value(), 0.005);
  EXPECT_EQ(step.last_lrs(), (std::vector<double>{opt.param_groups()[0].lr.value(), opt.param_groups()[1].lr.value()}));
  EXPECT_EQ(step.base_lrs(), (std::vector<double>{0.1, 0.02}));

  // A second schedule on the same optimizer starts from the initial rates (PyTorch's
  // group["initial_lr"]), not from the rates the first one left.
  CosineAnnealingLR cosine(opt, 10, 0.001);
  EXPECT_EQ(cosine.base_lrs(), (std::vector<double>{0.1, 0.02}));
  for (int i = 0; i < 3; ++i) cosine.step();
  for (std::size_t g = 0; g < 2; ++g) {
    const double base = g == 0 ? 0.1 : 0.02;
    EXPECT_NEAR(opt.param_groups()[g].lr.value(), 0.001 + (base - 0.001) * (1 + std::cos(M_PI * 3 / 10)) / 2, 1e-15);
  }
}

// ReduceLROnPlateau cuts each group's rate, down to min_lr: the second group is already there.
TEST(LRScheduler, ReduceOnPlateauPerGroup) {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  SGD opt({{.params = {a}}, {.params = {b}, .lr = 0.01}}, {.lr = 0.1});
  ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 0, .min_lr = 0.01});
  plateau.step(1.0);
  EXPECT_TRUE(plateau.step(1.0));
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr.value(), 0.05);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr.value(), 0.01);
}

TEST(LRScheduler, StateCarriesEachGroupsBase) {
  Tensor a = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  SGD o1({{.params = {a}}, {.params = {b}, .lr = 0.02}}, {.lr = 0.1});
  SGD o2({{.params = {a}}, {.params = {b}}}, {.lr = 0.3});
  ExponentialLR s1(o1, 0.5), s2(o2, 0.5);
  s1.step();
  s2.load_state_dict(s1.state_dict());
  EXPECT_EQ(s2.base_lrs(), (std::vector<double>{0.1, 0.02}));
  EXPECT_DOUBLE_EQ(o2.param_groups()[1].lr.value(), 0.01);
  // A state from before groups ("last_epoch", "base_lr") gives every group that base.
  s2.load_state_dict({{"last_epoch", full({}, 2.0, {.dtype = kFloat64})}, {"base_lr", full({}, 0.4, {.dtype = kFloat64})}});
  EXPECT_EQ(s2.base_lrs(), (std::vector<double>{0.4, 0.4}));
  EXPECT_DOUBLE_EQ(o2.param_groups()[1].lr.value(), 0.1);
  SGD one({a}, {.lr = 0.1});
  ExponentialLR s3(one, 0.5);
  IGNIS_EXPECT_THROW_MSG(s3.load_state_dict(s1.state_dict()), ValueError, "2 parameter groups", "has 1");
}

}  // namespace
}  // namespace ignis::optim

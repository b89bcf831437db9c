// SequentialLR and nanoGPT's warm-up + cosine schedule, against nanoGPT's get_lr written out here
// (PyTorch's own SequentialLR is compared in tests/python/crosscheck.py).
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::optim {
namespace {

/// nanoGPT's train.py get_lr(it) (warmup_iters, lr_decay_iters, min_lr), for a base rate `lr`.
double nanogpt_lr(std::int64_t it, double lr, std::int64_t warmup, std::int64_t decay_iters, double min_lr) {
  if (it < warmup) return lr * static_cast<double>(it + 1) / static_cast<double>(warmup + 1);
  if (it > decay_iters) return min_lr;
  const double ratio = static_cast<double>(it - warmup) / static_cast<double>(decay_iters - warmup);
  const double coeff = 0.5 * (1.0 + std::cos(M_PI * ratio));
  return min_lr + coeff * (lr - min_lr);
}

struct TwoGroups {
  Tensor a = zeros({2, 2}).requires_grad_(), b = zeros({2}).requires_grad_();
  // nanoGPT's W9 job: AdamW, lr 1e-3; a second group with its own base rate.
  AdamW opt{{{.params = {a}, .weight_decay = 0.1}, {.params = {b}, .lr = 3e-4, .weight_decay = 0.0}}, {.lr = 1e-3}};
};

TEST(SequentialLR, WarmupCosineIsNanoGptsCurveInEveryGroup) {
  TwoGroups t;
  SequentialLR schedule = warmup_cosine(t.opt, {.warmup_steps = 50, .total_steps = 600, .min_lr = 1e-4});
  for (std::int64_t it = 0; it <= 600; ++it) {
    // The rate iteration `it` trains with: after `it` scheduler steps.
    EXPECT_NEAR(t.opt.param_groups()[0].lr.value(), nanogpt_lr(it, 1e-3, 50, 600, 1e-4), 1e-17) << "it " << it;
    EXPECT_NEAR(t.opt.param_groups()[1].lr.value(), nanogpt_lr(it, 3e-4, 50, 600, 1e-4), 1e-17) << "it " << it;
    schedule.step();
  }
  EXPECT_EQ(schedule.last_epoch(), 601);
  // Spot values: the first warm-up rate, the peak at the milestone, half way down, the floor.
  TwoGroups u;
  SequentialLR again = warmup_cosine(u.opt, {.warmup_steps = 50, .total_steps = 600, .min_lr = 1e-4});
  EXPECT_DOUBLE_EQ(u.opt.lr(), 1e-3 / 51);
  for (int i = 0; i < 50; ++i) again.step();
  EXPECT_DOUBLE_EQ(u.opt.lr(), 1e-3);
  for (int i = 0; i < 275; ++i) again.step();
  EXPECT_NEAR(u.opt.lr(), (1e-3 + 1e-4) / 2, 1e-18);
  for (int i = 0; i < 275; ++i) again.step();
  EXPECT_NEAR(u.opt.lr(), 1e-4, 1e-18);
}

TEST(SequentialLR, NoWarmupIsTheCosineAlone) {
  TwoGroups t;
  SequentialLR schedule = warmup_cosine(t.opt, {.warmup_steps = 0, .total_steps = 10, .min_lr = 0.0});
  EXPECT_DOUBLE_EQ(t.opt.lr(), 1e-3);
  for (int i = 0; i < 5; ++i) schedule.step();
  EXPECT_NEAR(t.opt.lr(), 5e-4, 1e-18);
}

// PyTorch's semantics: the second scheduler restarts from its epoch 0 at the milestone, from
// the group's initial rate, whatever rate the first one reached.
TEST(SequentialLR, SwitchesAtTheMilestones) {
  Tensor p = zeros({1}).requires_grad_();
  SGD opt({p}, {.lr = 0.1});
  std::vector<std::unique_ptr<LRScheduler>> schedulers;
  schedulers.push_back(std::make_unique<LinearLR>(opt, 0.5, 1.0, 4));
  schedulers.push_back(std::make_unique<ExponentialLR>(opt, 0.9));
  schedulers.push_back(std::make_unique<StepLR>(opt, 1, 0.5));
  SequentialLR schedule(opt, std::move(schedulers), {3, 5});
  std::vector<double> got = {opt.lr()};
  for (int i = 0; i < 7; ++i) {
    schedule.step();
    got.push_back(opt.lr());
  }
  const std::vector<double> want = {0.05, 0.0625, 0.075, 0.1, 0.09, 0.1, 0.05, 0.025};
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-15) << "epoch " << i;
}

TEST(SequentialLR, StateDictResumesTheCurve) {
  TwoGroups t, u;
  SequentialLR s1 = warmup_cosine(t.opt, {.warmup_steps = 50, .total_steps = 600, .min_lr = 1e-4});
  SequentialLR s2 = warmup_cosine(u.opt, {.warmup_steps = 50, .total_steps = 600, .min_lr = 1e-4});
  for (int i = 0; i < 70; ++i) s1.step();
  const nn::StateDict state = s1.state_dict();
  bool has_children = false;
  for (const auto& [key, value] : state) has_children = has_children || key == "schedulers.1.base_lrs";
  EXPECT_TRUE(has_children);
  s2.load_state_dict(state);
  EXPECT_EQ(s2.last_epoch(), 70);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(u.opt.param_groups()[0].lr.value(), t.opt.param_groups()[0].lr.value());
    EXPECT_EQ(u.opt.param_groups()[1].lr.value(), t.opt.param_groups()[1].lr.value());
    s1.step();
    s2.step();
  }
  // A plain scheduler's state is not a SequentialLR's.
  StepLR plain(t.opt, 2);
  IGNIS_EXPECT_THROW_MSG(s2.load_state_dict(plain.state_dict()), ValueError, "schedulers.0.");
}

TEST(SequentialLR, Errors) {
  Tensor p = zeros({1}).requires_grad_(), q = zeros({1}).requires_grad_();
  SGD opt({p}, {.lr = 0.1}), other({q}, {.lr = 0.1});
  auto two = [&](Optimizer& second) {
    std::vector<std::unique_ptr<LRScheduler>> s;
    s.push_back(std::make_unique<LinearLR>(opt));
    s.push_back(std::make_unique<ExponentialLR>(second, 0.9));
    return s;
  };
  IGNIS_EXPECT_THROW_MSG(SequentialLR(opt, two(opt), {}), ValueError, "2 schedulers need 1 milestones, got 0");
  IGNIS_EXPECT_THROW_MSG(SequentialLR(opt, two(other), {3}), ValueError, "scheduler 1 drives another optimizer");
  IGNIS_EXPECT_THROW_MSG(SequentialLR(opt, two(opt), {0}), ValueError, "strictly increasing");
  IGNIS_EXPECT_THROW_MSG(SequentialLR(opt, {}, {}), ValueError, "no schedulers");
  IGNIS_EXPECT_THROW_MSG(warmup_cosine(opt, {.warmup_steps = 10, .total_steps = 10}), ValueError,
                         "total_steps (10) must exceed warmup_steps (10)");
  IGNIS_EXPECT_THROW_MSG(warmup_cosine(opt, {.warmup_steps = -1, .total_steps = 10}), ValueError, "warmup_steps");
}

}  // namespace
}  // namespace ignis::optim

// Optimizer steps against PyTorch 2.15.0 (CPU, float64): parameter [1, -2, 0.5], gradients
// [0.1, -0.3, 0.5], [-0.2, 0.4, 0.1], [0.3, 0.3, -0.6] for three steps, e.g.
//   p = torch.tensor([1., -2., .5], dtype=torch.float64, requires_grad=True)
//   opt = torch.optim.Adam([p], lr=0.01); for g in grads: p.grad = g; opt.step()
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::optim {
namespace {

const std::vector<std::vector<double>> kGrads = {{0.1, -0.3, 0.5}, {-0.2, 0.4, 0.1}, {0.3, 0.3, -0.6}};

template <class Make>
std::vector<double> run_three_steps(Make make) {
  Tensor p = tensor({1.0, -2.0, 0.5}, {.dtype = kFloat64}).requires_grad_();
  auto opt = make(std::vector<Tensor>{p});
  for (const auto& g : kGrads) {
    opt.zero_grad();
    p.set_grad(from_vector(g, {3}));
    opt.step();
  }
  return testing::values_of(p);
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
}

TEST(Optimizers, SgdMatchesPyTorch) {
  expect_near(run_three_steps([](auto p) { return SGD(p, {.lr = 0.1}); }), {0.98, -2.04, 0.5});
  expect_near(run_three_steps([](auto p) { return SGD(p, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}); }),
              {0.975312789, -2.013563568, 0.4028973495});
  expect_near(run_three_steps([](auto p) { return SGD(p, {.lr = 0.1, .momentum = 0.9, .nesterov = true}); }),
              {0.96281, -2.06223, 0.41495});
  expect_near(run_three_steps([](auto p) { return SGD(p, {.lr = 0.1, .momentum = 0.5, .dampening = 0.3}); }),
              {0.9825, -2.0105, 0.444});
}

TEST(Optimizers, AdamAndAdamWMatchPyTorch) {
  expect_near(run_three_steps([](auto p) { return Adam(p, {.lr = 0.01}); }),
              {0.9902286253947742, -1.9965058592851566, 0.4828217998119938});
  expect_near(run_three_steps([](auto p) { return Adam(p, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}); }),
              {0.980811594663504, -1.9851287450185322, 0.48136240605291525});
  expect_near(run_three_steps([](auto p) { return AdamW(p, {.lr = 0.01, .weight_decay = 1e-2}); }),
              {0.9899302891900704, -1.9959077256726863, 0.48267461775241});
  expect_near(run_three_steps([](auto p) { return AdamW(p, {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .weight_decay = 0.5}); }),
              {0.9755044426645293, -1.967959795311281, 0.4767551169320237});
}

TEST(Optimizers, RmspropMatchesPyTorch) {
  expect_near(run_three_steps([](auto p) { return RMSprop(p, {.lr = 0.01}); }),
              {0.9091819282472542, -2.0318524760528485, 0.4568072997527184});
  expect_near(run_three_steps([](auto p) {
                return RMSprop(p, {.lr = 0.01, .weight_decay = 0.1, .momentum = 0.9, .centered = true});
              }),
              {0.7329110615135029, -1.8226152237570727, 0.25152175839552743});
  expect_near(run_three_steps([](auto p) { return RMSprop(p, {.lr = 0.01, .momentum = 0.5}); }),
              {0.8789481313106925, -1.9969246880089808, 0.3719540239128198});
}

TEST(Optimizers, ParametersWithoutGradientsAreSkipped) {
  Tensor a = tensor({1.0}).requires_grad_(), b = tensor({2.0}).requires_grad_();
  SGD opt({a, b}, {.lr = 1.0});
  a.set_grad(tensor({0.5}));
  opt.step();
  EXPECT_EQ(a.item<double>(), 0.5);
  EXPECT_EQ(b.item<double>(), 2.0);
}

TEST(Optimizers, StateDictRoundTripContinuesIdentically) {
  auto make = [] {
    Tensor p = tensor({1.0, -2.0, 0.5}, {.dtype = kFloat64}).requires_grad_();
    return p;
  };
  Tensor p1 = make(), p2 = make();
  Adam a1({p1}, {.lr = 0.01}), a2({p2}, {.lr = 0.01});
  p1.set_grad(from_vector(kGrads[0], {3}));
  a1.step();
  // Copy p1 and the optimizer state into the second pair, then take the same next step.
  {
    NoGradGuard g;
    p2.copy_(p1);
  }
  a2.load_state_dict(a1.state_dict());
  EXPECT_EQ(a2.step_count(), 1);
  p1.set_grad(from_vector(kGrads[1], {3}));
  p2.set_grad(from_vector(kGrads[1], {3}));
  a1.step();
  a2.step();
  EXPECT_EQ(testing::values_of(p1), testing::values_of(p2));
  nn::StateDict broken = a1.state_dict();
  broken.erase(broken.begin());
  IGNIS_EXPECT_THROW_MSG(a2.load_state_dict(broken), ValueError, "\"step\"");
}

TEST(Optimizers, ArgumentErrors) {
  Tensor p = tensor({1.0}).requires_grad_();
  IGNIS_EXPECT_THROW_MSG(SGD({p}, {.lr = -1}), ValueError, "[SGD]", "learning rate");
  IGNIS_EXPECT_THROW_MSG(SGD({p}, {.lr = 0.1, .nesterov = true}), ValueError, "Nesterov");
  IGNIS_EXPECT_THROW_MSG(Adam({p}, {.beta1 = 1.0}), ValueError, "betas");
  IGNIS_EXPECT_THROW_MSG(SGD({tensor({1.0})}), ValueError, "requires grad", "model.parameters()");
  IGNIS_EXPECT_THROW_MSG(SGD(std::vector<Tensor>{}), ValueError, "empty");
}

// torch.nn.utils.clip_grad_norm_([p1, p2], 6.5) with grads [[3, 4]] and [12]: total norm 13.
TEST(Clipping, GradNormAndValue) {
  Tensor a = tensor({{3.0, 4.0}}).requires_grad_(), b = tensor({12.0}).requires_grad_();
  a.set_grad(tensor({{3.0, 4.0}}));
  b.set_grad(tensor({12.0}));
  EXPECT_NEAR(clip_grad_norm_({a, b}, 6.5), 13.0, 1e-6);
  EXPECT_TRUE(testing::all_close(a.grad(), {1, 2}, {1.5, 2.0}, 1e-6, 0));
  EXPECT_TRUE(testing::all_close(b.grad(), {1}, {6.0}, 1e-6, 0));
  EXPECT_NEAR(clip_grad_norm_({a, b}, 100.0), 6.5, 1e-5);  // under the limit: unchanged
  EXPECT_NEAR(clip_grad_norm_({a, b}, 100.0, INFINITY), 6.0, 1e-6);
  clip_grad_value_({a, b}, 1.75);
  EXPECT_TRUE(testing::all_close(a.grad(), {1, 2}, {1.5, 1.75}, 1e-6, 0));
}

}  // namespace
}  // namespace ignis::optim

namespace ignis {
namespace {

// A step that runs out of memory while creating its state applies nothing: not even to the
// parameters whose state did fit (the small bias comes first here).
TEST(Optimizer, OutOfMemoryInAStepLeavesEverythingUnchanged) {
  manual_seed(0);
  nn::Linear layer(256, 256);
  optim::Adam optimizer({layer.bias, layer.weight}, {.lr = 0.1});
  nn::functional::mse_loss(layer(randn({4, 256})), zeros({4, 256})).backward();
  const std::vector<float> weight = layer.weight.to_vector<float>(), bias = layer.bias.to_vector<float>();
  empty_cpu_cache();
  set_memory_limit(Device::cpu(), cpu_memory_stats().allocated_bytes + 64 * 1024);  // bias state fits, weight's not
  EXPECT_THROW(optimizer.step(), OutOfMemoryError);
  set_memory_limit(Device::cpu(), 0);
  EXPECT_EQ(layer.weight.to_vector<float>(), weight);
  EXPECT_EQ(layer.bias.to_vector<float>(), bias);
  EXPECT_EQ(optimizer.step_count(), 0);
  // "step", "lr" and the group's "param_groups.0.{lr,weight_decay,params}" only: no buffer was kept.
  EXPECT_EQ(optimizer.state_dict().size(), 5u);
  optimizer.step();  // the same step, now with memory
  EXPECT_EQ(optimizer.step_count(), 1);
  EXPECT_NE(layer.bias.to_vector<float>(), bias);
  EXPECT_EQ(optimizer.state_dict().size(), 5u + 4u);
}

}  // namespace
}  // namespace ignis

// The backward engine: what gets gradients, accumulation, freed graphs, grad mode, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis {
namespace {

using testing::all_close;
using testing::values_of;

TEST(Backward, SquareSumGivesTwoX) {
  Tensor x = tensor({1.0, -2.0, 3.0}).requires_grad_();
  const Tensor loss = sum(x * x);
  EXPECT_TRUE(loss.requires_grad());
  EXPECT_FALSE(loss.is_leaf());
  EXPECT_EQ(std::string(loss.grad_fn()->name()), "SumBackward");
  loss.backward();
  EXPECT_TRUE(all_close(x.grad(), {3}, {2, -4, 6}, 0, 0));
}

TEST(Backward, GradientsAccumulateAcrossCallsUntilCleared) {
  Tensor w = tensor({2.0}).requires_grad_();
  (w * 3.0).sum().backward();
  (w * 3.0).sum().backward();
  EXPECT_EQ(w.grad().item<double>(), 6.0);
  w.set_grad(Tensor());
  EXPECT_FALSE(w.grad().defined());
  (w * w).sum().backward();
  EXPECT_EQ(w.grad().item<double>(), 4.0);
}

TEST(Backward, SecondBackwardThroughAFreedGraphIsAClearError) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  const Tensor loss = sum(exp(x));
  loss.backward();
  IGNIS_EXPECT_THROW_MSG(loss.backward(), ValueError, "second time", "retain_graph");
}

TEST(Backward, RetainedGraphsCanBeReused) {
  Tensor x = tensor({1.0, 2.0}, {.dtype = kFloat64}).requires_grad_();
  const Tensor loss = sum(exp(x));
  loss.backward({}, {.retain_graph = true});
  loss.backward();
  EXPECT_TRUE(all_close(x.grad(), {2}, {2 * std::exp(1.0), 2 * std::exp(2.0)}, 1e-12, 0));
}

TEST(Backward, DiamondGraphsSumThePaths) {
  Tensor x = tensor({3.0}).requires_grad_();
  const Tensor a = x * 2.0, b = x * x;
  (a * b).sum().backward();  // d/dx 2x³ = 6x² = 54
  EXPECT_EQ(x.grad().item<double>(), 54.0);
}

TEST(Backward, BroadcastGradientsAreSummedBackToTheInputShape) {
  Tensor a = ones({3, 1}).requires_grad_();
  Tensor b = ones({4}).requires_grad_();
  (a + b).sum().backward();
  EXPECT_TRUE(all_close(a.grad(), {3, 1}, {4, 4, 4}, 0, 0));
  EXPECT_TRUE(all_close(b.grad(), {4}, {3, 3, 3, 3}, 0, 0));
}

TEST(Backward, GradientsKeepTheLeafDTypeAfterPromotion) {
  Tensor a = ones({2}).requires_grad_();                         // float32
  Tensor b = ones({2}, {.dtype = kFloat64}).requires_grad_();  // float64
  (a * b).sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
}

TEST(Backward, LeavesNeverShareAGradientTensor) {
  Tensor a = zeros({2}).requires_grad_();
  Tensor b = zeros({2}).requires_grad_();
  (a + b).sum().backward();
  Tensor ga = a.grad();
  ga.fill_(5);
  EXPECT_TRUE(all_close(b.grad(), {2}, {1, 1}, 0, 0));
  EXPECT_TRUE(a.grad().is_contiguous());
}

TEST(Backward, GraphsThatAreNeverRunAreFreed) {
  // A node must not own its own output (that would be a reference cycle and a leak).
  Tensor x = tensor({0.5, 1.5}).requires_grad_();
  std::vector<std::weak_ptr<autograd::Node>> nodes;
  {
    const Tensor y = softmax(sigmoid(x) * x + exp(x), 0).max() / (x * 2.0).sum();
    for (autograd::Node* n = y.grad_fn(); n != nullptr && !n->next_edges.empty() && n->next_edges[0];
         n = n->next_edges[0].get()) {
      nodes.push_back(n->next_edges[0]);
    }
    nodes.push_back(y.impl_ptr()->grad_fn);
    for (const auto& n : nodes) EXPECT_FALSE(n.expired());
  }
  for (const auto& n : nodes) EXPECT_TRUE(n.expired()) << (n.lock() ? n.lock()->name() : "");
}

TEST(Backward, NonScalarOutputsNeedAGradient) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  const Tensor y = x * 3.0;
  IGNIS_EXPECT_THROW_MSG(y.backward(), ValueError, "one element", "(2)");
  y.backward(tensor({1.0, 10.0}));
  EXPECT_TRUE(all_close(x.grad(), {2}, {3, 30}, 0, 0));
  IGNIS_EXPECT_THROW_MSG(y.backward(ones({3})), ShapeError, "(3)", "(2)");
}

TEST(Backward, NothingToDifferentiateIsAnError) {
  const Tensor x = tensor({1.0});
  IGNIS_EXPECT_THROW_MSG((x * 2.0).backward(), ValueError, "does not require grad");
}

TEST(GradMode, NoGradGuardRecordsNothing) {
  Tensor w = tensor({1.0}).requires_grad_();
  {
    NoGradGuard guard;
    EXPECT_FALSE(GradMode::is_enabled());
    const Tensor y = w * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE(GradMode::is_enabled());
  EXPECT_TRUE((w * 2.0).requires_grad());
}

TEST(Detach, CutsTheGraphButSharesData) {
  Tensor x = tensor({2.0}).requires_grad_();
  const Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.storage() == x.storage());
  (x * d).sum().backward();  // d is a constant: grad = d = 2
  EXPECT_EQ(x.grad().item<double>(), 2.0);
}

TEST(RequiresGrad, OnlyFloatingLeavesCanChangeIt) {
  Tensor i = tensor({1, 2});
  IGNIS_EXPECT_THROW_MSG(i.requires_grad_(), DTypeError, "floating-point", "int64");
  Tensor x = tensor({1.0}).requires_grad_();
  Tensor y = x * 2.0;
  IGNIS_EXPECT_THROW_MSG(y.requires_grad_(false), ValueError, "leaf", "detach");
  EXPECT_TRUE(x.is_leaf());
  EXPECT_NE(y.str().find("requires_grad=True"), std::string::npos);
}

TEST(Views, GradientsFlowThroughViewsAndCopies) {
  Tensor x = arange(12.0).reshape({3, 4}).to(kFloat64).detach().requires_grad_();
  const Tensor y = x.t().slice(0, 1, 4, 2).select(1, 2).unsqueeze(0).expand({2, 2});
  y.sum().backward();
  // y picks x[2][1] and x[2][3], each used twice by the expand.
  std::vector<double> expected(12, 0.0);
  expected[9] = 2;
  expected[11] = 2;
  EXPECT_TRUE(all_close(x.grad(), {3, 4}, expected, 0, 0));
}

TEST(Views, ComparisonResultsNeverRequireGrad) {
  Tensor x = tensor({1.0}).requires_grad_();
  EXPECT_FALSE((x > 0.0).requires_grad());
  EXPECT_FALSE(argmax(x).requires_grad());
}

}  // namespace
}  // namespace ignis

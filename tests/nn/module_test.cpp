// Module: names (PyTorch's state_dict keys), modes, devices, state dicts, printing, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "support/reference.hpp"

namespace ignis::nn {
namespace {

std::vector<std::string> keys(const StateDict& d) {
  std::vector<std::string> out;
  for (const auto& [k, v] : d) out.push_back(k);
  return out;
}

/// A model with named submodules, as a user would write one.
class TwoLayer : public Module {
 public:
  TwoLayer() : Module("TwoLayer") {
    fc1 = register_module("fc1", std::make_shared<Linear>(4, 8));
    norm = register_module("norm", std::make_shared<LayerNorm>(Shape{8}));
    fc2 = register_module("fc2", std::make_shared<Linear>(8, 2, LinearOptions{.bias = false}));
  }
  Tensor forward(const Tensor& x) override { return fc2->forward(relu(norm->forward(fc1->forward(x)))); }
  std::shared_ptr<Linear> fc1, fc2;
  std::shared_ptr<LayerNorm> norm;
};

TEST(Module, StateDictKeysFollowPyTorch) {
  Sequential seq(Linear(3, 4), ReLU(), Linear(4, 2));
  EXPECT_EQ(keys(seq.state_dict()), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  TwoLayer m;
  EXPECT_EQ(keys(m.state_dict()),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "fc2.weight"}));
  EXPECT_EQ(m.parameters().size(), 5u);
  EXPECT_EQ(m.parameter_count(), 4 * 8 + 8 + 8 + 8 + 8 * 2);
}

TEST(Module, LinearInitialisationIsPyTorchs) {
  manual_seed(1);
  Linear layer(100, 50);
  const double bound = 1.0 / std::sqrt(100.0);
  for (const Tensor& p : layer.parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_LE(max(abs(p)).item<double>(), bound);
  }
  // U(-b, b) has standard deviation b/√3.
  EXPECT_NEAR(std(layer.weight).item<double>(), bound / std::sqrt(3.0), 0.005);
  EXPECT_EQ(layer.weight.shape(), (Shape{50, 100}));
}

TEST(Module, TrainAndEvalAreRecursive) {
  Sequential seq(Linear(2, 2), Dropout(0.5));
  EXPECT_TRUE(seq[1].is_training());
  seq.eval();
  EXPECT_FALSE(seq.is_training());
  EXPECT_FALSE(seq[1].is_training());
  const Tensor x = ones({4, 2});
  EXPECT_TRUE(testing::all_close(seq(x), {4, 2}, testing::values_of(seq(x)), 0, 0));  // deterministic in eval
}

TEST(Module, LoadStateDictCopiesValuesAndReportsMismatches) {
  Sequential a(Linear(3, 2)), b(Linear(3, 2));
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(testing::values_of(b.state_dict()[0].second), testing::values_of(a.state_dict()[0].second));
  StateDict extra = a.state_dict();
  extra.emplace_back("9.weight", ones({1}));
  IGNIS_EXPECT_THROW_MSG(b.load_state_dict(extra), ValueError, "unexpected", "9.weight", "kNonStrict");
  const LoadReport report = b.load_state_dict(extra, LoadMode::kNonStrict);
  EXPECT_EQ(report.unexpected_keys, (std::vector<std::string>{"9.weight"}));
  StateDict missing = a.state_dict();
  missing.pop_back();
  IGNIS_EXPECT_THROW_MSG(b.load_state_dict(missing), ValueError, "missing", "0.bias");
  Sequential c(Linear(3, 5));
  IGNIS_EXPECT_THROW_MSG(c.load_state_dict(a.state_dict()), ShapeError, "0.weight", "(2, 3)", "(5, 3)");
}

TEST(Module, ToKeepsParameterIdentity) {
  Linear layer(3, 2);
  const Tensor handle = layer.weight;
  layer.to(kFloat64);
  EXPECT_EQ(handle.dtype(), kFloat64);  // the same parameter, converted in place
  EXPECT_TRUE(handle.is_same(layer.parameters()[0]));
  EXPECT_EQ(layer(ones({1, 3}, {.dtype = kFloat64})).dtype(), kFloat64);
}

TEST(Module, ErrorsNameTheModulePathAndTheFix) {
  TwoLayer m;
  IGNIS_EXPECT_THROW_MSG(m(ones({2, 5})), ShapeError, "[linear fc1]", "4 features", "(2, 5)");
  IGNIS_EXPECT_THROW_MSG(m(ones({2, 4}, {.dtype = kFloat64})), DTypeError, "[linear fc1] weight is float32",
                         "float64");
  Sequential seq(Linear(3, 2));
  IGNIS_EXPECT_THROW_MSG(seq(ones({2})), ShapeError, "[linear 0]", "3 features", "(2)");
  // An input that claims to live on cuda:0 (no memory behind it: the check fails before any use).
  const Tensor on_gpu(std::make_shared<Storage>(DataPtr(nullptr, Device::cuda(0), nullptr), 0), {2, 4},
                      contiguous_strides({2, 4}), 0, kFloat32);
  IGNIS_EXPECT_THROW_MSG(m(on_gpu), DeviceError,
                         "[linear fc1] weight is on cpu but input is on cuda:0 — call model.to(device)");
}

TEST(Module, PrintsLikePyTorch) {
  Sequential seq(Linear(3, 4), ReLU(), Dropout(0.2), Linear(4, 2, {.bias = false}));
  EXPECT_EQ(seq.repr(),
            "Sequential(\n"
            "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Dropout(p=0.2)\n"
            "  (3): Linear(in_features=4, out_features=2, bias=False)\n"
            ")");
}

TEST(Module, ZeroGradClearsEveryGradient) {
  Sequential seq(Linear(3, 2));
  seq(ones({1, 3})).sum().backward();
  for (const Tensor& p : seq.parameters()) EXPECT_TRUE(p.grad().defined());
  seq.zero_grad();
  for (const Tensor& p : seq.parameters()) EXPECT_FALSE(p.grad().defined());
}

}  // namespace
}  // namespace ignis::nn

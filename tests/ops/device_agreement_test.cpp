// CPU-vs-device agreement for the ops the per-family tests do not reach: indexing with every
// dtype (scatter_add's 8-bit and bool atomics included) and its bad-index error, joins, where,
// factories, conversions, softmax-family edge cases, cross-entropy forward and backward, and
// long reductions. On the CPU each case compares the CPU with itself (a sanity check); the cases
// that matter run wherever a GPU is present (scripts/gpu-check).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace ignis {
namespace {

using testing::all_close;
using testing::values_of;

class DeviceAgreement : public testing::DeviceTest {
 protected:
  /// Expects `on_device` (computed on the device) to equal `on_cpu` within tol.
  void expect_same(const Tensor& on_device, const Tensor& on_cpu, double tol, const std::string& what) {
    EXPECT_EQ(on_device.device().type(), device().type()) << what;
    EXPECT_EQ(on_device.dtype(), on_cpu.dtype()) << what;
    EXPECT_TRUE(all_close(on_device, on_cpu.shape(), values_of(on_cpu), tol, tol)) << what;
  }
};

TEST_P(DeviceAgreement, ScatterAddAndGatherForEveryDType) {
  const Tensor index = randint(0, 6, {9, 4});
  for (const DType dtype : {kFloat32, kFloat64, kInt64, kInt32, kUInt8, kBool}) {
    // uint8 sums wrap the same way on both devices (the device adds bytes with a 32-bit CAS).
    const double lo = dtype == kUInt8 || dtype == kBool ? 0 : -100, hi = dtype == kBool ? 2 : 100;
    const Tensor self = testing::random_tensor({6, 4}, dtype, testing::Layout::kContiguous, lo, hi, 11);
    const Tensor src = testing::random_tensor({9, 4}, dtype, testing::Layout::kTransposed, lo, hi, 12);
    const Tensor on_cpu = ops::scatter_add(self, 0, index, src);
    expect_same(ops::scatter_add(self.to(device()), 0, index.to(device()), src.to(device())), on_cpu,
                is_floating_point(dtype) ? 1e-5 : 0, fmt::format("scatter_add {}", name(dtype)));
    const Tensor gathered = ops::gather(self, 0, index);
    expect_same(ops::gather(self.to(device()), 0, index.to(device())), gathered, 0, "gather");
  }
}

TEST_P(DeviceAgreement, ABadIndexIsAnIndexErrorAndTheDeviceStaysUsable) {
  const Tensor x = arange(12, {.dtype = kFloat32}).reshape({3, 4}).to(device());
  IGNIS_EXPECT_THROW_MSG(ops::gather(x, 1, tensor({{0, 4}}).to(device())), IndexError, "out of range");
  IGNIS_EXPECT_THROW_MSG(ops::scatter_add(x, 0, tensor({{-1, 0, 0, 0}}).to(device()), ones({1, 4}).to(device())),
                         IndexError, "out of range");
  IGNIS_EXPECT_THROW_MSG(ops::index_select(x, 0, tensor({3}).to(device())), IndexError, "out of range");
  expect_same(x * 2, arange(12, {.dtype = kFloat32}).reshape({3, 4}) * 2, 0, "after the errors");
}

TEST_P(DeviceAgreement, JoinsWhereAndClamp) {
  const Tensor a = testing::random_tensor({3, 5}, kFloat32, testing::Layout::kTransposed, -1, 1, 21);
  const Tensor b = testing::random_tensor({2, 5}, kFloat32, testing::Layout::kOffset, -1, 1, 22);
  const Tensor ad = a.to(device()), bd = b.to(device());
  expect_same(ops::cat({ad, bd}, 0), ops::cat({a, b}, 0), 0, "cat dim 0");
  expect_same(ops::cat({ad.t(), bd.t()}, 1), ops::cat({a.t(), b.t()}, 1), 0, "cat dim 1");
  expect_same(ops::stack({ad, ad}, 1), ops::stack({a, a}, 1), 0, "stack");
  expect_same(where(ad > 0, ad, bd.narrow(0, 0, 1)), where(a > 0, a, b.narrow(0, 0, 1)), 0, "where");
  expect_same(clamp(ad, -0.5, 0.25), clamp(a, -0.5, 0.25), 0, "clamp");
  expect_same(ops::one_hot(tensor({2, 0, 1}).to(device()), 4), ops::one_hot(tensor({2, 0, 1}), 4), 0, "one_hot");
  constexpr double inf = std::numeric_limits<double>::infinity();
  const Tensor special = tensor({1.0, std::numeric_limits<double>::quiet_NaN(), inf, -inf});
  expect_same(ops::isnan(special.to(device())), ops::isnan(special), 0, "isnan");
  expect_same(ops::isfinite(special.to(device())), ops::isfinite(special), 0, "isfinite");
}

TEST_P(DeviceAgreement, FactoriesAndConversions) {
  const TensorOptions on_device{.device = device()};
  expect_same(arange(0, 10, 3, on_device), arange(0, 10, 3), 0, "arange");
  expect_same(linspace(-1, 1, 7, on_device), linspace(-1, 1, 7), 1e-7, "linspace");
  expect_same(eye(3, 5, on_device), eye(3, 5), 0, "eye");
  expect_same(full({2, 3}, 2.5, on_device), full({2, 3}, 2.5), 0, "full");
  const Tensor x = testing::random_tensor({4, 7}, kFloat32, testing::Layout::kStrided, -300, 300, 31);
  for (const DType to : {kFloat64, kInt64, kInt32, kBool}) {  // (float -> uint8 out of range: undefined in C++)
    expect_same(x.to(device()).to(to), x.to(to), 0, fmt::format("to {}", name(to)));
  }
  Tensor y = zeros({3, 4}, on_device);
  y.narrow(1, 1, 2).fill_(7);
  Tensor y_cpu = zeros({3, 4});
  y_cpu.narrow(1, 1, 2).fill_(7);
  expect_same(y, y_cpu, 0, "fill_ through a view");
}

TEST_P(DeviceAgreement, SoftmaxFamilyEdgesAndCrossEntropyBackward) {
  const Tensor logits = testing::random_tensor({37, 11}, kFloat32, testing::Layout::kContiguous, -20, 20, 41);
  const Tensor masked = where(testing::random_tensor({37, 11}, kFloat32, testing::Layout::kContiguous, 0, 1, 42) >
                                  0.8,
                              full({37, 11}, -INFINITY), logits);
  expect_same(log_softmax(masked.to(device()), 1), log_softmax(masked, 1), 1e-5, "log_softmax with -inf");
  expect_same(softmax(masked.to(device()), 0), softmax(masked, 0), 1e-5, "softmax along dim 0");
  expect_same(logsumexp(masked.to(device()), {1}), logsumexp(masked, {1}), 1e-5, "logsumexp");

  const Tensor labels = randint(0, 11, {37});
  auto loss_and_grad = [&](Device d) {
    Tensor w = logits.to(d).detach().requires_grad_();
    Tensor loss = nn::functional::cross_entropy(w, labels.to(d), {.label_smoothing = 0.05});
    loss.backward();
    return std::pair{loss.detach(), w.grad()};
  };
  const auto [loss_cpu, grad_cpu] = loss_and_grad(Device::cpu());
  const auto [loss_dev, grad_dev] = loss_and_grad(device());
  expect_same(loss_dev, loss_cpu, 1e-5, "cross_entropy");
  expect_same(grad_dev, grad_cpu, 1e-5, "cross_entropy gradient");
}

TEST_P(DeviceAgreement, LongReductionsAndArgmaxTies) {
  const Tensor x = testing::random_tensor({1 << 20}, kFloat32, testing::Layout::kContiguous, 0, 1, 51);
  // Both sides accumulate in higher precision or in trees: the sums of 2^20 values agree closely.
  expect_same(sum(x.to(device())), sum(x), 1e-5, "sum of 2^20");
  expect_same(mean(x.to(device()).reshape({1024, 1024}), {0}), mean(x.reshape({1024, 1024}), {0}), 1e-5,
              "column means");
  expect_same(var(x.to(device()).reshape({256, 4096}), {1}), var(x.reshape({256, 4096}), {1}), 1e-4, "var");
  const Tensor ties = tensor({{1.0, 3.0, 3.0, 0.0}, {5.0, 5.0, 5.0, 5.0}});
  expect_same(argmax(ties.to(device()), 1), argmax(ties, 1), 0, "argmax returns the first of equal maxima");
  expect_same(ops::argmin(ties.to(device()), 1), ops::argmin(ties, 1), 0, "argmin ties");
}

INSTANTIATE_TEST_SUITE_P(Devices, DeviceAgreement, ::testing::ValuesIn(testing::test_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ignis

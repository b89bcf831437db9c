// The micro-batching run on every device (CPU here; cuda:0 in scripts/gpu-check): under a budget,
// a batch twice the largest that fits (found by find_max_batch_size) trains in micro-batches and
// ends where the unbudgeted run ends, after the same number of optimizer steps.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

using MicroBatchingOnDevice = testing::DeviceTest;

constexpr std::int64_t kSamples = 2048, kFeatures = 16, kHidden = 2048, kClasses = 4;

/// Bytes ignis holds on `device` now that the caches are empty (what a budget counts).
std::size_t held(Device device) {
  empty_cpu_cache();
  cuda::empty_cache();
  return device.is_cpu() ? cpu_memory_stats().allocated_bytes : cuda::memory_stats(device.index()).reserved_bytes;
}

struct Budget {
  Budget(Device device, std::size_t bytes) : device_(device) { set_memory_limit(device, bytes); }
  ~Budget() { set_memory_limit(device_, 0); }
  Device device_;
};

Tensor cross_entropy(const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); }

TEST_P(MicroBatchingOnDevice, TwiceTheLargestBatchTrainsLikeTheUnbudgetedRun) {
  const Device device = GetParam().is_cuda() ? Device::cuda(0) : Device::cpu();
  manual_seed(21);
  const auto dataset = std::make_shared<data::TensorDataset>(randn({kSamples, kFeatures}), randint(0, kClasses, {kSamples}));
  auto make_model = [&] {
    manual_seed(4);
    auto model = std::make_unique<nn::Sequential>(nn::Linear(kFeatures, kHidden), nn::ReLU(), nn::Linear(kHidden, kClasses));
    model->to(device);
    return model;
  };
  struct Outcome {
    std::vector<std::vector<float>> parameters;
    std::int64_t steps = 0, micro_batch = 0;
  };
  auto train = [&](std::int64_t batch) {
    auto model = make_model();
    optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
    data::DataLoader loader(dataset, {.batch_size = batch, .shuffle = true, .seed = 2, .prefetch = 0, .device = device});
    std::ostringstream out;
    const train::History h = train::fit(*model, cross_entropy, optimizer, loader, nullptr,
                                        {.verbose = train::Verbosity::kSilent, .out = &out});
    Outcome o{{}, optimizer.step_count(), h.micro_batch_size};
    for (const Tensor& p : model->parameters()) o.parameters.push_back(p.cpu().to_vector<float>());
    return o;
  };

  Outcome budgeted;
  std::int64_t batch = 0;
  {
    std::optional<Budget> budget;
    train::BatchSizeSearchResult found;
    {
      auto model = make_model();
      optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
      budget.emplace(device, held(device) + (std::size_t{24} << 20));
      found = train::find_max_batch_size(*model, cross_entropy, optimizer, *dataset);
    }
    std::cout << device.str() << ": budget +24 MiB, batch " << found.batch_size << " fits\n";
    ASSERT_GT(found.batch_size, 1);
    ASSERT_LE(2 * found.batch_size, kSamples);
    batch = 2 * found.batch_size;
    budgeted = train(batch);
  }
  const Outcome reference = train(batch);
  EXPECT_GT(budgeted.micro_batch, 0);
  EXPECT_LT(budgeted.micro_batch, batch);
  EXPECT_EQ(reference.micro_batch, 0);
  EXPECT_EQ(budgeted.steps, reference.steps);
  EXPECT_EQ(budgeted.steps, (kSamples + batch - 1) / batch);
  double worst = 0, worst_abs = 0;
  for (std::size_t i = 0; i < reference.parameters.size(); ++i) {
    for (std::size_t j = 0; j < reference.parameters[i].size(); ++j) {
      const double d = std::abs(static_cast<double>(budgeted.parameters[i][j]) - reference.parameters[i][j]);
      worst_abs = std::max(worst_abs, d);
      worst = std::max(worst, d / (1e-6 + 1e-5 * std::abs(static_cast<double>(reference.parameters[i][j]))));
    }
  }
  std::cout << device.str() << ": batch " << batch << " in micro-batches of " << budgeted.micro_batch
            << ", max |parameter difference| " << worst_abs << "\n";
  EXPECT_LE(worst, 1.0) << "beyond atol 1e-6 + rtol 1e-5";
}

INSTANTIATE_TEST_SUITE_P(Devices, MicroBatchingOnDevice, ::testing::ValuesIn(testing::test_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ignis

// find_max_batch_size under a CPU memory budget: the batch it finds fits, one more sample does
// not, and the search leaves the model and optimizer as they were.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

constexpr std::int64_t kSamples = 512, kFeatures = 16, kHidden = 1024, kClasses = 4;

struct CpuBudget {
  explicit CpuBudget(std::size_t bytes) { set_memory_limit(Device::cpu(), bytes); }
  ~CpuBudget() { set_memory_limit(Device::cpu(), 0); }
};

Tensor cross_entropy(const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); }

/// Runs one step on the first `b` examples as the search does; false when it ran out of memory.
bool step_fits(nn::Module& model, optim::Optimizer& optimizer, const data::Dataset& dataset, std::int64_t b) {
  empty_cpu_cache();
  try {
    const data::Batch batch = dataset.get_batch(arange(0, b, 1, {.dtype = DType::kInt64}));
    train::train_step(model, cross_entropy, optimizer, batch.input, batch.target);
  } catch (const OutOfMemoryError&) {
    optimizer.zero_grad();
    return false;
  }
  optimizer.zero_grad();
  return true;
}

TEST(FindMaxBatchSize, FindsABatchThatFitsWhileOneMoreDoesNot) {
  manual_seed(5);
  const auto dataset = std::make_shared<data::TensorDataset>(randn({kSamples, kFeatures}), randint(0, kClasses, {kSamples}));
  nn::Sequential model(nn::Linear(kFeatures, kHidden), nn::ReLU(), nn::Linear(kHidden, kClasses));
  optim::SGD optimizer(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  std::vector<std::vector<float>> before;
  for (const Tensor& p : model.parameters()) before.push_back(p.to_vector<float>());
  const PhiloxState generator = default_generator().state();

  empty_cpu_cache();
  // Room for the parameters' gradients and momentum and about 100 samples' activations
  // (each sample: a few rows of kHidden floats).
  const std::size_t budget_bytes = cpu_memory_stats().allocated_bytes + 2 * (kHidden * kFeatures + kHidden * kClasses) * 4 +
                                   100 * 4 * kHidden * 4;
  CpuBudget budget(budget_bytes);
  const train::BatchSizeSearchResult r = train::find_max_batch_size(model, cross_entropy, optimizer, *dataset);
  std::cout << "budget " << budget_bytes << " bytes: batch " << r.batch_size << " fits, " << r.first_failing
            << " does not (" << r.trials.size() << " trial steps)\n";
  EXPECT_GT(r.batch_size, 1);
  EXPECT_LT(r.batch_size, kSamples);
  EXPECT_EQ(r.first_failing, r.batch_size + 1);
  EXPECT_LE(r.trials.size(), 2u * 10u);  // doubling to 512, then bisection

  // The search left everything as it was.
  std::vector<std::vector<float>> after;
  for (const Tensor& p : model.parameters()) after.push_back(p.to_vector<float>());
  EXPECT_EQ(after, before);
  EXPECT_EQ(optimizer.step_count(), 0);
  EXPECT_EQ(optimizer.lr(), 0.05);
  // "step", "lr" and "param_groups.0.{lr,weight_decay,params}": no buffers were kept.
  EXPECT_EQ(optimizer.state_dict().size(), 5u);
  EXPECT_EQ(default_generator().state(), generator);
  for (const Tensor& p : model.parameters()) EXPECT_FALSE(p.grad().defined());

  // Checked independently, in training's steady state (the optimizer's momentum exists after the
  // first step; the search's trials see it too): the batch found fits, one more sample does not.
  EXPECT_TRUE(step_fits(model, optimizer, *dataset, 1));
  EXPECT_TRUE(step_fits(model, optimizer, *dataset, r.batch_size));
  EXPECT_EQ(optimizer.step_count(), 2);
  EXPECT_FALSE(step_fits(model, optimizer, *dataset, r.batch_size + 1));
  EXPECT_EQ(optimizer.step_count(), 2);  // the failed step applied nothing
}

TEST(FindMaxBatchSize, StopsAtTheBoundWhenEverythingFits) {
  manual_seed(5);
  const data::TensorDataset dataset(randn({40, 3}), randint(0, 2, {40}));
  nn::Linear model(3, 2);
  optim::Adam optimizer(model.parameters());
  const train::BatchSizeSearchResult r = train::find_max_batch_size(model, cross_entropy, optimizer, dataset, {.max_batch_size = 24});
  EXPECT_EQ(r.batch_size, 24);
  EXPECT_EQ(r.first_failing, 0);
  ASSERT_FALSE(r.trials.empty());
  EXPECT_EQ(r.trials.back(), std::make_pair(std::int64_t{24}, true));
}

TEST(FindMaxBatchSize, SaysSoWhenNotEvenOneSampleFits) {
  manual_seed(5);
  const data::TensorDataset dataset(randn({8, kFeatures}), randint(0, kClasses, {8}));
  nn::Sequential model(nn::Linear(kFeatures, kHidden), nn::ReLU(), nn::Linear(kHidden, kClasses));
  optim::Adam optimizer(model.parameters());
  empty_cpu_cache();
  CpuBudget budget(cpu_memory_stats().allocated_bytes + 1024);
  IGNIS_EXPECT_THROW_MSG(train::find_max_batch_size(model, cross_entropy, optimizer, dataset), OutOfMemoryError,
                         "not even a batch of 1 fits on cpu", "tried to allocate");
  EXPECT_EQ(optimizer.step_count(), 0);
}

}  // namespace
}  // namespace ignis

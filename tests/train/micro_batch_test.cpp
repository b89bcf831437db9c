// Automatic micro-batching in fit(): a run under a memory budget too small for the whole batch
// matches the unbudgeted run (same data order, same optimizer steps, parameters within float
// summation tolerance); a budget too small for one sample fails cleanly; the memory report adds
// up to the allocator's counters.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <mutex>
#include <numeric>
#include <sstream>

#include "support/reference.hpp"

namespace ignis {
namespace {

constexpr std::int64_t kSamples = 256, kBatch = 64, kFeatures = 16, kHidden = 1024, kClasses = 4;

/// A TensorDataset that records the order in which examples are fetched.
class RecordingDataset : public data::Dataset {
 public:
  RecordingDataset(Tensor x, Tensor y) : base_(std::move(x), std::move(y)) {}
  std::int64_t size() const override { return base_.size(); }
  data::Batch get_batch(const Tensor& indices) const override {
    std::lock_guard lock(mutex_);
    for (std::int64_t i : indices.to_vector<std::int64_t>()) order_.push_back(i);
    return base_.get_batch(indices);
  }
  std::vector<std::int64_t> order() const {
    std::lock_guard lock(mutex_);
    return order_;
  }

 private:
  data::TensorDataset base_;
  mutable std::mutex mutex_;
  mutable std::vector<std::int64_t> order_;
};

struct CpuBudget {
  explicit CpuBudget(std::size_t bytes) { set_memory_limit(Device::cpu(), bytes); }
  ~CpuBudget() { set_memory_limit(Device::cpu(), 0); }
};

// SGD with momentum for the comparisons: Adam's first steps divide each gradient element by its
// own magnitude (m / (sqrt(v) + eps)), so an element whose gradient is ~0 turns rounding noise
// into a full-size update and the runs cannot be compared element by element.
enum class Opt { kSgdMomentum, kAdam };

struct Trainer {
  std::shared_ptr<RecordingDataset> dataset;
  nn::Sequential model{nn::Linear(kFeatures, kHidden), nn::ReLU(), nn::Linear(kHidden, kClasses)};
  std::unique_ptr<optim::Optimizer> optimizer_ptr;
  optim::Optimizer& optimizer;
  data::DataLoader loader;

  explicit Trainer(Opt opt = Opt::kSgdMomentum)
      : dataset(make_dataset()),
        optimizer_ptr(opt == Opt::kAdam ? std::unique_ptr<optim::Optimizer>(new optim::Adam(model.parameters(), {.lr = 1e-2}))
                                        : std::unique_ptr<optim::Optimizer>(new optim::SGD(
                                              model.parameters(), {.lr = 0.05, .momentum = 0.9}))),
        optimizer(*optimizer_ptr),
        loader(dataset, {.batch_size = kBatch, .shuffle = true, .seed = 7, .prefetch = 0}) {}

  static std::shared_ptr<RecordingDataset> make_dataset() {
    manual_seed(11);
    Tensor x = randn({kSamples, kFeatures});
    Tensor y = randint(0, kClasses, {kSamples});
    manual_seed(3);  // the model's initialisation: the same in every Trainer
    return std::make_shared<RecordingDataset>(x, y);
  }

  train::History fit(std::ostream& out, train::OnOutOfMemory on_oom = train::OnOutOfMemory::kMicroBatch,
              std::int64_t epochs = 2, std::int64_t initial_epoch = 0) {
    auto loss = [](const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); };
    return train::fit(model, loss, optimizer, loader, nullptr,
                      {.epochs = epochs,
                       .initial_epoch = initial_epoch,
                       .metrics = {"accuracy"},
                       .verbose = train::Verbosity::kOneLinePerEpoch,
                       .out = &out,
                       .on_out_of_memory = on_oom});
  }

  std::vector<std::vector<float>> parameters() const {
    std::vector<std::vector<float>> out;
    for (const Tensor& p : model.parameters()) out.push_back(p.contiguous().to_vector<float>());
    return out;
  }
};

/// Bytes a whole-batch step needs beyond what the setup holds, measured on an unbudgeted step.
std::size_t step_bytes() {
  Trainer s;
  std::ostringstream out;
  empty_cpu_cache();
  const std::size_t base = cpu_memory_stats().allocated_bytes;
  reset_cpu_peak_memory();
  s.fit(out, train::OnOutOfMemory::kThrow, 1);
  return cpu_memory_stats().peak_allocated_bytes - base;
}

/// max over elements of |a - ref| / (atol + rtol |ref|): ≤ 1 means within tolerance.
double tolerance_ratio(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& ref,
                       double atol, double rtol) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      const double d = std::abs(static_cast<double>(a[i][j]) - ref[i][j]);
      worst = std::max(worst, d / (atol + rtol * std::abs(static_cast<double>(ref[i][j]))));
    }
  }
  return worst;
}

double max_abs_difference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, std::abs(static_cast<double>(a[i][j]) - b[i][j]));
  }
  return worst;
}

TEST(MicroBatching, BudgetedRunMatchesTheUnbudgetedRun) {
  const std::size_t needed = step_bytes();

  Trainer reference;
  std::ostringstream reference_out;
  const train::History reference_history = reference.fit(reference_out);
  EXPECT_EQ(reference_history.micro_batch_size, 0);

  Trainer budgeted;
  empty_cpu_cache();
  std::ostringstream out;
  train::History history;
  {
    // Room for 60% of a whole-batch step: the whole batch cannot fit, half of it can.
    CpuBudget budget(cpu_memory_stats().allocated_bytes + needed * 6 / 10);
    history = budgeted.fit(out);
  }
  EXPECT_GT(history.micro_batch_size, 0);
  EXPECT_LT(history.micro_batch_size, kBatch);
  // Same data in the same order, the same number of optimizer steps.
  EXPECT_EQ(budgeted.dataset->order(), reference.dataset->order());
  EXPECT_EQ(budgeted.dataset->order().size(), static_cast<std::size_t>(2 * kSamples));
  EXPECT_EQ(budgeted.optimizer.step_count(), reference.optimizer.step_count());
  EXPECT_EQ(budgeted.optimizer.step_count(), 2 * kSamples / kBatch);
  // The same parameters up to float summation order.
  std::cout << "micro-batch " << history.micro_batch_size << ", max |parameter difference| vs the unbudgeted run: "
            << max_abs_difference(budgeted.parameters(), reference.parameters()) << "\n";
  EXPECT_LE(tolerance_ratio(budgeted.parameters(), reference.parameters(), 1e-6, 1e-5), 1.0);
  // Loss and accuracy are weighted by samples across micro-batches.
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(history["loss"][e], reference_history["loss"][e], 1e-5 * reference_history["loss"][e]);
    EXPECT_NEAR(history["accuracy"][e], reference_history["accuracy"][e], 1.0 / kSamples);
  }
  // Said when the size changes (once, or again when memory grows later, e.g. when the optimizer
  // creates its state after the first step), ending with the size it settled on.
  const std::string text = out.str();
  const std::string message = fmt::format("continuing in micro-batches of {} ", history.micro_batch_size);
  EXPECT_NE(text.find(message), std::string::npos) << text;
  std::size_t announcements = 0;
  for (std::size_t at = text.find("Out of memory"); at != std::string::npos; at = text.find("Out of memory", at + 1)) {
    ++announcements;
  }
  EXPECT_GE(announcements, 1u);
  EXPECT_LE(announcements, 2u) << text;
}

TEST(MicroBatching, UnevenMicroBatchesGiveTheWholeBatchGradient) {
  Trainer whole, split;
  const data::Batch batch = whole.dataset->get_batch(arange(0, kBatch, 1, {.dtype = DType::kInt64}));
  auto loss = [](const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); };
  const train::StepResult a = train::train_step(whole.model, loss, whole.optimizer, batch.input, batch.target);
  const train::StepResult b = train::train_step(split.model, loss, split.optimizer, batch.input, batch.target, 10);
  EXPECT_EQ(a.micro_batches, 1);
  EXPECT_EQ(b.micro_batches, 7);  // 6 × 10 + 4
  EXPECT_NEAR(b.loss_sum, a.loss_sum, 1e-5 * a.loss_sum);
  EXPECT_LE(tolerance_ratio(split.parameters(), whole.parameters(), 1e-6, 1e-5), 1.0);
}

TEST(MicroBatching, ABudgetTooSmallForOneSampleFailsAndLeavesTheStateIntact) {
  Trainer s(Opt::kAdam), uninterrupted(Opt::kAdam);
  std::ostringstream out;
  s.fit(out, train::OnOutOfMemory::kMicroBatch, 1);  // one epoch: Adam has state now
  const auto parameters = s.parameters();
  const std::int64_t steps = s.optimizer.step_count();
  std::vector<std::vector<float>> state;
  for (const auto& [name, t] : s.optimizer.state_dict()) state.push_back(t.to(DType::kFloat32).contiguous().to_vector<float>());

  s.optimizer.zero_grad();
  empty_cpu_cache();
  {
    CpuBudget budget(cpu_memory_stats().allocated_bytes + 8 * 1024);  // less than one sample's activations
    try {
      s.fit(out, train::OnOutOfMemory::kMicroBatch, 2, 1);
      FAIL() << "expected OutOfMemoryError";
    } catch (const OutOfMemoryError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("even in micro-batches of 1 sample"), std::string::npos) << what;
      EXPECT_NE(what.find("unchanged"), std::string::npos) << what;
      ASSERT_NE(e.report(), nullptr);
      EXPECT_EQ(e.report()->batch_size, 1);
    }
  }
  EXPECT_EQ(s.parameters(), parameters);
  EXPECT_EQ(s.optimizer.step_count(), steps);
  std::vector<std::vector<float>> state_after;
  for (const auto& [name, t] : s.optimizer.state_dict()) state_after.push_back(t.to(DType::kFloat32).contiguous().to_vector<float>());
  EXPECT_EQ(state_after, state);

  // Nothing was corrupted: resuming without the budget gives the uninterrupted run's result.
  s.fit(out, train::OnOutOfMemory::kMicroBatch, 2, 1);
  uninterrupted.fit(out, train::OnOutOfMemory::kMicroBatch, 2);
  EXPECT_EQ(s.optimizer.step_count(), uninterrupted.optimizer.step_count());
  EXPECT_EQ(s.parameters(), uninterrupted.parameters());
}

TEST(MemoryReport, AttributesTrainingMemoryAndAddsUpToTheAllocator) {
  Trainer s(Opt::kAdam);
  std::ostringstream out;
  const std::size_t needed = step_bytes();
  s.fit(out, train::OnOutOfMemory::kThrow, 1);  // parameters, gradients and Adam state exist now
  const std::size_t parameter_bytes = static_cast<std::size_t>(s.model.parameter_count()) * sizeof(float);
  const CpuMemoryStats stats = cpu_memory_stats();
  auto bytes = [&](MemoryCategory c) { return stats.category_bytes[static_cast<std::size_t>(c)]; };
  EXPECT_GE(bytes(MemoryCategory::kParameters), parameter_bytes);
  EXPECT_GE(bytes(MemoryCategory::kGradients), parameter_bytes);
  EXPECT_GE(bytes(MemoryCategory::kOptimizerState), 2 * parameter_bytes);  // Adam: two moments
  EXPECT_LE(bytes(MemoryCategory::kOptimizerState), 2 * parameter_bytes * 5 / 4 + 4 * 4096);  // size classes
  EXPECT_EQ(std::accumulate(stats.category_bytes.begin(), stats.category_bytes.end(), std::size_t{0}),
            stats.allocated_bytes);

  // An out-of-memory error in the middle of a step reports the same figures as the allocator.
  s.optimizer.zero_grad();
  empty_cpu_cache();
  CpuBudget budget(cpu_memory_stats().allocated_bytes + needed * 6 / 10);
  try {
    s.fit(out, train::OnOutOfMemory::kThrow, 2, 1);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    ASSERT_NE(e.report(), nullptr);
    const MemoryReport& r = *e.report();
    const CpuMemoryStats now = cpu_memory_stats();  // the failed step's tensors are freed (cached) by now
    EXPECT_EQ(r.allocated_bytes, std::accumulate(r.category_bytes.begin(), r.category_bytes.end(), std::size_t{0}));
    EXPECT_EQ(r.bytes(MemoryCategory::kParameters), now.category_bytes[static_cast<std::size_t>(MemoryCategory::kParameters)]);
    EXPECT_EQ(r.bytes(MemoryCategory::kOptimizerState),
              now.category_bytes[static_cast<std::size_t>(MemoryCategory::kOptimizerState)]);
    EXPECT_GT(r.bytes(MemoryCategory::kActivations), 0u);
    EXPECT_LE(r.allocated_bytes + r.requested_bytes, r.limit_bytes + r.requested_bytes);
    EXPECT_GT(r.allocated_bytes + r.cached_bytes + r.requested_bytes, r.limit_bytes);  // why it failed
    EXPECT_EQ(r.batch_size, kBatch);
    const std::string what = e.what();
    EXPECT_NE(what.find("should fit"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace ignis

namespace ignis {
namespace {

/// Subtracts the batch mean: a layer whose output for one sample depends on the others.
class BatchCentering : public nn::Module {
 public:
  BatchCentering() : Module("BatchCentering") {}
  Tensor forward(const Tensor& x) override { return x - x.mean({0}, KeepDim::kYes); }
  bool depends_on_batch() const override { return true; }
};

TEST(MicroBatching, NamesLayersThatComputeOverTheBatch) {
  manual_seed(11);
  const auto dataset = std::make_shared<data::TensorDataset>(randn({kBatch, kFeatures}), randint(0, kClasses, {kBatch}));
  data::DataLoader loader(dataset, {.batch_size = kBatch, .prefetch = 0});
  auto loss = [](const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); };
  auto fit = [&](std::optional<double> budget_fraction, std::ostream& out) {
    nn::Sequential model(BatchCentering(), nn::Linear(kFeatures, kHidden), nn::ReLU(), nn::Linear(kHidden, kClasses));
    optim::SGD optimizer(model.parameters(), {.lr = 0.05});
    empty_cpu_cache();
    const std::size_t base = cpu_memory_stats().allocated_bytes;
    reset_cpu_peak_memory();
    std::optional<CpuBudget> budget;
    if (budget_fraction) budget.emplace(base + static_cast<std::size_t>(*budget_fraction));
    const train::History h = train::fit(model, loss, optimizer, loader, nullptr,
                                        {.verbose = train::Verbosity::kOneLinePerEpoch, .out = &out});
    return std::make_pair(cpu_memory_stats().peak_allocated_bytes - base, h.micro_batch_size);
  };
  std::ostringstream first, second;
  const auto [needed, unsplit] = fit(std::nullopt, first);
  EXPECT_EQ(unsplit, 0);
  EXPECT_EQ(first.str().find("computes over the batch"), std::string::npos);
  const auto [peak, micro] = fit(0.6 * static_cast<double>(needed), second);
  EXPECT_GT(micro, 0);
  EXPECT_NE(second.str().find(fmt::format("note: 0 computes over the batch and now sees micro-batches of {}", micro)),
            std::string::npos)
      << second.str();
}

}  // namespace
}  // namespace ignis

// Datasets, permutations and the DataLoader: order, batch sizes, drop_last, seeded shuffling,
// prefetching that changes nothing, and errors carried out of the worker thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "support/reference.hpp"

namespace ignis::data {
namespace {

std::shared_ptr<TensorDataset> numbers(std::int64_t n) {
  const Tensor x = arange(n).to(kFloat32).unsqueeze(1);  // example i has input [i]
  return std::make_shared<TensorDataset>(x, arange(n) * 10);
}

std::vector<double> epoch_inputs(const DataLoader& loader) {
  std::vector<double> seen;
  for (const Batch& b : loader) {
    for (double v : testing::values_of(b.input)) seen.push_back(v);
  }
  return seen;
}

TEST(Permutation, IsAReproduciblePermutationPerStream) {
  const auto p = permutation(1000, 7, 0);
  std::vector<std::int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(p, permutation(1000, 7, 0));
  EXPECT_NE(p, permutation(1000, 7, 1));
  EXPECT_NE(p, permutation(1000, 8, 0));
  EXPECT_TRUE(permutation(0, 1).empty());
}

TEST(TensorDataset, BatchesAreRowsAndShapesMustAgree) {
  const auto ds = numbers(5);
  const Batch b = ds->get_batch(tensor({4, 0}));
  EXPECT_EQ(testing::values_of(b.input), (std::vector<double>{4, 0}));
  EXPECT_EQ(testing::values_of(b.target), (std::vector<double>{40, 0}));
  IGNIS_EXPECT_THROW_MSG(TensorDataset(ones({3, 2}), ones({4})), ShapeError, "(3, 2)", "(4)", "first dimension");
}

TEST(DataLoader, SequentialOrderAndBatchSizes) {
  DataLoader loader(numbers(10), {.batch_size = 4});
  EXPECT_EQ(loader.num_batches(), 3);
  std::vector<std::int64_t> sizes;
  for (const Batch& b : loader) sizes.push_back(b.input.size(0));
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{4, 4, 2}));
  std::vector<double> expected(10);
  std::iota(expected.begin(), expected.end(), 0.0);
  EXPECT_EQ(epoch_inputs(loader), expected);
}

TEST(DataLoader, DropLastDropsTheShortBatch) {
  DataLoader loader(numbers(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(loader.num_batches(), 2);
  EXPECT_EQ(epoch_inputs(loader).size(), 8u);
}

TEST(DataLoader, ShuffleIsSeededPerEpochAndCoversEverything) {
  DataLoader a(numbers(50), {.batch_size = 8, .shuffle = true, .seed = 3});
  DataLoader b(numbers(50), {.batch_size = 8, .shuffle = true, .seed = 3});
  const auto first = epoch_inputs(a);
  EXPECT_EQ(first, epoch_inputs(b));  // same seed, same order
  std::vector<double> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  a.set_epoch(1);
  EXPECT_NE(epoch_inputs(a), first);  // a new order each epoch
  a.set_epoch(0);
  EXPECT_EQ(epoch_inputs(a), first);  // ... reproducible by epoch
}

TEST(DataLoader, PrefetchingChangesNothing) {
  DataLoader with(numbers(37), {.batch_size = 5, .shuffle = true, .seed = 1, .prefetch = 3});
  DataLoader without(numbers(37), {.batch_size = 5, .shuffle = true, .seed = 1, .prefetch = 0});
  EXPECT_EQ(epoch_inputs(with), epoch_inputs(without));
  // Leaving an epoch early stops the worker cleanly.
  for (const Batch& batch : with) {
    (void)batch;
    break;
  }
}

/// A dataset whose third batch fails.
class Failing : public Dataset {
 public:
  std::int64_t size() const override { return 10; }
  Batch get_batch(const Tensor& indices) const override {
    if (indices.at<std::int64_t>({0}) >= 4) throw FormatError("[Failing] corrupt record");
    return {ones({indices.numel()}), ones({indices.numel()})};
  }
};

TEST(DataLoader, WorkerErrorsReachTheLoop) {
  for (int prefetch : {0, 2}) {
    DataLoader loader(std::make_shared<Failing>(), {.batch_size = 2, .prefetch = prefetch});
    int batches = 0;
    IGNIS_EXPECT_THROW_MSG(
        for (const Batch& b : loader) {
          (void)b;
          ++batches;
        },
        FormatError, "corrupt record");
    EXPECT_EQ(batches, 2);
  }
}

TEST(DataLoader, SubsetsAndArguments) {
  auto ds = numbers(10);
  DataLoader loader(std::make_shared<Subset>(ds, std::vector<std::int64_t>{9, 2, 5}), {.batch_size = 2});
  EXPECT_EQ(epoch_inputs(loader), (std::vector<double>{9, 2, 5}));
  IGNIS_EXPECT_THROW_MSG(Subset(ds, {10}), IndexError, "index 10", "10 examples");
  IGNIS_EXPECT_THROW_MSG(DataLoader(ds, {.batch_size = 0}), ValueError, "batch_size");
  DataLoader empty(numbers(0), {.batch_size = 4});
  EXPECT_TRUE(epoch_inputs(empty).empty());
}

}  // namespace
}  // namespace ignis::data

namespace ignis::data {
namespace {

TEST(Transforms, NormalizeRunsOnEveryBatch) {
  auto base = std::make_shared<TensorDataset>(tensor({{0}, {255}}).to(kUInt8), tensor({0, 1}));
  DataLoader loader(std::make_shared<TransformDataset>(base, Normalize{.mean = 127.5, .std = 127.5}), {.batch_size = 2});
  for (const Batch& b : loader) {
    EXPECT_EQ(b.input.dtype(), kFloat32);
    EXPECT_EQ(testing::values_of(b.input), (std::vector<double>{-1, 1}));
  }
  IGNIS_EXPECT_THROW_MSG((Normalize{.mean = 0, .std = 0})(ones({1})), ValueError, "std");
}

}  // namespace
}  // namespace ignis::data

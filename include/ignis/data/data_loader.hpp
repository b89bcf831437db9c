#pragma once
// DataLoader: batches of a dataset in order or in a seeded random order, prepared ahead by a
// background thread, optionally moved to a device.
//
//   data::DataLoader loader(dataset, {.batch_size = 128, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 10; ++epoch) {
//     loader.set_epoch(epoch);   // a new order per epoch, the same on every run
//     for (const data::Batch& batch : loader) { ... }
//   }
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ignis/core/device.hpp"
#include "ignis/data/dataset.hpp"

namespace ignis::data {

struct DataLoaderOptions {
  std::int64_t batch_size = 32;
  bool shuffle = false;
  bool drop_last = false;      // drop a last batch smaller than batch_size
  std::uint64_t seed = 0;      // with shuffle: the order of epoch e is permutation(size, seed, e)
  int prefetch = 2;            // batches prepared ahead by a background thread; 0 = none
  std::optional<Device> device;  // where batches are delivered (default: where the dataset is)
  /// Stage CPU batches in page-locked memory before they go to a CUDA `device` (torch's
  /// pin_memory): the copy runs by DMA, on the prefetch thread, while the model computes. Ignored
  /// when batches stay on the CPU.
  bool pin_memory = false;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});

  std::int64_t num_batches() const;
  std::int64_t size() const { return dataset_->size(); }
  const DataLoaderOptions& options() const { return options_; }
  /// Chooses the order of the next iteration (only matters with shuffle).
  void set_epoch(std::int64_t epoch) { epoch_ = epoch; }
  /// The example order of the current epoch.
  std::vector<std::int64_t> order() const;
  /// Batch i of the current epoch (synchronously).
  Batch batch(std::int64_t i, const std::vector<std::int64_t>& order) const;

  class Iterator;
  Iterator begin() const;
  Iterator end() const;

 private:
  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::int64_t epoch_ = 0;
};

/// Walks one epoch; with prefetch, a worker thread fills a bounded queue. Exceptions from the
/// worker are rethrown by the iterator.
class DataLoader::Iterator {
 public:
  Iterator() = default;  // the end
  Iterator(const DataLoader* loader);
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  const Batch& operator*() const { return current_; }
  const Batch* operator->() const { return &current_; }
  Iterator& operator++();
  bool operator==(const Iterator& other) const { return done() == other.done(); }
  /// The index of the current batch within the epoch.
  std::int64_t index() const { return index_ - 1; }

 private:
  bool done() const { return loader_ == nullptr || finished_; }
  void fetch();

  struct Prefetcher;
  const DataLoader* loader_ = nullptr;
  std::vector<std::int64_t> order_;
  std::int64_t index_ = 0;
  bool finished_ = true;
  Batch current_;
  std::unique_ptr<Prefetcher> prefetcher_;
};

}  // namespace ignis::data

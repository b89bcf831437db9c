#include "ignis/data/data_loader.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "core/check.hpp"
#include "ignis/core/threads.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::data {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (!dataset_) throw ValueError("[DataLoader] the dataset is null");
  if (options.batch_size < 1) detail::fail<ValueError>("[DataLoader] batch_size must be ≥ 1, got {}", options.batch_size);
  if (options.prefetch < 0) detail::fail<ValueError>("[DataLoader] prefetch must be ≥ 0, got {}", options.prefetch);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::int64_t> DataLoader::order() const {
  if (options_.shuffle) return permutation(dataset_->size(), options_.seed, static_cast<std::uint64_t>(epoch_));
  std::vector<std::int64_t> in_order(static_cast<std::size_t>(dataset_->size()));
  for (std::size_t i = 0; i < in_order.size(); ++i) in_order[i] = static_cast<std::int64_t>(i);
  return in_order;
}

Batch DataLoader::batch(std::int64_t i, const std::vector<std::int64_t>& order) const {
  const std::int64_t start = i * options_.batch_size;
  const std::int64_t end = std::min<std::int64_t>(start + options_.batch_size, static_cast<std::int64_t>(order.size()));
  const std::vector<std::int64_t> picked(order.begin() + start, order.begin() + end);
  Batch b = dataset_->get_batch(from_vector(picked, {end - start}));
  if (options_.device) {
    const bool pin = options_.pin_memory && options_.device->is_cuda();
    b.input = (pin && b.input.device().is_cpu() ? b.input.pin_memory() : b.input).to(*options_.device);
    b.target = (pin && b.target.device().is_cpu() ? b.target.pin_memory() : b.target).to(*options_.device);
  }
  return b;
}

DataLoader::Iterator DataLoader::begin() const { return Iterator(this); }
DataLoader::Iterator DataLoader::end() const { return Iterator(); }

/// A worker thread producing the epoch's batches into a queue of at most `depth`.
struct DataLoader::Iterator::Prefetcher {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Batch> queue;
  std::exception_ptr error;
  bool stop = false, producer_done = false;
  std::thread worker;

  Prefetcher(const DataLoader* loader, std::vector<std::int64_t> order, int depth) {
    worker = std::thread([this, loader, order = std::move(order), depth] {
      // This thread's ops run on one thread: an OpenMP team of its own would oversubscribe the
      // cores the training loop's team is using (measured: 2-thread epochs 1.6x slower).
      set_num_threads(1);
      const std::int64_t n = loader->num_batches();
      for (std::int64_t i = 0; i < n; ++i) {
        Batch b;
        try {
          b = loader->batch(i, order);
        } catch (...) {
          std::lock_guard lock(mutex);
          error = std::current_exception();
          break;
        }
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || static_cast<int>(queue.size()) < depth; });
        if (stop) return;
        queue.push_back(std::move(b));
        changed.notify_all();
      }
      std::lock_guard lock(mutex);
      producer_done = true;
      changed.notify_all();
    });
  }

  ~Prefetcher() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    changed.notify_all();
    worker.join();
  }

  std::optional<Batch> pop() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return !queue.empty() || producer_done || error; });
    if (!queue.empty()) {
      Batch b = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
      return b;
    }
    if (error) std::rethrow_exception(error);
    return std::nullopt;
  }
};

DataLoader::Iterator::Iterator(const DataLoader* loader) : loader_(loader), order_(loader->order()), finished_(false) {
  if (loader->options_.prefetch > 0 && loader->num_batches() > 0) {
    prefetcher_ = std::make_unique<Prefetcher>(loader, order_, loader->options_.prefetch);
  }
  fetch();
}

DataLoader::Iterator::Iterator(Iterator&&) noexcept = default;
DataLoader::Iterator& DataLoader::Iterator::operator=(Iterator&&) noexcept = default;
DataLoader::Iterator::~Iterator() = default;

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  fetch();
  return *this;
}

void DataLoader::Iterator::fetch() {
  if (index_ >= loader_->num_batches()) {
    finished_ = true;
    current_ = {};
    return;
  }
  if (prefetcher_) {
    std::optional<Batch> b = prefetcher_->pop();
    if (!b) {
      finished_ = true;
      return;
    }
    current_ = std::move(*b);
  } else {
    current_ = loader_->batch(index_, order_);
  }
  ++index_;
}

}  // namespace ignis::data

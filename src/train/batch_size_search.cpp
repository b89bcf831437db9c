#include "ignis/train/batch_size_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/check.hpp"
#include "ignis/backend/cuda.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/allocator.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/train/train_step.hpp"

namespace ignis::train {

namespace {

void empty_caches() {
  empty_cpu_cache();
  cuda::empty_cache();
}

/// Restores the optimizer, the gradients and the random stream when the search ends (normally or
/// by an exception).
class TrialGuard {
 public:
  TrialGuard(nn::Module& model, optim::Optimizer& optimizer)
      : model_(model), optimizer_(optimizer), generator_(default_generator().state()) {
    if (optimizer.step_count() > 0) {
      for (const auto& [name, t] : optimizer.state_dict()) state_.emplace_back(name, ops::clone(t));
    } else {
      state_ = optimizer.state_dict();  // step 0: no buffers yet, nothing the trials can change in place
    }
    optimizer.set_lr(0);
  }
  ~TrialGuard() {
    try {
      model_.zero_grad();
      optimizer_.zero_grad();
      optimizer_.load_state_dict(state_);  // every group's lr too
      default_generator().set_state(generator_);
      empty_caches();
    } catch (...) {  // a destructor must not throw; load_state_dict of its own state does not fail
    }
  }
  TrialGuard(const TrialGuard&) = delete;
  TrialGuard& operator=(const TrialGuard&) = delete;

 private:
  nn::Module& model_;
  optim::Optimizer& optimizer_;
  PhiloxState generator_;
  nn::StateDict state_;
};

}  // namespace

BatchSizeSearchResult find_max_batch_size(nn::Module& model, const LossFn& loss, optim::Optimizer& optimizer,
                                          const data::Dataset& dataset, const BatchSizeSearchOptions& options) {
  if (dataset.size() == 0) throw ValueError("[find_max_batch_size] the dataset is empty");
  if (options.max_batch_size < 0) {
    detail::fail<ValueError>("[find_max_batch_size] max_batch_size must be ≥ 0, got {}", options.max_batch_size);
  }
  const std::int64_t bound = options.max_batch_size > 0 ? std::min(options.max_batch_size, dataset.size()) : dataset.size();
  const std::vector<Tensor> params = model.parameters();
  const Device device = params.empty() ? Device::cpu() : params.front().device();
  const bool was_training = model.is_training();
  model.train();

  BatchSizeSearchResult result;
  std::optional<OutOfMemoryError> first_error;
  {
    TrialGuard guard(model, optimizer);
    auto fits = [&](std::int64_t b) {
      empty_caches();
      bool ok = true;
      try {
        data::Batch batch = dataset.get_batch(arange(0, b, 1, {.dtype = DType::kInt64}));
        train_step(model, loss, optimizer, ops::to(batch.input, device), ops::to(batch.target, device));
      } catch (const OutOfMemoryError& e) {
        ok = false;
        if (!first_error) first_error.emplace(e);
      }
      optimizer.zero_grad();
      result.trials.emplace_back(b, ok);
      return ok;
    };
    std::int64_t lo = 0, hi = 0;  // lo fitted, hi did not (0: none yet)
    for (std::int64_t b = 1;; b = std::min(b * 2, bound)) {
      if (fits(b)) {
        lo = b;
        if (b == bound) break;
      } else {
        hi = b;
        break;
      }
    }
    if (lo == 0) {
      detail::fail<OutOfMemoryError>(
          "[find_max_batch_size] not even a batch of 1 fits on {}: the model, its gradients and optimizer state take "
          "the memory. {}",
          device.str(), first_error ? first_error->what() : "");
    }
    while (hi > 0 && hi - lo > 1) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      (fits(mid) ? lo : hi) = mid;
    }
    result.batch_size = lo;
    result.first_failing = hi;
  }
  model.train(was_training);
  return result;
}

}  // namespace ignis::train

#pragma once
// find_max_batch_size: a pre-flight search for the largest batch whose training step fits in
// memory (under the device's budget, ignis::set_memory_limit, or its physical memory). Each trial
// is one real step (forward, backward, optimizer update) on the dataset's first examples.
#include <cstdint>
#include <utility>
#include <vector>

#include "ignis/data/dataset.hpp"
#include "ignis/nn/module.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/train/fit.hpp"

namespace ignis::train {

struct BatchSizeSearchOptions {
  /// The largest batch tried (0: the dataset's size). On the CPU without a budget allocations
  /// rarely fail before the system starts swapping, so give a budget or a bound there.
  std::int64_t max_batch_size = 0;
};

struct BatchSizeSearchResult {
  std::int64_t batch_size = 0;     // the largest batch whose step fitted
  std::int64_t first_failing = 0;  // batch_size + 1 when the search ended on a failure; 0 when max_batch_size fitted
  /// Every trial in order: (batch size, whether its step fitted).
  std::vector<std::pair<std::int64_t, bool>> trials;
};

/// Doubles the batch from 1 until a step runs out of memory (or reaches the bound), then bisects
/// between the last size that fitted and the first that did not, so the result fits and one more
/// sample does not. The first trial creates the optimizer's state, so later trials measure what
/// every training step after the first needs. Trials run on the parameters' device with the learning rate set to 0 (every
/// ignis optimizer then leaves the parameters unchanged); afterwards the gradients are cleared,
/// the caches emptied, and the optimizer's state, step count and learning rate and the default
/// random generator restored, so training afterwards is as if no trial had run. A non-empty
/// optimizer state is copied for that, and the copy counts against the budget during the search.
/// OutOfMemoryError when not even a batch of 1 fits; ValueError for an empty dataset.
BatchSizeSearchResult find_max_batch_size(nn::Module& model, const LossFn& loss, optim::Optimizer& optimizer,
                                          const data::Dataset& dataset, const BatchSizeSearchOptions& options = {});

}  // namespace ignis::train

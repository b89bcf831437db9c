#pragma once
// One training step (forward, loss, backward, optimizer update) over a batch, optionally split
// into micro-batches whose gradients are accumulated, so that the optimizer sees the gradient of
// the whole batch: for a mean-reduced loss, grad(batch) = Σ_i (m_i / n) · grad(micro-batch i).
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "ignis/nn/module.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::train {

/// What a step produced: the loss summed over samples (mean loss × samples of each micro-batch)
/// and each micro-batch's detached outputs with its targets, for metrics.
struct StepResult {
  double loss_sum = 0;
  std::int64_t samples = 0;
  std::int64_t micro_batches = 0;
  std::vector<std::pair<Tensor, Tensor>> outputs;
};

/// Runs one step over (input, target), whose first dimension is the batch, in micro-batches of at
/// most `micro_batch_size` samples (0, or ≥ the batch: one pass over the whole batch). The loss
/// must be the mean over the samples of its inputs. Gradients are cleared first; the optimizer
/// steps once. Forward allocations are tagged as activations and the batch size is given to the
/// allocators (BatchSizeHint) for their out-of-memory estimates.
///
/// On an exception (OutOfMemoryError included) nothing has been applied: the parameters and the
/// optimizer's state and step count are as before (Optimizer::step prepares everything before it
/// changes anything); the gradients may hold part of the batch, so clear them before retrying.
StepResult train_step(nn::Module& model, const std::function<Tensor(const Tensor&, const Tensor&)>& loss,
                      optim::Optimizer& optimizer, const Tensor& input, const Tensor& target,
                      std::int64_t micro_batch_size = 0);

}  // namespace ignis::train

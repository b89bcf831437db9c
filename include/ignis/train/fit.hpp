#pragma once
// The training loop behind Keras-style fit(), usable directly with any Module, loss, optimizer
// and DataLoader. Epoch logs are sample-weighted means over the epoch ("loss", each metric,
// then "val_" forms when validation data is given, then "lr").
//
// Out of memory: by default a step that runs out of memory is retried in micro-batches with
// accumulated gradients (OnOutOfMemory). The loss must be a mean over the batch's samples (all of
// ignis's losses are, with their default reduction) for the step to equal the whole batch's;
// layers that look across the batch (Module::depends_on_batch, e.g. a batch normalisation) then
// see micro-batches instead, which fit() names when it starts splitting. Random layers (dropout)
// draw their masks per micro-batch, in order, from the same generator; each draw starts on a
// whole Philox block (4 float32 values), so the masks equal the unsplit batch's only when each
// micro-batch's element count at the layer is a multiple of 4 (else: same distribution).
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ignis/data/data_loader.hpp"
#include "ignis/nn/module.hpp"
#include "ignis/optim/lr_scheduler.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/train/callbacks.hpp"
#include "ignis/train/logs.hpp"

namespace ignis::train {

/// loss(model output, target) -> a scalar tensor.
using LossFn = std::function<Tensor(const Tensor& output, const Tensor& target)>;

/// kAuto: a live bar on a terminal, one line per epoch otherwise (Keras's verbose 1 / 2).
enum class Verbosity { kAuto, kSilent, kProgressBar, kOneLinePerEpoch };

/// What fit() does when a training step runs out of memory (OutOfMemoryError).
enum class OnOutOfMemory {
  /// Release the allocators' caches, split the batch into micro-batches of half the size
  /// (halving again while it still fails, down to 1 sample), accumulate their gradients and
  /// retry the same step: the optimizer sees the same batch, no data is skipped or repeated,
  /// and the micro-batch size is kept for the rest of the run (said once in the progress output).
  kMicroBatch,
  kThrow,  // let the error propagate
};

struct FitOptions {
  std::int64_t epochs = 1;
  std::int64_t initial_epoch = 0;  // resume numbering (epochs counts from 0, not from here)
  std::vector<std::shared_ptr<Callback>> callbacks;
  std::vector<std::string> metrics;  // "accuracy", "mae", "mse"
  bool probabilities = false;        // the model outputs probabilities (softmax/sigmoid), not logits
  Verbosity verbose = Verbosity::kAuto;
  std::ostream* out = nullptr;       // where progress goes; null = std::cout
  /// Stepped once after every epoch (after "lr" is logged, before on_epoch_end), as PyTorch's
  /// epoch schedulers; checkpoints save and restore it.
  optim::LRScheduler* scheduler = nullptr;
  /// A checkpoint directory written by io::TrainingCheckpoint (or one checkpoint in it): the
  /// model, optimizer, scheduler and random state are restored from its newest complete
  /// checkpoint and training continues with the epoch after it, reproducing the uninterrupted
  /// run bit for bit on the CPU. Callbacks' own state (EarlyStopping's patience) is not restored.
  std::string resume_from;
  OnOutOfMemory on_out_of_memory = OnOutOfMemory::kMicroBatch;
  /// Run every step in micro-batches of at most this many samples from the start (0: whole
  /// batches until memory runs out).
  std::int64_t micro_batch_size = 0;
};

/// Where fit() continues after restoring a checkpoint.
struct ResumePoint {
  std::int64_t epoch = 0;        // the first epoch still to run
  std::string checkpoint;        // the checkpoint directory used
};

/// Restores the checkpoint at `path` into ctx (model, optimizer, scheduler, random state; checks
/// that ctx.train_data batches as it did). The io layer, which owns the checkpoint format,
/// installs it when the library loads; fit() calls it for FitOptions::resume_from.
using CheckpointRestorer = std::function<ResumePoint(const std::string& path, TrainingContext& ctx)>;
void set_checkpoint_restorer(CheckpointRestorer restorer);

/// Per-epoch logs of a fit() run.
class History {
 public:
  /// The values of one log ("loss", "val_accuracy", ...); ValueError if never logged.
  const std::vector<double>& operator[](const std::string& name) const;
  bool contains(const std::string& name) const;
  const std::vector<std::pair<std::string, std::vector<double>>>& values() const { return values_; }
  std::int64_t epochs() const { return epochs_; }
  void append(const Logs& logs);

  std::string stop_reason;  // why training ended early (empty when it ran all epochs)
  double seconds = 0;       // wall time of fit()
  std::int64_t samples = 0; // training samples processed
  std::int64_t micro_batch_size = 0;  // the micro-batch size fit() ended with (0: whole batches)

 private:
  std::vector<std::pair<std::string, std::vector<double>>> values_;
  std::int64_t epochs_ = 0;
};

History fit(nn::Module& model, const LossFn& loss, optim::Optimizer& optimizer, data::DataLoader& train,
            data::DataLoader* validation, const FitOptions& options);

/// Loss and metrics over a dataset in eval mode, without gradients.
Logs evaluate(nn::Module& model, const LossFn& loss, const data::DataLoader& data,
              const std::vector<std::string>& metrics, bool probabilities = false);

/// The model's outputs for every example, concatenated along the first dimension (eval mode).
Tensor predict(nn::Module& model, const data::DataLoader& data);

}  // namespace ignis::train

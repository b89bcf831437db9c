#pragma once
// Training checkpoints. A checkpoint root holds one directory per saved epoch:
//   <root>/ckpt-000003/        state after 3 finished epochs (training continues with epoch 3)
//     model.safetensors        the model's state_dict (PyTorch names)
//     optimizer.safetensors    the optimizer's state_dict ("step", "lr", "param_groups.<g>.*", "state.<i>.<name>")
//     scheduler.safetensors    the LR scheduler's state_dict (only when fit() has one)
//     trainer.json             epoch, optimizer steps, random state, data-loader position
//     MANIFEST.json            written last: the size and CRC-32C of every other file
// Every file is written atomically (ignis/core/atomic_file.hpp) into "<name>.tmp-<pid>", which is
// renamed to "ckpt-NNNNNN" only when complete, then the root is fsync'ed. A crash at any point
// leaves the earlier checkpoints intact and at most a ".tmp-" directory, which readers ignore
// and the next save removes. One process at a time may save into a root.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ignis/train/callbacks.hpp"
#include "ignis/train/fit.hpp"

namespace ignis::io {

/// Saves the state of ctx (model, optimizer, scheduler, default generator, data-loader position)
/// as the checkpoint of `next_epoch` finished epochs under `root`, then removes all but the
/// newest `keep_last` checkpoints (0 keeps all). Returns the checkpoint's directory.
std::string save_checkpoint(const std::string& root, const train::TrainingContext& ctx, std::int64_t next_epoch,
                            std::int64_t keep_last = 3);

/// Checks a checkpoint directory against its manifest (every file present, with its size and
/// CRC-32C). FormatError naming the file and what differs when it is partial or corrupt.
void verify_checkpoint(const std::string& checkpoint);

/// The complete checkpoints under `root`, oldest first (directories named ckpt-NNNNNN).
std::vector<std::string> list_checkpoints(const std::string& root);

/// Restores `path` into ctx. `path` is one checkpoint (refused with FormatError if corrupt) or a
/// root, whose newest checkpoint that verifies is used: corrupt ones are skipped with a note on
/// ctx.out. FormatError when there is none; ValueError when ctx's model, optimizer, scheduler or
/// data loader do not match what was saved.
train::ResumePoint restore_checkpoint(const std::string& path, train::TrainingContext& ctx);

struct TrainingCheckpointOptions {
  std::string directory = "checkpoints";
  std::int64_t keep_last = 3;   // 0 keeps every checkpoint
};

/// Saves a checkpoint after every epoch, for FitOptions::resume_from (Keras's BackupAndRestore).
class TrainingCheckpoint : public train::Callback {
 public:
  explicit TrainingCheckpoint(TrainingCheckpointOptions options = {});
  void on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs& logs) override;
  /// The directory of the newest checkpoint saved by this callback (empty before the first).
  const std::string& last_saved() const { return last_saved_; }

 private:
  TrainingCheckpointOptions options_;
  std::string last_saved_;
};

struct ModelCheckpointOptions {
  /// Where the weights go (safetensors); "{epoch}" is replaced by the 1-based epoch number,
  /// e.g. "weights-{epoch}.safetensors".
  std::string filepath = "model.safetensors";
  std::string monitor = "val_loss";
  train::MonitorMode mode = train::MonitorMode::kAuto;  // auto: max for names with "acc"
  bool save_best_only = false;  // save only when `monitor` improves on the best so far
};

/// Saves the model's weights after each epoch, or only when the monitored log improves
/// (Keras's ModelCheckpoint with save_weights_only). Files are written atomically.
class ModelCheckpoint : public train::Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options = {});
  void on_train_begin(train::TrainingContext& ctx) override;
  void on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs& logs) override;
  /// The best value of the monitored log so far (with save_best_only).
  std::optional<double> best() const { return best_; }

 private:
  ModelCheckpointOptions options_;
  bool maximize_ = false;
  std::optional<double> best_;
};

}  // namespace ignis::io

#pragma once
// TensorBoard callback for fit(), as Keras's: every epoch log ("loss", metrics, "val_*", "lr")
// as a scalar named "epoch_<name>" at step = epoch, optionally every batch log as
// "batch_<name>" at step = batches seen so far, and optionally histograms of the parameters.
#include <cstdint>
#include <memory>
#include <string>

#include "ignis/io/summary_writer.hpp"
#include "ignis/train/callbacks.hpp"

namespace ignis::io {

struct TensorBoardOptions {
  std::string log_dir = "runs";
  bool per_batch = false;            // also log every batch
  std::int64_t histogram_freq = 0;   // parameter histograms every N epochs (0: never)
};

class TensorBoard : public train::Callback {
 public:
  explicit TensorBoard(TensorBoardOptions options = {});
  void on_train_begin(train::TrainingContext& ctx) override;
  void on_batch_end(train::TrainingContext& ctx, std::int64_t batch, const train::Logs& logs) override;
  void on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs& logs) override;
  void on_train_end(train::TrainingContext& ctx) override;
  /// The event file of the current run (empty before on_train_begin).
  std::string path() const { return writer_ ? writer_->path() : std::string(); }

 private:
  TensorBoardOptions options_;
  std::unique_ptr<SummaryWriter> writer_;
  std::int64_t batches_ = 0;
};

}  // namespace ignis::io

#include "ignis/io/tensorboard_callback.hpp"

namespace ignis::io {

TensorBoard::TensorBoard(TensorBoardOptions options) : options_(std::move(options)) {}

void TensorBoard::on_train_begin(train::TrainingContext& ctx) {
  writer_ = std::make_unique<SummaryWriter>(options_.log_dir);
  batches_ = 0;
  if (ctx.model != nullptr) writer_->add_text("model", "```\n" + ctx.model->repr() + "\n```", 0);
}

void TensorBoard::on_batch_end(train::TrainingContext&, std::int64_t, const train::Logs& logs) {
  ++batches_;
  if (!options_.per_batch || !writer_) return;
  for (const auto& [name, value] : logs) writer_->add_scalar("batch_" + name, value, batches_);
}

void TensorBoard::on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs& logs) {
  if (!writer_) return;
  for (const auto& [name, value] : logs) writer_->add_scalar("epoch_" + name, value, epoch);
  if (options_.histogram_freq > 0 && ctx.model != nullptr && (epoch + 1) % options_.histogram_freq == 0) {
    for (const auto& [name, p] : ctx.model->named_parameters()) {
      if (p.numel() > 0) writer_->add_histogram(name, p, epoch);
    }
  }
}

void TensorBoard::on_train_end(train::TrainingContext&) {
  if (writer_) writer_->close();
}

}  // namespace ignis::io

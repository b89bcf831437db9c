#include <cmath>

#include "core/check.hpp"
#include "ignis/io/checkpoint.hpp"
#include "ignis/io/safetensors.hpp"

namespace ignis::io {

TrainingCheckpoint::TrainingCheckpoint(TrainingCheckpointOptions options) : options_(std::move(options)) {}

void TrainingCheckpoint::on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs&) {
  last_saved_ = save_checkpoint(options_.directory, ctx, epoch + 1, options_.keep_last);
}

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : options_(std::move(options)) {
  maximize_ = options_.mode == train::MonitorMode::kMax ||
              (options_.mode == train::MonitorMode::kAuto && options_.monitor.find("acc") != std::string::npos);
}

void ModelCheckpoint::on_train_begin(train::TrainingContext&) { best_.reset(); }

void ModelCheckpoint::on_epoch_end(train::TrainingContext& ctx, std::int64_t epoch, const train::Logs& logs) {
  if (ctx.model == nullptr) return;
  if (options_.save_best_only) {
    const auto value = train::find(logs, options_.monitor);
    if (!value) {
      std::vector<std::string> names;
      for (const auto& [n, v] : logs) names.push_back(n);
      ignis::detail::fail<ValueError>("[ModelCheckpoint] monitors \"{}\" but the epoch logs hold [{}]; pass validation "
                                      "data or monitor one of these",
                                      options_.monitor, fmt::join(names, ", "));
    }
    if (std::isnan(*value)) return;
    const bool better = !best_ || (maximize_ ? *value > *best_ : *value < *best_);
    if (!better) return;
    if (ctx.out != nullptr && best_) {
      *ctx.out << fmt::format("ModelCheckpoint: {} improved from {:.5f} to {:.5f}\n", options_.monitor, *best_, *value);
    }
    best_ = *value;
  }
  std::string path = options_.filepath;
  for (std::size_t at = path.find("{epoch}"); at != std::string::npos; at = path.find("{epoch}")) {
    path.replace(at, 7, std::to_string(epoch + 1));
  }
  save_safetensors(path, *ctx.model);
}

}  // namespace ignis::io

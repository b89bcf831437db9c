#include "ignis/train/callbacks.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/ops/copy.hpp"

namespace ignis::train {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  maximize_ = options_.mode == MonitorMode::kMax ||
              (options_.mode == MonitorMode::kAuto && options_.monitor.find("acc") != std::string::npos);
}

void EarlyStopping::on_train_begin(TrainingContext&) {
  best_ = maximize_ ? -INFINITY : INFINITY;
  wait_ = 0;
  stopped_epoch_.reset();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(TrainingContext& ctx, std::int64_t epoch, const Logs& logs) {
  const std::optional<double> current = find(logs, options_.monitor);
  if (!current) {
    detail::fail<ValueError>("[EarlyStopping] monitored value \"{}\" is not in the logs; pass validation data or "
                             "monitor one of the logged values",
                             options_.monitor);
  }
  const bool improved = maximize_ ? *current > best_ + options_.min_delta : *current < best_ - options_.min_delta;
  if (improved) {
    best_ = *current;
    wait_ = 0;
    if (options_.restore_best_weights && ctx.model != nullptr) {
      NoGradGuard no_grad;
      best_weights_.clear();
      for (const auto& [name, t] : ctx.model->state_dict()) best_weights_.emplace_back(name, ops::clone(t));
    }
    return;
  }
  if (++wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    ctx.stop = true;
    ctx.stop_reason = fmt::format("early stopping at epoch {}: {} has not improved on {:.4f} for {} epoch(s)",
                                  epoch + 1, options_.monitor, best_, wait_);
  }
}

void EarlyStopping::on_train_end(TrainingContext& ctx) {
  if (stopped_epoch_ && options_.restore_best_weights && !best_weights_.empty() && ctx.model != nullptr) {
    ctx.model->load_state_dict(best_weights_);
    if (ctx.out) *ctx.out << "Restored the weights of the best epoch (" << options_.monitor << " " << best_ << ")\n";
  }
}

void TerminateOnNaN::on_batch_end(TrainingContext& ctx, std::int64_t batch, const Logs& logs) {
  const std::optional<double> loss = find(logs, "loss");
  if (!loss) return;
  if (std::isfinite(*loss)) {
    last_finite_ = *loss;
    return;
  }
  ctx.stop = true;
  ctx.stop_reason = fmt::format("batch {} of epoch {}: invalid loss {}, terminating training (last finite loss: {})",
                                batch + 1, epoch_ + 1, *loss,
                                last_finite_ ? fmt::format("{:.6g}", *last_finite_) : std::string("none"));
}

ReduceLROnPlateau::ReduceLROnPlateau(optim::PlateauOptions options, std::string monitor)
    : options_(options), monitor_(std::move(monitor)) {}

void ReduceLROnPlateau::on_train_begin(TrainingContext& ctx) {
  if (ctx.optimizer == nullptr) throw ValueError("[ReduceLROnPlateau] fit() passed no optimizer");
  scheduler_ = std::make_unique<optim::ReduceLROnPlateau>(*ctx.optimizer, options_);
}

void ReduceLROnPlateau::on_epoch_end(TrainingContext& ctx, std::int64_t epoch, const Logs& logs) {
  const std::optional<double> current = find(logs, monitor_);
  if (!current) {
    detail::fail<ValueError>("[ReduceLROnPlateau] monitored value \"{}\" is not in the logs", monitor_);
  }
  if (scheduler_->step(*current) && ctx.out) {
    *ctx.out << fmt::format("Epoch {}: ReduceLROnPlateau reducing learning rate to {:.4g}.\n", epoch + 1,
                            ctx.optimizer->lr());
  }
}

CSVLogger::CSVLogger(std::string path, bool append) : path_(std::move(path)), append_(append) {}

void CSVLogger::on_train_begin(TrainingContext&) {
  file_.open(path_, append_ ? std::ios::app : std::ios::trunc);
  if (!file_) detail::fail<FormatError>("[CSVLogger] cannot write {}", path_);
  header_written_ = append_ && file_.tellp() > 0;
}

void CSVLogger::on_epoch_end(TrainingContext&, std::int64_t epoch, const Logs& logs) {
  if (!header_written_) {
    file_ << "epoch";
    for (const auto& [name, value] : logs) file_ << ',' << name;
    file_ << '\n';
    header_written_ = true;
  }
  file_ << epoch;
  for (const auto& [name, value] : logs) file_ << ',' << fmt::format("{:.10g}", value);
  file_ << '\n';
  file_.flush();  // a crash later keeps every finished epoch
}

}  // namespace ignis::train

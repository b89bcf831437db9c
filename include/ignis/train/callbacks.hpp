#pragma once
// Callbacks observe and steer fit(): Keras's EarlyStopping, ReduceLROnPlateau, TerminateOnNaN,
// CSVLogger and LambdaCallback. ModelCheckpoint, TrainingCheckpoint and TensorBoard live in the
// io layer (ignis/io/), which owns the file formats.
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ignis/data/data_loader.hpp"
#include "ignis/nn/module.hpp"
#include "ignis/optim/lr_scheduler.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/train/logs.hpp"

namespace ignis::train {

/// What callbacks see of the run, and how they stop it.
struct TrainingContext {
  nn::Module* model = nullptr;
  optim::Optimizer* optimizer = nullptr;
  bool stop = false;           // set to end training after this epoch (or batch)
  std::string stop_reason;     // said once in the output and kept in History
  std::ostream* out = nullptr; // where callbacks may report (null: silent)
  const data::DataLoader* train_data = nullptr;  // the training batches (checkpoints record its position)
  optim::LRScheduler* scheduler = nullptr;       // FitOptions::scheduler, if any
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainingContext&) {}
  virtual void on_epoch_begin(TrainingContext&, std::int64_t /*epoch*/) {}
  virtual void on_batch_end(TrainingContext&, std::int64_t /*batch*/, const Logs&) {}
  virtual void on_epoch_end(TrainingContext&, std::int64_t /*epoch*/, const Logs&) {}
  virtual void on_train_end(TrainingContext&) {}
};

enum class MonitorMode { kAuto, kMin, kMax };

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  std::int64_t patience = 0;
  MonitorMode mode = MonitorMode::kAuto;  // auto: max for names with "acc", min otherwise
  bool restore_best_weights = false;
};

/// Stops when `monitor` has not improved (by more than min_delta) for `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(TrainingContext&) override;
  void on_epoch_end(TrainingContext& ctx, std::int64_t epoch, const Logs& logs) override;
  void on_train_end(TrainingContext& ctx) override;
  /// The epoch training stopped at (0-based), if it did.
  std::optional<std::int64_t> stopped_epoch() const { return stopped_epoch_; }

 private:
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  std::int64_t wait_ = 0;
  std::optional<std::int64_t> stopped_epoch_;
  nn::StateDict best_weights_;
};

/// Stops at the first batch whose loss is NaN or infinite and says where, with the last finite
/// loss.
class TerminateOnNaN : public Callback {
 public:
  void on_epoch_begin(TrainingContext&, std::int64_t epoch) override { epoch_ = epoch; }
  void on_batch_end(TrainingContext& ctx, std::int64_t batch, const Logs& logs) override;

 private:
  std::int64_t epoch_ = 0;
  std::optional<double> last_finite_;
};

/// Keras's ReduceLROnPlateau as a callback over optim::ReduceLROnPlateau (monitor "val_loss").
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(optim::PlateauOptions options = {}, std::string monitor = "val_loss");
  void on_train_begin(TrainingContext& ctx) override;
  void on_epoch_end(TrainingContext& ctx, std::int64_t epoch, const Logs& logs) override;

 private:
  optim::PlateauOptions options_;
  std::string monitor_;
  std::unique_ptr<optim::ReduceLROnPlateau> scheduler_;
};

/// Writes one CSV row per epoch: epoch, then every log value (header from the first epoch).
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string path, bool append = false);
  void on_train_begin(TrainingContext&) override;
  void on_epoch_end(TrainingContext&, std::int64_t epoch, const Logs& logs) override;

 private:
  std::string path_;
  bool append_;
  bool header_written_ = false;
  std::ofstream file_;
};

/// A callback made of functions (each optional).
struct LambdaCallback : public Callback {
  std::function<void(TrainingContext&)> train_begin, train_end;
  std::function<void(TrainingContext&, std::int64_t)> epoch_begin;
  std::function<void(TrainingContext&, std::int64_t, const Logs&)> batch_end, epoch_end;

  void on_train_begin(TrainingContext& c) override { if (train_begin) train_begin(c); }
  void on_epoch_begin(TrainingContext& c, std::int64_t e) override { if (epoch_begin) epoch_begin(c, e); }
  void on_batch_end(TrainingContext& c, std::int64_t b, const Logs& l) override { if (batch_end) batch_end(c, b, l); }
  void on_epoch_end(TrainingContext& c, std::int64_t e, const Logs& l) override { if (epoch_end) epoch_end(c, e, l); }
  void on_train_end(TrainingContext& c) override { if (train_end) train_end(c); }
};

}  // namespace ignis::train

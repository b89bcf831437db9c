#pragma once
// Learning-rate schedules (torch.optim.lr_scheduler), in closed form: step() advances one epoch
// (or iteration, as you call it) and writes the new rate into the optimizer. As in PyTorch,
// constructing a scheduler sets epoch 0's rate, and every schedule scales each parameter group
// from that group's own base rate (PyTorch's base_lrs: the group's rate when the first scheduler
// was attached, Optimizer::initial_lrs()). Absolute values (eta_min, max_lr, min_lr) are the
// same for every group, as when PyTorch is given one number.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ignis/nn/module.hpp"
#include "ignis/optim/optimizer.hpp"

namespace ignis::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  /// Advances one epoch and writes every group's rate for it.
  void step();
  /// Group 0's current rate (the rate, with one group).
  double last_lr() const { return optimizer_->lr(); }
  /// Every group's current rate (PyTorch's get_last_lr()).
  std::vector<double> last_lrs() const;
  std::int64_t last_epoch() const { return last_epoch_; }
  /// One base rate per parameter group.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const Optimizer& optimizer() const { return *optimizer_; }
  /// "last_epoch", "base_lr" (group 0's) and "base_lrs" (one per group), for checkpoints.
  virtual nn::StateDict state_dict() const;
  /// Restores the position and base rates and writes the rates of that epoch. A state without
  /// "base_lrs" (written before groups existed) gives every group its "base_lr".
  virtual void load_state_dict(const nn::StateDict& state);

 protected:
  /// Base rates: the optimizer's initial_lrs().
  explicit LRScheduler(Optimizer& optimizer);
  /// The same base rate for every group (OneCycleLR's max_lr / div_factor).
  LRScheduler(Optimizer& optimizer, double base_lr);
  /// Group `group`'s rate at `epoch` (≥ 0).
  virtual double lr_at(std::int64_t epoch, std::size_t group) const = 0;
  /// Sets epoch 0's rates; called by each subclass constructor once its fields are set.
  void start() { move_to(0); }
  /// Makes `epoch` the current one and writes its rates.
  virtual void move_to(std::int64_t epoch);
  double base_lr(std::size_t group) const { return base_lrs_[group]; }

 private:
  friend class SequentialLR;  // runs its schedulers' lr_at

  Optimizer* optimizer_;  // a pointer, not a reference, so that schedulers can be moved
  std::vector<double> base_lrs_;
  std::int64_t last_epoch_ = 0;
};

/// base_lr * gamma^(epoch / step_size).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// base_lr * gamma^(number of milestones reached).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  std::vector<std::int64_t> milestones_;
  double gamma_;
};

/// base_lr * gamma^epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  double gamma_;
};

/// eta_min + (base_lr - eta_min) (1 + cos(π epoch / T_max)) / 2.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

/// Linear warm-up (torch's LinearLR): base_lr times a factor going linearly from start_factor
/// to end_factor over total_iters steps, then constant.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, std::int64_t total_iters = 5);

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  double start_factor_, end_factor_;
  std::int64_t total_iters_;
};

struct OneCycleOptions {
  double pct_start = 0.3;           // share of the steps spent increasing the rate
  double div_factor = 25.0;         // initial_lr = max_lr / div_factor
  double final_div_factor = 1e4;    // min_lr = initial_lr / final_div_factor
};

/// The 1cycle policy with cosine annealing (Smith & Topin), stepped once per batch: from
/// max_lr/div_factor up to max_lr, then down to initial_lr/final_div_factor at total_steps - 1.
/// (PyTorch also cycles Adam's beta1 / SGD's momentum; ignis keeps them fixed.)
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options = {});

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;

 private:
  double max_lr_;
  std::int64_t total_steps_;
  OneCycleOptions options_;
};

enum class PlateauMode { kMin, kMax };

struct PlateauOptions {
  PlateauMode mode = PlateauMode::kMin;
  double factor = 0.1;
  std::int64_t patience = 10;
  double threshold = 1e-4;  // relative: an improvement must beat best * (1 ∓ threshold)
  std::int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;  // smaller changes of the rate are skipped
};

/// Cuts the rate by `factor` when the metric has not improved for `patience` epochs: each group's
/// rate, down to min_lr, skipping groups whose change would be at most eps.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions options = {});
  /// Reports one epoch's metric; returns true when this call reduced some group's rate.
  bool step(double metric);
  double best() const { return best_; }
  std::int64_t bad_epochs() const { return bad_epochs_; }
  nn::StateDict state_dict() const;
  void load_state_dict(const nn::StateDict& state);

 private:
  bool improves(double metric) const;

  Optimizer& optimizer_;
  PlateauOptions options_;
  double best_;
  std::int64_t bad_epochs_ = 0;
  std::int64_t cooldown_left_ = 0;
};

}  // namespace ignis::optim

#pragma once
// Schedules run one after another (torch.optim.lr_scheduler.SequentialLR), and nanoGPT's
// warm-up then cosine schedule built from them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ignis/optim/lr_scheduler.hpp"

namespace ignis::optim {

/// Runs schedulers[0] until epoch milestones[0], then schedulers[1] from its own epoch 0 until
/// milestones[1], and so on: at epoch e the active scheduler i (the number of milestones ≤ e)
/// gives its rate at e - milestones[i-1]. As in PyTorch, each scheduler keeps its own base
/// rates (the optimizer's initial_lrs() for all but OneCycleLR), constructing a SequentialLR
/// sets schedulers[0]'s epoch-0 rates, and the state dict holds every scheduler's state.
class SequentialLR : public LRScheduler {
 public:
  /// Every scheduler must drive `optimizer`; milestones: one fewer than the schedulers,
  /// strictly increasing, each ≥ 1.
  SequentialLR(Optimizer& optimizer, std::vector<std::unique_ptr<LRScheduler>> schedulers,
               std::vector<std::int64_t> milestones);

  /// The base class's entries and each scheduler's as "schedulers.<i>.<key>".
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;

 protected:
  double lr_at(std::int64_t epoch, std::size_t group) const override;
  void move_to(std::int64_t epoch) override;

 private:
  /// The scheduler active at `epoch` and its own epoch there.
  std::pair<std::size_t, std::int64_t> active(std::int64_t epoch) const;

  std::vector<std::unique_ptr<LRScheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

struct WarmupCosineOptions {
  std::int64_t warmup_steps = 0;  // nanoGPT's warmup_iters
  std::int64_t total_steps = 0;   // where the cosine reaches min_lr: nanoGPT's lr_decay_iters
  double min_lr = 0.0;            // absolute, the same for every group
};

/// nanoGPT's get_lr(it), for each group from its base rate lr: lr·(it+1)/(warmup+1) for
/// it < warmup, then min_lr + (lr - min_lr)·(1 + cos(π (it - warmup)/(total - warmup)))/2 up to
/// it = total. It is SequentialLR of LinearLR(1/(warmup+1), 1, warmup) and
/// CosineAnnealingLR(total - warmup, min_lr) with the milestone at warmup (the cosine alone
/// when warmup is 0). Step it once per iteration; past total_steps the rate follows
/// CosineAnnealingLR's periodic curve back up, as in PyTorch, where nanoGPT holds min_lr.
SequentialLR warmup_cosine(Optimizer& optimizer, WarmupCosineOptions options);

}  // namespace ignis::optim

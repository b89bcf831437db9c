// SequentialLR and the warm-up + cosine schedule.
#include "ignis/optim/sequential_lr.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "core/check.hpp"

namespace ignis::optim {

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::unique_ptr<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  if (schedulers_.empty()) throw ValueError("[SequentialLR] got no schedulers; pass at least one");
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    if (schedulers_[i] == nullptr) detail::fail<ValueError>("[SequentialLR] scheduler {} is null", i);
    if (&schedulers_[i]->optimizer() != &optimizer) {
      detail::fail<ValueError>("[SequentialLR] scheduler {} drives another optimizer; every scheduler must be built "
                               "on the optimizer passed to SequentialLR",
                               i);
    }
  }
  if (milestones_.size() + 1 != schedulers_.size()) {
    detail::fail<ValueError>("[SequentialLR] {} schedulers need {} milestones, got {}", schedulers_.size(),
                             schedulers_.size() - 1, milestones_.size());
  }
  for (std::size_t i = 0; i < milestones_.size(); ++i) {
    if (milestones_[i] < 1 || (i > 0 && milestones_[i] <= milestones_[i - 1])) {
      detail::fail<ValueError>("[SequentialLR] milestones must be ≥ 1 and strictly increasing, got {} at index {}",
                               milestones_[i], i);
    }
  }
  start();
}

std::pair<std::size_t, std::int64_t> SequentialLR::active(std::int64_t epoch) const {
  // PyTorch: bisect_right(milestones, epoch), i.e. the milestones already reached.
  const auto i = static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) -
                                          milestones_.begin());
  return {i, i == 0 ? epoch : epoch - milestones_[i - 1]};
}

double SequentialLR::lr_at(std::int64_t epoch, std::size_t group) const {
  const auto [i, local] = active(epoch);
  return schedulers_[i]->lr_at(local, group);
}

void SequentialLR::move_to(std::int64_t epoch) {
  // The active scheduler's own position follows, so its last_epoch() reads as in PyTorch.
  const auto [i, local] = active(epoch);
  schedulers_[i]->last_epoch_ = local;
  LRScheduler::move_to(epoch);
}

nn::StateDict SequentialLR::state_dict() const {
  nn::StateDict out = LRScheduler::state_dict();
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    for (auto& [key, t] : schedulers_[i]->state_dict()) out.emplace_back(fmt::format("schedulers.{}.{}", i, key), t);
  }
  return out;
}

void SequentialLR::load_state_dict(const nn::StateDict& state) {
  for (std::size_t i = 0; i < schedulers_.size(); ++i) {
    const std::string prefix = fmt::format("schedulers.{}.", i);
    nn::StateDict own;
    for (const auto& [key, t] : state) {
      if (key.starts_with(prefix)) own.emplace_back(key.substr(prefix.size()), t);
    }
    if (own.empty()) {
      detail::fail<ValueError>("[SequentialLR] load_state_dict: no entries for scheduler {} (\"{}*\"); is it the "
                               "state of a SequentialLR of {} schedulers?",
                               i, prefix, schedulers_.size());
    }
    schedulers_[i]->load_state_dict(own);
  }
  LRScheduler::load_state_dict(state);  // last: the rates of the restored epoch win
}

SequentialLR warmup_cosine(Optimizer& optimizer, WarmupCosineOptions options) {
  const std::int64_t warmup = options.warmup_steps, total = options.total_steps;
  if (warmup < 0) detail::fail<ValueError>("[warmup_cosine] warmup_steps must be ≥ 0, got {}", warmup);
  if (total <= warmup) {
    detail::fail<ValueError>("[warmup_cosine] total_steps ({}) must exceed warmup_steps ({}): the cosine runs "
                             "between them",
                             total, warmup);
  }
  std::vector<std::unique_ptr<LRScheduler>> schedulers;
  std::vector<std::int64_t> milestones;
  if (warmup > 0) {
    // start + (1 - start)·it/warmup with start = 1/(warmup+1) is (it+1)/(warmup+1).
    schedulers.push_back(std::make_unique<LinearLR>(optimizer, 1.0 / static_cast<double>(warmup + 1), 1.0, warmup));
    milestones.push_back(warmup);
  }
  schedulers.push_back(std::make_unique<CosineAnnealingLR>(optimizer, total - warmup, options.min_lr));
  return SequentialLR(optimizer, std::move(schedulers), std::move(milestones));
}

}  // namespace ignis::optim

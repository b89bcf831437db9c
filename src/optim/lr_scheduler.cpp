// Learning-rate schedules, closed forms of torch.optim.lr_scheduler.
#include "ignis/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::optim {

namespace {

double scalar_entry(const nn::StateDict& state, const char* key, const char* who) {
  for (const auto& [name, t] : state) {
    if (name == key) return t.item<double>();
  }
  detail::fail<ValueError>("[{}] load_state_dict: no \"{}\" entry", who, key);
}

Tensor scalar_tensor(double v) { return full({}, v, {.dtype = DType::kFloat64}); }

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer), base_lrs_(optimizer.initial_lrs()) {}

LRScheduler::LRScheduler(Optimizer& optimizer, double base_lr)
    : optimizer_(&optimizer), base_lrs_(optimizer.param_groups().size(), base_lr) {}

void LRScheduler::move_to(std::int64_t epoch) {
  last_epoch_ = epoch;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_->set_lr(g, lr_at(epoch, g));
}

void LRScheduler::step() { move_to(last_epoch_ + 1); }

std::vector<double> LRScheduler::last_lrs() const {
  std::vector<double> out;
  for (const ParamGroup& g : optimizer_->param_groups()) out.push_back(g.lr.value());
  return out;
}

nn::StateDict LRScheduler::state_dict() const {
  return {{"last_epoch", scalar_tensor(static_cast<double>(last_epoch_))},
          {"base_lr", scalar_tensor(base_lrs_.front())},
          {"base_lrs", from_vector(base_lrs_, {static_cast<std::int64_t>(base_lrs_.size())}, {.dtype = DType::kFloat64})}};
}

void LRScheduler::load_state_dict(const nn::StateDict& state) {
  const auto epoch = static_cast<std::int64_t>(scalar_entry(state, "last_epoch", "LRScheduler"));
  std::vector<double> bases(base_lrs_.size(), scalar_entry(state, "base_lr", "LRScheduler"));
  for (const auto& [name, t] : state) {
    if (name != "base_lrs") continue;
    if (t.numel() != static_cast<std::int64_t>(base_lrs_.size())) {
      detail::fail<ValueError>("[LRScheduler] load_state_dict: the state has base rates for {} parameter groups but "
                               "the optimizer has {}; schedule an optimizer with the same groups as the one saved",
                               t.numel(), base_lrs_.size());
    }
    bases = t.to(DType::kFloat64).to_vector<double>();
  }
  base_lrs_ = std::move(bases);
  move_to(epoch);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1) detail::fail<ValueError>("[StepLR] step_size must be ≥ 1, got {}", step_size);
  start();
}
double StepLR::lr_at(std::int64_t epoch, std::size_t group) const {
  return base_lr(group) * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  start();
}
double MultiStepLR::lr_at(std::int64_t epoch, std::size_t group) const {
  const auto reached = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr(group) * std::pow(gamma_, static_cast<double>(reached));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  start();
}
double ExponentialLR::lr_at(std::int64_t epoch, std::size_t group) const { return base_lr(group) * std::pow(gamma_, static_cast<double>(epoch)); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  if (t_max < 1) detail::fail<ValueError>("[CosineAnnealingLR] T_max must be ≥ 1, got {}", t_max);
  start();
}
double CosineAnnealingLR::lr_at(std::int64_t epoch, std::size_t group) const {
  return eta_min_ + (base_lr(group) - eta_min_) * (1 + std::cos(M_PI * static_cast<double>(epoch) / static_cast<double>(t_max_))) / 2;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  if (start_factor <= 0 || start_factor > 1 || end_factor < 0 || end_factor > 1) {
    detail::fail<ValueError>("[LinearLR] factors must be in (0, 1] and [0, 1], got {} and {}", start_factor, end_factor);
  }
  if (total_iters < 1) detail::fail<ValueError>("[LinearLR] total_iters must be ≥ 1, got {}", total_iters);
  start();
}
double LinearLR::lr_at(std::int64_t epoch, std::size_t group) const {
  const double progress = static_cast<double>(std::min(epoch, total_iters_)) / static_cast<double>(total_iters_);
  return base_lr(group) * (start_factor_ + (end_factor_ - start_factor_) * progress);
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, std::int64_t total_steps, OneCycleOptions options)
    : LRScheduler(optimizer, max_lr / options.div_factor), max_lr_(max_lr), total_steps_(total_steps), options_(options) {
  if (total_steps < 2) detail::fail<ValueError>("[OneCycleLR] total_steps must be ≥ 2, got {}", total_steps);
  if (options.pct_start <= 0 || options.pct_start >= 1) {
    detail::fail<ValueError>("[OneCycleLR] pct_start must be in (0, 1), got {}", options.pct_start);
  }
  start();
}
double OneCycleLR::lr_at(std::int64_t epoch, std::size_t group) const {
  // Phase ends as in PyTorch: pct_start * total - 1, then total - 1; cosine between the ends.
  const double initial = base_lr(group), minimum = initial / options_.final_div_factor;
  const double up_end = options_.pct_start * static_cast<double>(total_steps_) - 1;
  const double down_end = static_cast<double>(total_steps_) - 1;
  const auto cosine = [](double from, double to, double pct) { return to + (from - to) / 2 * (std::cos(M_PI * pct) + 1); };
  const double e = static_cast<double>(std::min<std::int64_t>(epoch, total_steps_ - 1));
  if (e <= up_end) return cosine(initial, max_lr_, e / up_end);
  return cosine(max_lr_, minimum, (e - up_end) / (down_end - up_end));
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions options)
    : optimizer_(optimizer),
      options_(options),
      best_(options.mode == PlateauMode::kMin ? std::numeric_limits<double>::infinity()
                                               : -std::numeric_limits<double>::infinity()) {
  if (options.factor <= 0 || options.factor >= 1) {
    detail::fail<ValueError>("[ReduceLROnPlateau] factor must be in (0, 1), got {}", options.factor);
  }
}

bool ReduceLROnPlateau::improves(double metric) const {
  return options_.mode == PlateauMode::kMin ? metric < best_ * (1 - options_.threshold)
                                            : metric > best_ * (1 + options_.threshold);
}

bool ReduceLROnPlateau::step(double metric) {
  if (improves(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    bad_epochs_ = 0;
  }
  if (bad_epochs_ <= options_.patience) return false;
  cooldown_left_ = options_.cooldown;
  bad_epochs_ = 0;
  bool reduced = false;
  for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g) {
    const double old_lr = optimizer_.param_groups()[g].lr.value();
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr <= options_.eps) continue;
    optimizer_.set_lr(g, new_lr);
    reduced = true;
  }
  return reduced;
}

nn::StateDict ReduceLROnPlateau::state_dict() const {
  return {{"best", scalar_tensor(best_)},
          {"bad_epochs", scalar_tensor(static_cast<double>(bad_epochs_))},
          {"cooldown_left", scalar_tensor(static_cast<double>(cooldown_left_))}};
}

void ReduceLROnPlateau::load_state_dict(const nn::StateDict& state) {
  best_ = scalar_entry(state, "best", "ReduceLROnPlateau");
  bad_epochs_ = static_cast<std::int64_t>(scalar_entry(state, "bad_epochs", "ReduceLROnPlateau"));
  cooldown_left_ = static_cast<std::int64_t>(scalar_entry(state, "cooldown_left", "ReduceLROnPlateau"));
}

}  // namespace ignis::optim

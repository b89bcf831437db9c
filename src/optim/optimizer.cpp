// Optimizer bookkeeping (state, steps, state dicts) and the four update rules, which hand their
// hyperparameters to the backend's shared functor.
#include "ignis/optim/optimizer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "backend/backend.hpp"
#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::optim {

namespace {

void check_lr(double lr, const char* name) {
  if (!(lr >= 0)) detail::fail<ValueError>("[{}] learning rate must be ≥ 0, got {}", name, lr);
}

/// "" for an optimizer of one group (the messages stay as they were), else "group <g>: ".
std::string group_prefix(std::size_t group, std::size_t groups) {
  return groups == 1 ? std::string() : fmt::format("group {}: ", group);
}

/// An option an optimizer does not read, set in a group: a ValueError rather than a value
/// silently ignored.
void reject_foreign(const char* name, std::size_t group, const char* option, bool set) {
  if (set) {
    detail::fail<ValueError>("[{}] parameter group {} sets {}, which {} does not use; remove it from the group", name,
                             group, option, name);
  }
}

void run_step(backend::OptimizerOp op, const backend::OptimizerStepParams& params, const Tensor& param,
              const Tensor& grad, const std::vector<Tensor>& state) {
  backend::for_device(param.device()).optimizer_step(op, params, param, grad, state);
}

std::vector<ParamGroup> one_group(std::vector<Tensor> params) {
  std::vector<ParamGroup> groups(1);
  groups[0].params = std::move(params);
  return groups;
}

std::vector<ParamGroup> resolve_sgd(std::vector<ParamGroup> groups, const SgdOptions& o) {
  for (std::size_t i = 0; i < groups.size(); ++i) {
    ParamGroup& g = groups[i];
    reject_foreign("SGD", i, "beta1", g.beta1.has_value());
    reject_foreign("SGD", i, "beta2", g.beta2.has_value());
    reject_foreign("SGD", i, "eps", g.eps.has_value());
    reject_foreign("SGD", i, "amsgrad", g.amsgrad.has_value());
    reject_foreign("SGD", i, "alpha", g.alpha.has_value());
    reject_foreign("SGD", i, "centered", g.centered.has_value());
    g.lr = g.lr.value_or(o.lr);
    g.weight_decay = g.weight_decay.value_or(o.weight_decay);
    g.momentum = g.momentum.value_or(o.momentum);
    g.dampening = g.dampening.value_or(o.dampening);
    g.nesterov = g.nesterov.value_or(o.nesterov);
    const std::string where = group_prefix(i, groups.size());
    if (*g.momentum < 0) detail::fail<ValueError>("[SGD] {}momentum must be ≥ 0, got {}", where, *g.momentum);
    if (*g.nesterov && (*g.momentum <= 0 || *g.dampening != 0)) {
      detail::fail<ValueError>("[SGD] {}Nesterov momentum needs momentum > 0 and dampening = 0", where);
    }
  }
  return groups;
}

std::vector<std::string> sgd_state(const ParamGroup& g) {
  return *g.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
}

std::vector<ParamGroup> resolve_adam(std::vector<ParamGroup> groups, const AdamOptions& o, const char* name) {
  for (std::size_t i = 0; i < groups.size(); ++i) {
    ParamGroup& g = groups[i];
    reject_foreign(name, i, "momentum", g.momentum.has_value());
    reject_foreign(name, i, "dampening", g.dampening.has_value());
    reject_foreign(name, i, "nesterov", g.nesterov.has_value());
    reject_foreign(name, i, "alpha", g.alpha.has_value());
    reject_foreign(name, i, "centered", g.centered.has_value());
    g.lr = g.lr.value_or(o.lr);
    g.weight_decay = g.weight_decay.value_or(o.weight_decay);
    g.beta1 = g.beta1.value_or(o.beta1);
    g.beta2 = g.beta2.value_or(o.beta2);
    g.eps = g.eps.value_or(o.eps);
    g.amsgrad = g.amsgrad.value_or(o.amsgrad);
    const std::string where = group_prefix(i, groups.size());
    if (*g.beta1 < 0 || *g.beta1 >= 1 || *g.beta2 < 0 || *g.beta2 >= 1) {
      detail::fail<ValueError>("[{}] {}betas must be in [0, 1), got ({}, {})", name, where, *g.beta1, *g.beta2);
    }
    if (*g.eps < 0) detail::fail<ValueError>("[{}] {}eps must be ≥ 0, got {}", name, where, *g.eps);
  }
  return groups;
}

std::vector<std::string> adam_state(const ParamGroup& g) {
  return *g.amsgrad ? std::vector<std::string>{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
                    : std::vector<std::string>{"exp_avg", "exp_avg_sq"};
}

std::vector<ParamGroup> resolve_rmsprop(std::vector<ParamGroup> groups, const RmspropOptions& o) {
  for (std::size_t i = 0; i < groups.size(); ++i) {
    ParamGroup& g = groups[i];
    reject_foreign("RMSprop", i, "dampening", g.dampening.has_value());
    reject_foreign("RMSprop", i, "nesterov", g.nesterov.has_value());
    reject_foreign("RMSprop", i, "beta1", g.beta1.has_value());
    reject_foreign("RMSprop", i, "beta2", g.beta2.has_value());
    reject_foreign("RMSprop", i, "amsgrad", g.amsgrad.has_value());
    g.lr = g.lr.value_or(o.lr);
    g.weight_decay = g.weight_decay.value_or(o.weight_decay);
    g.alpha = g.alpha.value_or(o.alpha);
    g.eps = g.eps.value_or(o.eps);
    g.momentum = g.momentum.value_or(o.momentum);
    g.centered = g.centered.value_or(o.centered);
    if (*g.alpha < 0) {
      detail::fail<ValueError>("[RMSprop] {}alpha must be ≥ 0, got {}", group_prefix(i, groups.size()), *g.alpha);
    }
  }
  return groups;
}

std::vector<std::string> rmsprop_state(const ParamGroup& g) {
  // The functor reads s[1] as the momentum buffer and s[2] as the centred average.
  return *g.centered       ? std::vector<std::string>{"square_avg", "momentum_buffer", "grad_avg"}
         : *g.momentum > 0 ? std::vector<std::string>{"square_avg", "momentum_buffer"}
                           : std::vector<std::string>{"square_avg"};
}

const Tensor* find_entry(const nn::StateDict& state, const std::string& key) {
  for (const auto& [name, t] : state) {
    if (name == key) return &t;
  }
  return nullptr;
}

}  // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups, StateNames state_names, const char* name)
    : groups_(std::move(groups)), name_(name) {
  if (groups_.empty()) detail::fail<ValueError>("[{}] got an empty list of parameter groups", name);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    state_names_.push_back(state_names(groups_[g]));
    if (!(*groups_[g].lr >= 0)) {
      detail::fail<ValueError>("[{}] {}learning rate must be ≥ 0, got {}", name, group_prefix(g, groups_.size()),
                               *groups_[g].lr);
    }
    for (const Tensor& p : groups_[g].params) {
      const std::size_t i = params_.size();
      if (!p.defined() || !p.requires_grad() || !p.is_leaf()) {
        detail::fail<ValueError>("[{}] {}parameter {} must be a leaf tensor that requires grad (pass "
                                 "model.parameters())",
                                 name, group_prefix(g, groups_.size()), i);
      }
      if (!p.is_contiguous()) detail::fail<ValueError>("[{}] parameter {} must be contiguous", name, i);
      // A tensor listed twice would be updated twice per step (PyTorch: "some parameters appear
      // in more than one parameter group").
      for (std::size_t j = 0; j < i; ++j) {
        if (params_[j].is_same(p)) {
          detail::fail<ValueError>("[{}] some parameters appear more than once: parameter {} (group {}) is the same "
                                   "tensor as parameter {} (group {}); list each tensor once, in one group",
                                   name, i, g, j, group_of_[j]);
        }
      }
      params_.push_back(p);
      group_of_.push_back(g);
    }
  }
  if (params_.empty()) detail::fail<ValueError>("[{}] got an empty parameter list", name);
  state_.resize(params_.size());
}

void Optimizer::set_lr(double lr) {
  check_lr(lr, name_);
  for (ParamGroup& g : groups_) g.lr = lr;
}

void Optimizer::set_lr(std::size_t group, double lr) {
  if (group >= groups_.size()) {
    detail::fail<IndexError>("[{}] set_lr: group {} out of range; the optimizer has {} parameter groups", name_, group,
                             groups_.size());
  }
  check_lr(lr, name_);
  groups_[group].lr = lr;
}

const std::vector<double>& Optimizer::initial_lrs() {
  if (initial_lrs_.empty()) {
    for (const ParamGroup& g : groups_) initial_lrs_.push_back(g.lr.value());
  }
  return initial_lrs_;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  // Everything that can fail (checks, new state buffers, contiguous gradients) happens before
  // the first parameter changes: an OutOfMemoryError (or any other) leaves parameters, state and
  // step count as they were, so the step can be retried (fit's micro-batching relies on it). The
  // updates themselves run in place and allocate nothing.
  std::vector<std::pair<std::size_t, Tensor>> updates;
  std::vector<std::vector<Tensor>> new_state(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.device() != p.device() || g.dtype() != p.dtype()) {
      detail::fail<DeviceError>("[{}] parameter {} is {} on {} but its gradient is {} on {}", name_, i, p.dtype(),
                                p.device(), g.dtype(), g.device());
    }
    if (state_[i].empty()) {
      MemoryCategoryScope optimizer_state(MemoryCategory::kOptimizerState);
      for (std::size_t k = 0; k < state_names_[group_of_[i]].size(); ++k) {
        new_state[i].push_back(zeros_like(p.detach()));
      }
    }
    updates.emplace_back(i, ops::contiguous(g));
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!new_state[i].empty()) state_[i] = std::move(new_state[i]);
  }
  ++step_count_;
  for (const auto& [i, g] : updates) update(groups_[group_of_[i]], params_[i].detach(), g, state_[i]);
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.set_grad(Tensor());
}

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  const auto f64 = [](double v) { return full({}, v, {.dtype = DType::kFloat64}); };
  out.emplace_back("step", full({}, step_count_, {.dtype = DType::kInt64}));
  out.emplace_back("lr", f64(lr()));
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    out.emplace_back(fmt::format("param_groups.{}.lr", g), f64(groups_[g].lr.value()));
    out.emplace_back(fmt::format("param_groups.{}.weight_decay", g), f64(groups_[g].weight_decay.value()));
    out.emplace_back(fmt::format("param_groups.{}.params", g),
                     full({}, static_cast<std::int64_t>(groups_[g].params.size()), {.dtype = DType::kInt64}));
  }
  for (std::size_t i = 0; i < state_.size(); ++i) {
    for (std::size_t k = 0; k < state_[i].size(); ++k) {
      out.emplace_back(fmt::format("state.{}.{}", i, state_names_[group_of_[i]][k]), state_[i][k]);
    }
  }
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) {
  const auto find = [&](const std::string& key) { return find_entry(state, key); };
  const Tensor* step = find("step");
  const Tensor* lr = find("lr");
  if (step == nullptr || lr == nullptr) {
    detail::fail<ValueError>("[{}] load_state_dict: the state has no \"step\" or \"lr\" entry; is it an "
                             "optimizer state_dict()?",
                             name_);
  }
  // The groups: each one's lr and weight decay, checked against this optimizer's groups first.
  std::vector<double> lrs(groups_.size(), lr->item<double>());
  std::vector<double> decays;
  for (const ParamGroup& g : groups_) decays.push_back(g.weight_decay.value());
  std::size_t saved_groups = 0;
  while (find(fmt::format("param_groups.{}.lr", saved_groups)) != nullptr) ++saved_groups;
  if (saved_groups > 0) {
    if (saved_groups != groups_.size()) {
      detail::fail<ValueError>("[{}] load_state_dict: the state has {} parameter groups but this optimizer has {}; "
                               "build the optimizer with the same groups as the one saved",
                               name_, saved_groups, groups_.size());
    }
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const Tensor* count = find(fmt::format("param_groups.{}.params", g));
      if (count != nullptr && count->item<std::int64_t>() != static_cast<std::int64_t>(groups_[g].params.size())) {
        detail::fail<ValueError>("[{}] load_state_dict: parameter group {} has {} parameters in the state but {} "
                                 "here; build the optimizer with the same groups as the one saved",
                                 name_, g, count->item<std::int64_t>(), groups_[g].params.size());
      }
      lrs[g] = find(fmt::format("param_groups.{}.lr", g))->item<double>();
      if (const Tensor* wd = find(fmt::format("param_groups.{}.weight_decay", g)); wd != nullptr) {
        decays[g] = wd->item<double>();
      }
      check_lr(lrs[g], name_);
    }
  } else {
    check_lr(lrs.front(), name_);
  }
  std::vector<std::vector<Tensor>> restored(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const std::vector<std::string>& names = state_names_[group_of_[i]];
    for (const std::string& buffer : names) {
      const Tensor* t = find(fmt::format("state.{}.{}", i, buffer));
      if (t == nullptr) break;
      if (t->shape() != params_[i].shape()) {
        detail::fail<ShapeError>("[{}] load_state_dict: state.{}.{} has shape {} but parameter {} has shape {}", name_,
                                 i, buffer, t->shape(), i, params_[i].shape());
      }
      MemoryCategoryScope optimizer_state(MemoryCategory::kOptimizerState);
      restored[i].push_back(ops::clone(ops::to(ops::to(*t, params_[i].dtype()), params_[i].device())));
    }
    if (!restored[i].empty() && restored[i].size() != names.size()) {
      detail::fail<ValueError>("[{}] load_state_dict: parameter {} has only part of its state", name_, i);
    }
  }
  step_count_ = step->item<std::int64_t>();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].lr = lrs[g];
    groups_[g].weight_decay = decays[g];
  }
  state_ = std::move(restored);
}

SGD::SGD(std::vector<Tensor> params, SgdOptions options) : SGD(one_group(std::move(params)), options) {}

SGD::SGD(std::vector<ParamGroup> groups, SgdOptions options)
    : Optimizer(resolve_sgd(std::move(groups), options), sgd_state, "SGD"), options_(options) {}

void SGD::update(const ParamGroup& group, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  backend::OptimizerStepParams p;
  p.lr = *group.lr;
  p.weight_decay = *group.weight_decay;
  p.momentum = *group.momentum;
  p.dampening = *group.dampening;
  p.nesterov = *group.nesterov;
  p.first_step = step_count() == 1;
  run_step(backend::OptimizerOp::kSgd, p, param, grad, state);
}
Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam(one_group(std::move(params)), options, false, "Adam") {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options) : Adam(std::move(groups), options, false, "Adam") {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled, const char* name)
    : Optimizer(resolve_adam(std::move(groups), options, name), adam_state, name),
      options_(options),
      decoupled_(decoupled) {}

void Adam::update(const ParamGroup& group, const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  const auto t = static_cast<double>(step_count());
  backend::OptimizerStepParams p;
  p.lr = *group.lr;
  p.weight_decay = *group.weight_decay;
  p.beta1 = *group.beta1;
  p.beta2 = *group.beta2;
  p.eps = *group.eps;
  p.step_size = *group.lr / (1 - std::pow(*group.beta1, t));
  p.inv_sqrt_bias_correction2 = 1 / std::sqrt(1 - std::pow(*group.beta2, t));
  p.decoupled_weight_decay = decoupled_;
  p.amsgrad = *group.amsgrad;
  run_step(backend::OptimizerOp::kAdam, p, param, grad, state);
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options)
    : Adam(one_group(std::move(params)), options, true, "AdamW") {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamOptions options) : Adam(std::move(groups), options, true, "AdamW") {}

RMSprop::RMSprop(std::vector<Tensor> params, RmspropOptions options)
    : RMSprop(one_group(std::move(params)), options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, RmspropOptions options)
    : Optimizer(resolve_rmsprop(std::move(groups), options), rmsprop_state, "RMSprop"), options_(options) {}

void RMSprop::update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                     const std::vector<Tensor>& state) {
  backend::OptimizerStepParams p;
  p.lr = *group.lr;
  p.weight_decay = *group.weight_decay;
  p.alpha = *group.alpha;
  p.eps = *group.eps;
  p.momentum = *group.momentum;
  p.centered = *group.centered;
  run_step(backend::OptimizerOp::kRmsprop, p, param, grad, state);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  NoGradGuard no_grad;
  const bool inf = std::isinf(norm_type);
  double total = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (inf) {
      total = std::max(total, ops::max(ops::abs(g)).item<double>());
    } else {
      total += ops::sum(ops::pow(ops::abs(g), norm_type)).item<double>();
    }
  }
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  const double scale = max_norm / (total + 1e-6);  // PyTorch's epsilon
  if (scale < 1) {
    for (const Tensor& p : params) {
      Tensor param = p;
      if (param.grad().defined()) param.set_grad(ops::mul(param.grad(), scale));
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    Tensor param = p;
    if (param.grad().defined()) param.set_grad(ops::clamp(param.grad(), -clip_value, clip_value));
  }
}

}  // namespace ignis::optim

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

void run_step(backend::OptimizerOp op, const backend::OptimizerStepParams& params, const Tensor& param,
              const Tensor& grad, const std::vector<Tensor>& state) {
  backend::for_device(param.device()).optimizer_step(op, params, param, grad, state);
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr, std::vector<std::string> state_names, const char* name)
    : params_(std::move(params)), lr_(lr), state_names_(std::move(state_names)), name_(name) {
  check_lr(lr, name);
  if (params_.empty()) detail::fail<ValueError>("[{}] got an empty parameter list", name);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined() || !p.requires_grad() || !p.is_leaf()) {
      detail::fail<ValueError>("[{}] parameter {} must be a leaf tensor that requires grad (pass "
                               "model.parameters())",
                               name, i);
    }
    if (!p.is_contiguous()) detail::fail<ValueError>("[{}] parameter {} must be contiguous", name, i);
  }
  state_.resize(params_.size());
}

void Optimizer::set_lr(double lr) {
  check_lr(lr, name_);
  lr_ = lr;
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
      for (std::size_t k = 0; k < state_names_.size(); ++k) new_state[i].push_back(zeros_like(p.detach()));
    }
    updates.emplace_back(i, ops::contiguous(g));
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!new_state[i].empty()) state_[i] = std::move(new_state[i]);
  }
  ++step_count_;
  for (const auto& [i, g] : updates) update(params_[i].detach(), g, state_[i]);
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.set_grad(Tensor());
}

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  out.emplace_back("step", full({}, step_count_, {.dtype = DType::kInt64}));
  out.emplace_back("lr", full({}, lr_, {.dtype = DType::kFloat64}));
  for (std::size_t i = 0; i < state_.size(); ++i) {
    for (std::size_t k = 0; k < state_[i].size(); ++k) {
      out.emplace_back(fmt::format("state.{}.{}", i, state_names_[k]), state_[i][k]);
    }
  }
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) {
  auto find = [&](const std::string& key) -> const Tensor* {
    for (const auto& [name, t] : state) {
      if (name == key) return &t;
    }
    return nullptr;
  };
  const Tensor* step = find("step");
  const Tensor* lr = find("lr");
  if (step == nullptr || lr == nullptr) {
    detail::fail<ValueError>("[{}] load_state_dict: the state has no \"step\" or \"lr\" entry; is it an "
                             "optimizer state_dict()?",
                             name_);
  }
  std::vector<std::vector<Tensor>> restored(params_.size());
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (const std::string& buffer : state_names_) {
      const Tensor* t = find(fmt::format("state.{}.{}", i, buffer));
      if (t == nullptr) break;
      if (t->shape() != params_[i].shape()) {
        detail::fail<ShapeError>("[{}] load_state_dict: state.{}.{} has shape {} but parameter {} has shape {}", name_,
                                 i, buffer, t->shape(), i, params_[i].shape());
      }
      MemoryCategoryScope optimizer_state(MemoryCategory::kOptimizerState);
      restored[i].push_back(ops::clone(ops::to(ops::to(*t, params_[i].dtype()), params_[i].device())));
    }
    if (!restored[i].empty() && restored[i].size() != state_names_.size()) {
      detail::fail<ValueError>("[{}] load_state_dict: parameter {} has only part of its state", name_, i);
    }
  }
  step_count_ = step->item<std::int64_t>();
  set_lr(lr->item<double>());
  state_ = std::move(restored);
}

SGD::SGD(std::vector<Tensor> params, SgdOptions options)
    : Optimizer(std::move(params), options.lr,
                options.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{}, "SGD"),
      options_(options) {
  if (options.momentum < 0) detail::fail<ValueError>("[SGD] momentum must be ≥ 0, got {}", options.momentum);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw ValueError("[SGD] Nesterov momentum needs momentum > 0 and dampening = 0");
  }
}

void SGD::update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  backend::OptimizerStepParams p;
  p.lr = lr();
  p.weight_decay = options_.weight_decay;
  p.momentum = options_.momentum;
  p.dampening = options_.dampening;
  p.nesterov = options_.nesterov;
  p.first_step = step_count() == 1;
  run_step(backend::OptimizerOp::kSgd, p, param, grad, state);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam(std::move(params), options, false, "Adam") {}

Adam::Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled, const char* name)
    : Optimizer(std::move(params), options.lr,
                options.amsgrad ? std::vector<std::string>{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
                                : std::vector<std::string>{"exp_avg", "exp_avg_sq"},
                name),
      options_(options),
      decoupled_(decoupled) {
  if (options.beta1 < 0 || options.beta1 >= 1 || options.beta2 < 0 || options.beta2 >= 1) {
    detail::fail<ValueError>("[{}] betas must be in [0, 1), got ({}, {})", name, options.beta1, options.beta2);
  }
  if (options.eps < 0) detail::fail<ValueError>("[{}] eps must be ≥ 0, got {}", name, options.eps);
}

void Adam::update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  const auto t = static_cast<double>(step_count());
  backend::OptimizerStepParams p;
  p.lr = lr();
  p.weight_decay = options_.weight_decay;
  p.beta1 = options_.beta1;
  p.beta2 = options_.beta2;
  p.eps = options_.eps;
  p.step_size = lr() / (1 - std::pow(options_.beta1, t));
  p.inv_sqrt_bias_correction2 = 1 / std::sqrt(1 - std::pow(options_.beta2, t));
  p.decoupled_weight_decay = decoupled_;
  p.amsgrad = options_.amsgrad;
  run_step(backend::OptimizerOp::kAdam, p, param, grad, state);
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions options) : Adam(std::move(params), options, true, "AdamW") {}

RMSprop::RMSprop(std::vector<Tensor> params, RmspropOptions options)
    : Optimizer(std::move(params), options.lr,
                // The functor reads s[1] as the momentum buffer and s[2] as the centred average.
                options.centered       ? std::vector<std::string>{"square_avg", "momentum_buffer", "grad_avg"}
                : options.momentum > 0 ? std::vector<std::string>{"square_avg", "momentum_buffer"}
                                       : std::vector<std::string>{"square_avg"},
                "RMSprop"),
      options_(options) {
  if (options.alpha < 0) detail::fail<ValueError>("[RMSprop] alpha must be ≥ 0, got {}", options.alpha);
}

void RMSprop::update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) {
  backend::OptimizerStepParams p;
  p.lr = lr();
  p.weight_decay = options_.weight_decay;
  p.alpha = options_.alpha;
  p.eps = options_.eps;
  p.momentum = options_.momentum;
  p.centered = options_.centered;
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

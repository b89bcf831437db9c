#pragma once
// Optimizers (torch.optim): SGD, Adam, AdamW, RMSprop, with PyTorch's defaults and update
// rules. Each update runs the optimizer's shared functor (src/kernels/optim_functors.hpp) on the
// parameter's device, in place, without recording a graph. Parameters without a gradient are
// skipped; state buffers are created at a parameter's first update.
#include <cstdint>
#include <string>
#include <vector>

#include "ignis/nn/module.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter from its gradient.
  void step();
  /// Clears the parameters' gradients (set to none, PyTorch's default).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  /// Updates taken so far.
  std::int64_t step_count() const { return step_count_; }

  /// Everything needed to resume: "step", "lr" and each parameter's buffers as
  /// "state.<index>.<name>" (e.g. "state.0.exp_avg").
  nn::StateDict state_dict() const;
  /// Restores a state_dict() of an optimizer of the same kind over the same parameter shapes.
  void load_state_dict(const nn::StateDict& state);

 protected:
  /// state_names: the per-parameter buffers this optimizer keeps, in its functor's order.
  Optimizer(std::vector<Tensor> params, double lr, std::vector<std::string> state_names, const char* name);
  /// Applies the update to one parameter; `state` holds one zero-initialised buffer per state
  /// name; step_count() already counts this step.
  virtual void update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) = 0;
  const char* name() const { return name_; }

 private:
  std::vector<Tensor> params_;
  double lr_;
  std::int64_t step_count_ = 0;
  std::vector<std::string> state_names_;
  std::vector<std::vector<Tensor>> state_;  // per parameter, per state name; empty until first use
  const char* name_;
};

struct SgdOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening = 0
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SgdOptions options = {});
  const SgdOptions& options() const { return options_; }

 protected:
  void update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) override;

 private:
  SgdOptions options_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: added to the gradient (L2); AdamW: decoupled
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled, const char* name);
  void update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) override;

 private:
  AdamOptions options_;
  bool decoupled_;
};

/// Adam with decoupled weight decay (Loshchilov & Hutter); PyTorch's default weight_decay 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = {.weight_decay = 1e-2});
};

struct RmspropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RmspropOptions options = {});
  const RmspropOptions& options() const { return options_; }

 protected:
  void update(const Tensor& param, const Tensor& grad, const std::vector<Tensor>& state) override;

 private:
  RmspropOptions options_;
};

/// Scales all gradients together so that their total norm is at most max_norm; returns the total
/// norm before clipping (norm_type 2, or infinity for the max-abs norm).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
/// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace ignis::optim

#pragma once
// Optimizers (torch.optim): SGD, Adam, AdamW, RMSprop, with PyTorch's defaults and update
// rules. Each update runs the optimizer's shared functor (src/kernels/optim_functors.hpp) on the
// parameter's device, in place, without recording a graph. Parameters without a gradient are
// skipped; state buffers are created at a parameter's first update.
//
// Parameters come either as one list (one group with the optimizer's options) or as parameter
// groups (param_group.hpp), each of which may override any of the optimizer's options, e.g.
// nanoGPT's AdamW: AdamW(weight_decay_groups(model.named_parameters(), 0.1), {.lr = 1e-3}).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ignis/nn/module.hpp"
#include "ignis/optim/param_group.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter from its gradient, each with its group's options.
  void step();
  /// Clears the parameters' gradients (set to none, PyTorch's default).
  void zero_grad();

  /// Group 0's learning rate: the learning rate of an optimizer built from one parameter list.
  /// With several groups, param_groups() has each group's.
  double lr() const { return groups_.front().lr.value(); }
  /// Sets every group's learning rate.
  void set_lr(double lr);
  /// Sets one group's learning rate (what the LR schedulers do, group by group).
  void set_lr(std::size_t group, double lr);
  /// The groups, every option of this optimizer filled in (the group's override or the
  /// optimizer's value); options other than lr are fixed once the optimizer is built.
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  /// Every parameter, group after group: the order of the "state.<i>" indices.
  const std::vector<Tensor>& params() const { return params_; }
  /// Updates taken so far.
  std::int64_t step_count() const { return step_count_; }

  /// Each group's rate when the first LR scheduler was attached (PyTorch's group["initial_lr"]):
  /// the base lr every scheduler scales, so the schedulers of a SequentialLR share one base
  /// whatever rate the previous one left. The first call records the current rates.
  const std::vector<double>& initial_lrs();

  /// Everything needed to resume: "step", "lr" (group 0's), for each group g
  /// "param_groups.<g>.lr", "param_groups.<g>.weight_decay" and "param_groups.<g>.params" (its
  /// parameter count), and each parameter's buffers as "state.<index>.<name>" (e.g.
  /// "state.0.exp_avg"; index as in params()).
  nn::StateDict state_dict() const;
  /// Restores a state_dict() of an optimizer of the same kind over the same parameter shapes and
  /// groups, including each group's lr and weight decay. A state without "param_groups.*" entries
  /// (written before groups existed) sets every group's lr to its "lr".
  void load_state_dict(const nn::StateDict& state);

 protected:
  /// The per-parameter buffers of a group's parameters, in its functor's order.
  using StateNames = std::vector<std::string> (*)(const ParamGroup& group);
  /// `groups`: every option this optimizer reads filled in and checked (the subclass's resolve
  /// step); the base checks the parameters themselves.
  Optimizer(std::vector<ParamGroup> groups, StateNames state_names, const char* name);
  /// Applies the update to one parameter of `group`; `state` holds one zero-initialised buffer
  /// per state name of the group; step_count() already counts this step.
  virtual void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                      const std::vector<Tensor>& state) = 0;
  const char* name() const { return name_; }

 private:
  std::vector<ParamGroup> groups_;
  std::vector<Tensor> params_;          // flattened, group after group
  std::vector<std::size_t> group_of_;   // per parameter: its group's index
  std::vector<std::vector<std::string>> state_names_;  // per group
  std::vector<std::vector<Tensor>> state_;  // per parameter, per state name; empty until first use
  std::vector<double> initial_lrs_;     // empty until a scheduler asks
  std::int64_t step_count_ = 0;
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
  /// Each group's unset options come from `options`.
  SGD(std::vector<ParamGroup> groups, SgdOptions options = {});
  /// The optimizer-wide options (the defaults of the groups).
  const SgdOptions& options() const { return options_; }

 protected:
  void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
              const std::vector<Tensor>& state) override;

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
  /// Each group's unset options come from `options`.
  Adam(std::vector<ParamGroup> groups, AdamOptions options = {});
  /// The optimizer-wide options (the defaults of the groups).
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled, const char* name);
  void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
              const std::vector<Tensor>& state) override;

 private:
  AdamOptions options_;
  bool decoupled_;
};

/// Adam with decoupled weight decay (Loshchilov & Hutter); PyTorch's default weight_decay 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = {.weight_decay = 1e-2});
  /// Each group's unset options come from `options` (nanoGPT: weight_decay_groups(...)).
  AdamW(std::vector<ParamGroup> groups, AdamOptions options = {.weight_decay = 1e-2});
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
  /// Each group's unset options come from `options`.
  RMSprop(std::vector<ParamGroup> groups, RmspropOptions options = {});
  /// The optimizer-wide options (the defaults of the groups).
  const RmspropOptions& options() const { return options_; }

 protected:
  void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
              const std::vector<Tensor>& state) override;

 private:
  RmspropOptions options_;
};

/// Scales all gradients together so that their total norm is at most max_norm; returns the total
/// norm before clipping (norm_type 2, or infinity for the max-abs norm).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
/// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace ignis::optim

#pragma once
// Optimizer updates, one functor per optimizer, shared by every backend (PyTorch's update rules,
// torch/optim/{sgd,adam,rmsprop}.py, single-tensor form). Each updates one element:
// p (parameter), g (gradient) and s[] (its state values, in the order the optimizer declares).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ignis/core/host_device.hpp"

namespace ignis::kernels {

enum class OptimizerOp : std::uint8_t { kSgd, kAdam, kRmsprop };

/// Hyperparameters of one step (the fields each optimizer reads are named in its functor).
struct OptimizerStepParams {
  double lr = 0, weight_decay = 0;
  double momentum = 0, dampening = 0;            // SGD, RMSprop
  double beta1 = 0, beta2 = 0, eps = 0;           // Adam; eps also RMSprop
  double step_size = 0;                           // Adam: lr / (1 - beta1^t)
  double inv_sqrt_bias_correction2 = 1;           // Adam: 1 / sqrt(1 - beta2^t)
  double alpha = 0;                               // RMSprop smoothing
  bool nesterov = false, first_step = false;      // SGD
  bool decoupled_weight_decay = false, amsgrad = false;  // Adam / AdamW
  bool centered = false;                          // RMSprop
};

/// SGD; state: s[0] = momentum buffer (used when momentum != 0).
struct SgdStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T* s) const {
    T d = grad + static_cast<T>(p.weight_decay) * param;
    if (p.momentum != 0) {
      s[0] = p.first_step ? d : static_cast<T>(p.momentum) * s[0] + static_cast<T>(1 - p.dampening) * d;
      d = p.nesterov ? d + static_cast<T>(p.momentum) * s[0] : s[0];
    }
    param -= static_cast<T>(p.lr) * d;
  }
};

/// Adam / AdamW; state: s[0] = exp_avg, s[1] = exp_avg_sq, s[2] = max_exp_avg_sq (amsgrad).
struct AdamStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T* s) const {
    if (p.decoupled_weight_decay) {
      param *= static_cast<T>(1 - p.lr * p.weight_decay);
    } else {
      grad += static_cast<T>(p.weight_decay) * param;
    }
    s[0] = static_cast<T>(p.beta1) * s[0] + static_cast<T>(1 - p.beta1) * grad;
    s[1] = static_cast<T>(p.beta2) * s[1] + static_cast<T>(1 - p.beta2) * grad * grad;
    T second = s[1];
    if (p.amsgrad) {
      s[2] = s[2] > s[1] ? s[2] : s[1];
      second = s[2];
    }
    const T denom = std::sqrt(second) * static_cast<T>(p.inv_sqrt_bias_correction2) + static_cast<T>(p.eps);
    param -= static_cast<T>(p.step_size) * s[0] / denom;
  }
};

/// RMSprop; state: s[0] = square_avg, s[1] = momentum buffer, s[2] = grad_avg (centered).
struct RmspropStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T* s) const {
    grad += static_cast<T>(p.weight_decay) * param;
    s[0] = static_cast<T>(p.alpha) * s[0] + static_cast<T>(1 - p.alpha) * grad * grad;
    T avg;
    if (p.centered) {
      s[2] = static_cast<T>(p.alpha) * s[2] + static_cast<T>(1 - p.alpha) * grad;
      avg = std::sqrt(s[0] - s[2] * s[2]) + static_cast<T>(p.eps);
    } else {
      avg = std::sqrt(s[0]) + static_cast<T>(p.eps);
    }
    if (p.momentum > 0) {
      s[1] = static_cast<T>(p.momentum) * s[1] + grad / avg;
      param -= static_cast<T>(p.lr) * s[1];
    } else {
      param -= static_cast<T>(p.lr) * grad / avg;
    }
  }
};

/// The one OptimizerOp -> functor switch.
template <class F>
IGNIS_HOST_DEVICE decltype(auto) visit_optimizer(OptimizerOp op, const OptimizerStepParams& p, F&& f) {
  switch (op) {
    case OptimizerOp::kSgd: return f(SgdStep{p});
    case OptimizerOp::kAdam: return f(AdamStep{p});
    case OptimizerOp::kRmsprop: break;
  }
  return f(RmspropStep{p});
}

}  // namespace ignis::kernels

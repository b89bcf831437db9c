#pragma once
// Optimizer updates, one functor per optimizer, shared by every backend (PyTorch's update rules,
// torch/optim/{sgd,adam,rmsprop}.py, single-tensor form). Each updates one element: the
// parameter, its gradient and up to three state values s0, s1, s2 (in the order the optimizer
// declares; unused ones are scratch).
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

/// SGD; state: s0 = momentum buffer (used when momentum != 0).
struct SgdStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T& s0, T&, T&) const {
    T d = grad + static_cast<T>(p.weight_decay) * param;
    if (p.momentum != 0) {
      s0 = p.first_step ? d : static_cast<T>(p.momentum) * s0 + static_cast<T>(1 - p.dampening) * d;
      d = p.nesterov ? d + static_cast<T>(p.momentum) * s0 : s0;
    }
    param -= static_cast<T>(p.lr) * d;
  }
};

/// Adam / AdamW; state: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad).
struct AdamStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T& exp_avg, T& exp_avg_sq, T& max_exp_avg_sq) const {
    if (p.decoupled_weight_decay) {
      param *= static_cast<T>(1 - p.lr * p.weight_decay);
    } else {
      grad += static_cast<T>(p.weight_decay) * param;
    }
    exp_avg = static_cast<T>(p.beta1) * exp_avg + static_cast<T>(1 - p.beta1) * grad;
    exp_avg_sq = static_cast<T>(p.beta2) * exp_avg_sq + static_cast<T>(1 - p.beta2) * grad * grad;
    T second = exp_avg_sq;
    if (p.amsgrad) {
      max_exp_avg_sq = max_exp_avg_sq > exp_avg_sq ? max_exp_avg_sq : exp_avg_sq;
      second = max_exp_avg_sq;
    }
    const T denom = std::sqrt(second) * static_cast<T>(p.inv_sqrt_bias_correction2) + static_cast<T>(p.eps);
    param -= static_cast<T>(p.step_size) * exp_avg / denom;
  }
};

/// RMSprop; state: square_avg, momentum buffer, grad_avg (centered).
struct RmspropStep {
  OptimizerStepParams p;
  template <class T>
  IGNIS_HOST_DEVICE void operator()(T& param, T grad, T& square_avg, T& momentum_buffer, T& grad_avg) const {
    grad += static_cast<T>(p.weight_decay) * param;
    square_avg = static_cast<T>(p.alpha) * square_avg + static_cast<T>(1 - p.alpha) * grad * grad;
    T avg;
    if (p.centered) {
      grad_avg = static_cast<T>(p.alpha) * grad_avg + static_cast<T>(1 - p.alpha) * grad;
      avg = std::sqrt(square_avg - grad_avg * grad_avg) + static_cast<T>(p.eps);
    } else {
      avg = std::sqrt(square_avg) + static_cast<T>(p.eps);
    }
    if (p.momentum > 0) {
      momentum_buffer = static_cast<T>(p.momentum) * momentum_buffer + grad / avg;
      param -= static_cast<T>(p.lr) * momentum_buffer;
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

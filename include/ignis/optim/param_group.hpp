#pragma once
// Parameter groups (torch.optim's param_groups): parameters that share a set of optimizer
// options. Each option left unset takes the optimizer's value (its Options struct), as a key
// missing from a PyTorch group dict takes the optimizer's defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::optim {

/// One group of parameters and its overrides. Setting an option the optimizer does not have
/// (beta1 for SGD) is a ValueError when the optimizer is built. Inside an optimizer,
/// Optimizer::param_groups() returns the groups with every option of that optimizer filled in.
struct ParamGroup {
  std::vector<Tensor> params;
  std::optional<double> lr;
  std::optional<double> weight_decay;
  std::optional<double> momentum;   // SGD, RMSprop
  std::optional<double> dampening;  // SGD
  std::optional<bool> nesterov;     // SGD
  std::optional<double> beta1;      // Adam, AdamW
  std::optional<double> beta2;      // Adam, AdamW
  std::optional<double> eps;        // Adam, AdamW, RMSprop
  std::optional<bool> amsgrad;      // Adam, AdamW
  std::optional<double> alpha;      // RMSprop
  std::optional<bool> centered;     // RMSprop
};

/// nanoGPT's split for AdamW (configure_optimizers): group 0 holds the parameters with dim >= 2
/// (matrices, embeddings) with `weight_decay`, group 1 the others (biases, norm weights) with
/// weight decay 0. Parameters that do not require grad are left out, and a tensor listed under
/// two names (tied weights) is kept once, at its first name, as PyTorch's named_parameters()
/// does. Both groups are returned even when one is empty, so the indices stay fixed.
std::vector<ParamGroup> weight_decay_groups(const std::vector<std::pair<std::string, Tensor>>& named_parameters,
                                            double weight_decay);

}  // namespace ignis::optim

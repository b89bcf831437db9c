// nanoGPT's parameter groups for AdamW.
#include "ignis/optim/param_group.hpp"

namespace ignis::optim {

std::vector<ParamGroup> weight_decay_groups(const std::vector<std::pair<std::string, Tensor>>& named_parameters,
                                            double weight_decay) {
  std::vector<ParamGroup> groups(2);
  groups[0].weight_decay = weight_decay;
  groups[1].weight_decay = 0.0;
  std::vector<Tensor> seen;
  for (const auto& [name, p] : named_parameters) {
    if (!p.defined() || !p.requires_grad()) continue;
    bool tied = false;
    for (const Tensor& s : seen) tied = tied || s.is_same(p);
    if (tied) continue;
    seen.push_back(p);
    groups[p.dim() >= 2 ? 0 : 1].params.push_back(p);
  }
  return groups;
}

}  // namespace ignis::optim

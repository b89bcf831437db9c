#pragma once
// W1–W4 written against libtorch's C++ frontend, step for step as bench/peer/train_step_peer.py
// builds them in Python (same shapes, seeds, PyTorch's default initialisation, optimizer
// settings, loss), so that the same seeds give the same weights, data and losses.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

namespace libtorch_peer {

struct Workload {
  std::function<torch::Tensor(const torch::Tensor&)> forward;  ///< the model
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> loss;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  torch::Tensor x, y;
  double items_per_step = 1;  ///< 1 for W1 (steps/s), the batch otherwise (samples/s)
  double flop_per_step = 0;   ///< W3's model arithmetic, 0 for the others
};

/// W1, W2, W3 or W4 on `device`: the model is moved there before the optimizer takes its
/// parameters (as both other sides). Throws std::invalid_argument for another name.
Workload make_workload(const std::string& name, const torch::Device& device);

/// One training step: zero_grad, forward, loss, backward, optimizer step; returns the loss.
torch::Tensor train_step(Workload& w);

}  // namespace libtorch_peer

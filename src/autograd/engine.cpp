// The backward pass: runs the nodes reachable from the output in topological order (Kahn's
// algorithm over dependency counts kept in the nodes), summing the gradients that meet at a node,
// then frees what the nodes saved unless the graph is retained. Runs without recording (no
// double backward).
#include "core/check.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/tensor/factories.hpp"
#include "record.hpp"

namespace ignis {

namespace {

using autograd::Node;

void run_backward(const std::shared_ptr<Node>& root, const Tensor& root_grad, bool retain_graph) {
  // Dependency count of every node: how many edges lead into it (scratch fields of the nodes).
  std::vector<Node*> visited = {root.get()};
  root->engine_seen = true;
  root->pending_inputs = 0;
  for (std::size_t i = 0; i < visited.size(); ++i) {
    for (const auto& next : visited[i]->next_edges) {
      if (!next) continue;
      if (!next->engine_seen) {
        next->engine_seen = true;
        next->pending_inputs = 0;
        next->pending_grad = Tensor();
        visited.push_back(next.get());
      }
      ++next->pending_inputs;
    }
  }

  root->pending_grad = root_grad;
  std::vector<Node*> ready = {root.get()};
  try {
    while (!ready.empty()) {
      Node* node = ready.back();
      ready.pop_back();
      Tensor grad = std::move(node->pending_grad);
      node->pending_grad = Tensor();
      std::vector<Tensor> input_grads;
      if (grad.defined()) input_grads = node->apply(std::move(grad));
      for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
        Node* next = node->next_edges[i].get();
        if (next == nullptr) continue;
        if (i < input_grads.size() && input_grads[i].defined()) {
          Tensor& slot = next->pending_grad;
          slot = slot.defined() ? ops::add(slot, input_grads[i]) : input_grads[i];
        }
        if (--next->pending_inputs == 0) ready.push_back(next);
      }
    }
  } catch (...) {
    for (Node* node : visited) {
      node->engine_seen = false;
      node->pending_grad = Tensor();
    }
    throw;
  }
  for (Node* node : visited) {
    node->engine_seen = false;
    if (!retain_graph) node->release();
  }
}

}  // namespace

void Tensor::backward(const Tensor& gradient, BackwardOptions options) const {
  if (!requires_grad()) {
    throw ValueError(
        "[backward] this tensor does not require grad and has no grad_fn: nothing to "
        "differentiate. Call requires_grad_() on the parameters, and do not compute the loss "
        "under NoGradGuard");
  }
  Tensor grad = gradient;
  if (!grad.defined()) {
    if (numel() != 1) {
      detail::fail<ValueError>("[backward] a gradient can be created implicitly only for a tensor "
                               "with one element, but this one has shape {}; pass the gradient "
                               "d(out)/d(this), e.g. backward(ones_like(out))",
                               shape());
    }
    grad = ones_like(*this);
  } else if (grad.shape() != shape()) {
    detail::fail<ShapeError>("[backward] the gradient has shape {} but the tensor has shape {}",
                             grad.shape(), shape());
  }
  NoGradGuard no_grad;
  run_backward(autograd::gradient_edge(*this), grad, options.retain_graph);
}

}  // namespace ignis

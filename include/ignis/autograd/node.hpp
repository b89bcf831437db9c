#pragma once
// A node of the autograd graph: the backward of one operation. Every differentiable op has one
// output; its node turns d(loss)/d(output) into d(loss)/d(input) for each input and passes
// each to the input's own node (next_edges), or to nothing for inputs that need no gradient.
#include <memory>
#include <string_view>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::autograd {

class Node {
 public:
  virtual ~Node() = default;
  /// "MulBackward", "AccumulateGrad", ...
  virtual std::string_view name() const = 0;
  /// Gradients for the inputs (one per next_edges entry; undefined = no gradient).
  virtual std::vector<Tensor> apply(Tensor grad_output) = 0;
  /// Frees what the node saved for backward (after a backward without retain_graph).
  virtual void release() {}

  /// The nodes that receive each input's gradient (null where an input needs none).
  std::vector<std::shared_ptr<Node>> next_edges;

  // Scratch of the backward engine while it runs (no maps to allocate per backward). One
  // backward at a time may run through a node: graphs that share nodes are not differentiated
  // from several threads at once.
  int pending_inputs = 0;    // edges into this node not yet processed
  bool engine_seen = false;  // counted in this backward's dependency pass
  Tensor pending_grad;       // sum of the gradients received so far
};

}  // namespace ignis::autograd

#pragma once
// How differentiable ops record themselves: compute with the raw op (ignis::ops, no graph),
// then, if grad mode is on and an input requires grad, attach a node whose backward is a lambda
// written next to the forward, with forward ops only. The lambda's captures are the tensors saved
// for backward; they are freed after backward unless the graph is retained.
#include <functional>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/node.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::autograd {

using Grads = std::vector<Tensor>;
using BackwardFn = std::function<Grads(const Tensor& grad_output)>;

/// The node of an op defined by a backward lambda.
class FunctionNode final : public Node {
 public:
  FunctionNode(std::string_view name, BackwardFn backward) : name_(name), backward_(std::move(backward)) {}
  std::string_view name() const override { return name_; }
  std::vector<Tensor> apply(Tensor grad_output) override;
  void release() override { backward_ = nullptr; }

 private:
  std::string_view name_;
  BackwardFn backward_;
};

/// Adds incoming gradients into a leaf's grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  std::string_view name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(Tensor grad_output) override;

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

/// True when an op on these inputs must record a node.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}
inline bool needs_grad(const Tensor& x) { return needs_grad({&x}); }

/// The node that receives t's gradient: its grad_fn, its leaf accumulator, or null.
std::shared_ptr<Node> gradient_edge(const Tensor& t);

/// Makes `out` the output of a node named `name` over `inputs` (order = order of the gradients
/// `backward` returns) and returns it. `backward` must not hold `out` itself (only out.detach()):
/// out owns the node, so that would be a reference cycle.
Tensor record(std::string_view name, Tensor out, std::initializer_list<const Tensor*> inputs,
              BackwardFn backward);

/// Sums a broadcast gradient back to `shape` and converts it to `dtype` (the input's).
Tensor reduce_to(const Tensor& grad, const Shape& shape, DType dtype);

}  // namespace ignis::autograd

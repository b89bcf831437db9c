#include "record.hpp"

#include "core/check.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/layout.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::autograd {

std::vector<Tensor> FunctionNode::apply(Tensor grad_output) {
  if (!backward_) {
    detail::fail<ValueError>(
        "[backward] trying to backward through the graph a second time ({} already ran and freed "
        "what it saved); pass {{.retain_graph = true}} to the first backward() if you need to",
        name_);
  }
  return backward_(grad_output);
}

std::vector<Tensor> AccumulateGrad::apply(Tensor grad) {
  // Keep the gradient only if nothing else refers to it (an op may hand one tensor to several
  // inputs) and it is laid out plainly; otherwise copy it.
  const bool sole = grad.impl_ptr().use_count() == 1 && grad.storage().use_count() == 1;
  if (!sole || !grad.is_contiguous() || grad.offset() != 0) grad = ops::clone(grad);
  if (leaf_->grad == nullptr) {
    leaf_->grad = grad.impl_ptr();
  } else {
    leaf_->grad = ops::add(Tensor(leaf_->grad), grad).impl_ptr();
  }
  set_memory_category(Tensor(leaf_->grad), MemoryCategory::kGradients);
  return {};
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  const auto& impl = t.impl_ptr();
  if (impl->grad_fn) return impl->grad_fn;
  if (auto existing = impl->grad_accumulator.lock()) return existing;
  auto accumulator = std::make_shared<AccumulateGrad>(impl);
  impl->grad_accumulator = accumulator;
  return accumulator;
}

Tensor record(std::string_view name, Tensor out, std::initializer_list<const Tensor*> inputs,
              BackwardFn backward) {
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->next_edges.reserve(inputs.size());
  for (const Tensor* t : inputs) node->next_edges.push_back(gradient_edge(*t));
  TensorImpl& impl = *out.impl_ptr();
  impl.grad_fn = std::move(node);
  impl.requires_grad = true;
  // Graph tensors live as long as the graph: count them as activations (op temporaries saved by
  // a backward closure stay workspace; an approximation, see docs/architecture.md).
  set_memory_category(out, MemoryCategory::kActivations, Retag::kOnlyUntagged);
  return out;
}

Tensor reduce_to(const Tensor& grad, const Shape& shape, DType dtype) {
  Tensor g = grad;
  if (g.shape() != shape) {
    const int lead = g.dim() - shape.size();
    Dims dims;
    for (int d = 0; d < lead; ++d) dims.push_back(d);
    for (int d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1 && g.size(lead + d) != 1) dims.push_back(lead + d);
    }
    if (!dims.empty()) g = ops::sum(g, dims, kKeepDim);
    g = ops::reshape(g, shape);
  }
  return ops::to(g, dtype);
}

}  // namespace ignis::autograd

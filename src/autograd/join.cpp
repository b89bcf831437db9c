// Differentiable cat (each input gets its slice of the gradient) and stack (cat of unsqueezed).
#include "ignis/autograd/join.hpp"

#include "ignis/ops/copy.hpp"
#include "ignis/tensor/layout.hpp"
#include "record.hpp"

namespace ignis {

using autograd::Grads;
using autograd::record;

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  Tensor y = ops::cat(tensors, dim);
  if (!GradMode::is_enabled()) return y;
  bool any = false;
  for (const Tensor& t : tensors) any = any || t.requires_grad();
  if (!any) return y;
  // The node has one input per tensor; ops::cat skipped legacy 1-D empty tensors, which get none.
  auto node = std::make_shared<autograd::FunctionNode>("CatBackward", [tensors, dim](const Tensor& g) {
    const int d = normalize_dim(dim, g.dim(), "cat");
    Grads grads;
    std::int64_t offset = 0;
    for (const Tensor& t : tensors) {
      if (t.dim() == 1 && t.numel() == 0 && g.dim() != 1) {
        grads.emplace_back();
        continue;
      }
      const std::int64_t n = t.size(d);
      grads.push_back(t.requires_grad() ? ops::to(layout::narrow(g, d, offset, n), t.dtype()) : Tensor());
      offset += n;
    }
    return grads;
  });
  for (const Tensor& t : tensors) node->next_edges.push_back(autograd::gradient_edge(t));
  TensorImpl& impl = *y.impl_ptr();
  impl.grad_fn = std::move(node);
  impl.requires_grad = true;
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw ValueError("[stack] expects a non-empty list of tensors");
  if (!tensors[0].defined()) throw ValueError("[stack] a tensor in the list is undefined");
  const int d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined() || tensors[i].shape() != tensors[0].shape()) {
      return ops::stack(tensors, dim);  // throws the standard message
    }
  }
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (const Tensor& t : tensors) expanded.push_back(t.unsqueeze(d));
  return cat(expanded, d);
}

}  // namespace ignis

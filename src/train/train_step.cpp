#include "ignis/train/train_step.hpp"

#include <algorithm>

#include "ignis/autograd/operators.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::train {

StepResult train_step(nn::Module& model, const std::function<Tensor(const Tensor&, const Tensor&)>& loss,
                      optim::Optimizer& optimizer, const Tensor& input, const Tensor& target,
                      std::int64_t micro_batch_size) {
  const std::int64_t n = input.dim() == 0 ? 1 : input.size(0);
  const std::int64_t m = micro_batch_size <= 0 ? n : std::min(micro_batch_size, n);
  StepResult result;
  optimizer.zero_grad();
  BatchSizeHint hint(m);
  for (std::int64_t start = 0; start < n; start += m) {
    const std::int64_t len = std::min(m, n - start);
    const bool whole = len == n;
    const Tensor x = whole ? input : input.narrow(0, start, len);
    const Tensor t = whole ? target : target.narrow(0, start, len);
    Tensor output, value;
    {
      MemoryCategoryScope activations(MemoryCategory::kActivations);
      output = model(x);
      value = loss(output, t);
    }
    // The whole batch keeps the plain loss, so an unsplit step is exactly the classic one.
    (whole ? value : value * (static_cast<double>(len) / static_cast<double>(n))).backward();
    result.loss_sum += value.item<double>() * static_cast<double>(len);
    result.outputs.emplace_back(output.detach(), t);
    ++result.micro_batches;
  }
  optimizer.step();
  result.samples = n;
  return result;
}

}  // namespace ignis::train

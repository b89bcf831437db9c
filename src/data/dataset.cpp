#include "ignis/data/dataset.hpp"

#include "core/check.hpp"
#include "ignis/autograd/index.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/tensor/factories.hpp"
#include "kernels/philox.hpp"

namespace ignis::data {

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  if (!inputs_.defined() || !targets_.defined()) throw ValueError("[TensorDataset] inputs or targets are undefined");
  if (inputs_.dim() == 0 || targets_.dim() == 0 || inputs_.size(0) != targets_.size(0)) {
    detail::fail<ShapeError>("[TensorDataset] inputs {} and targets {} must have the same first dimension (the "
                             "number of examples)",
                             inputs_.shape(), targets_.shape());
  }
}

Batch TensorDataset::get_batch(const Tensor& indices) const {
  const Tensor idx = indices.to(inputs_.device());
  return {index_select(inputs_, 0, idx), index_select(targets_, 0, idx.to(targets_.device()))};
}

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  for (std::int64_t i : indices_) {
    if (i < 0 || i >= base_->size()) {
      detail::fail<IndexError>("[Subset] index {} is out of range for a dataset of {} examples", i, base_->size());
    }
  }
}

Batch Subset::get_batch(const Tensor& indices) const {
  std::vector<std::int64_t> mapped;
  for (std::int64_t i : indices.to_vector<std::int64_t>()) mapped.push_back(indices_.at(static_cast<std::size_t>(i)));
  return base_->get_batch(from_vector(mapped, {static_cast<std::int64_t>(mapped.size())}));
}

TransformDataset::TransformDataset(std::shared_ptr<const Dataset> base, std::function<Tensor(const Tensor&)> input_transform)
    : base_(std::move(base)), transform_(std::move(input_transform)) {
  if (!base_ || !transform_) throw ValueError("[TransformDataset] needs a dataset and a transform");
}

Batch TransformDataset::get_batch(const Tensor& indices) const {
  Batch b = base_->get_batch(indices);
  b.input = transform_(b.input);
  return b;
}

Tensor Normalize::operator()(const Tensor& x) const {
  if (!(std > 0)) detail::fail<ValueError>("[Normalize] std must be > 0, got {}", std);
  return (x.to(DType::kFloat32) - mean) * (1.0 / std);
}

std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  // Fisher–Yates; swap k draws from block (stream << 32) + k / 2 (two 64-bit values per block).
  std::uint64_t counter = stream << 32;
  kernels::PhiloxBlock block{};
  for (std::int64_t i = n - 1, k = 0; i > 0; --i, ++k) {
    if (k % 2 == 0) block = kernels::philox_block(seed, counter++);
    const int lane = 2 * static_cast<int>(k % 2);
    const std::uint64_t r = (std::uint64_t{block.w[lane]} << 32) | block.w[lane + 1];
    std::swap(order[static_cast<std::size_t>(i)], order[r % static_cast<std::uint64_t>(i + 1)]);
  }
  return order;
}

}  // namespace ignis::data

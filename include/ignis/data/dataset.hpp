#pragma once
// Datasets: indexable collections of (input, target) examples, fetched a batch at a time.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::data {

/// Inputs and targets of several examples, stacked along a new first dimension.
struct Batch {
  Tensor input;
  Tensor target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::int64_t size() const = 0;
  /// The examples at `indices` (1-D int64, each in [0, size())), in that order.
  virtual Batch get_batch(const Tensor& indices) const = 0;
};

/// Examples are the rows (first dimension) of two tensors; fetching is one index_select each.
class TensorDataset : public Dataset {
 public:
  /// inputs and targets must have the same first dimension (ShapeError otherwise).
  TensorDataset(Tensor inputs, Tensor targets);
  std::int64_t size() const override { return inputs_.size(0); }
  Batch get_batch(const Tensor& indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

/// The examples of `base` at the given positions (a split of a larger dataset).
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices);
  std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
  Batch get_batch(const Tensor& indices) const override;

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<std::int64_t> indices_;
};

/// Another dataset with a function applied to every batch's inputs (a transform such as
/// Normalize; it runs in the DataLoader's prefetch thread when there is one).
class TransformDataset : public Dataset {
 public:
  TransformDataset(std::shared_ptr<const Dataset> base, std::function<Tensor(const Tensor&)> input_transform);
  std::int64_t size() const override { return base_->size(); }
  Batch get_batch(const Tensor& indices) const override;

 private:
  std::shared_ptr<const Dataset> base_;
  std::function<Tensor(const Tensor&)> transform_;
};

/// (x - mean) / std, after converting x to float32 (e.g. for uint8 pixels: mean and std of the
/// pixel values, or scale by 1/255 first with mean 0, std 255).
struct Normalize {
  double mean = 0.0, std = 1.0;
  Tensor operator()(const Tensor& x) const;
};

/// 0 .. n-1 in an order fixed by (seed, stream) alone: Fisher–Yates over the Philox stream, so the
/// same on every machine and device.
std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace ignis::data

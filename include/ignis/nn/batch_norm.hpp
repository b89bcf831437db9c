#pragma once
// Batch normalisation (torch.nn.BatchNorm1d / BatchNorm2d) with PyTorch's parameters and buffers:
// weight, bias, running_mean, running_var, num_batches_tracked (state_dict keys match).
//
// Training mode normalises with the batch's statistics (biased variance) and updates the running
// ones: running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance;
// without a momentum, a cumulative average over num_batches_tracked. Evaluation mode normalises
// with the running statistics.
#include <cstdint>
#include <optional>

#include "ignis/nn/module.hpp"

namespace ignis::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  // nullopt: cumulative moving average
  bool affine = true;                     // learnable weight (ones) and bias (zeros)
  bool track_running_stats = true;        // false: batch statistics in eval mode too
};

class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  /// In training mode the result for one sample depends on the whole batch (fit names the layer
  /// when it splits batches into micro-batches).
  bool depends_on_batch() const override { return is_training(); }

  Tensor weight, bias;                                         // (C), undefined without affine
  Tensor running_mean, running_var, num_batches_tracked;       // undefined without tracking

 protected:
  /// `ranks` lists the input ranks accepted (BatchNorm1d: 2 and 3; BatchNorm2d: 4).
  BatchNorm(const char* type_name, std::int64_t num_features, BatchNormOptions options, std::vector<int> ranks);
  std::string extra_repr() const override;

 private:
  std::int64_t num_features_;
  BatchNormOptions options_;
  std::vector<int> ranks_;
};

/// Over (N, C) or (N, C, L) inputs.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options, {2, 3}) {}
};

/// Over (N, C, H, W) inputs.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options, {4}) {}
};

}  // namespace ignis::nn

#pragma once
// Small layers: Dropout, Dropout2d, Flatten, Embedding, LayerNorm.
#include <cstdint>

#include "ignis/core/shape.hpp"
#include "ignis/nn/module.hpp"

namespace ignis::nn {

/// Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity
/// in eval mode. Draws from the default generator.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  double p_;
};

/// Zeroes whole channels with probability p in training mode (torch.nn.Dropout2d); identity in
/// eval mode.
class Dropout2d : public Module {
 public:
  explicit Dropout2d(double p = 0.5);
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  double p_;
};

/// Flattens dimensions start_dim..end_dim (default: all but the batch dimension).
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  std::int64_t start_dim_, end_dim_;
};

/// A lookup table: integer indices (any shape) -> rows of weight (num_embeddings,
/// embedding_dim), initialised N(0, 1) as in PyTorch.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim);
  Tensor forward(const Tensor& indices) override;

  Tensor weight;

 protected:
  std::string extra_repr() const override;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  // learnable weight (ones) and bias (zeros)
  bool bias = true;                // the bias of the affine part (torch's LayerNorm(bias=False))
};

/// Normalises over the trailing `normalized_shape` dimensions.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // undefined without elementwise_affine

 protected:
  std::string extra_repr() const override;

 private:
  Shape normalized_shape_;
  LayerNormOptions options_;
};

}  // namespace ignis::nn

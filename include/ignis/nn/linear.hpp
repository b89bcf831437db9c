#pragma once
#include <cstdint>

#include "ignis/nn/module.hpp"

namespace ignis::nn {

struct LinearOptions {
  bool bias = true;
};

/// y = x Wᵀ + b for x of shape (..., in_features). PyTorch's initialisation: W and b uniform on
/// ±1/√in_features (kaiming_uniform_ with a = √5).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options = {});
  Tensor forward(const Tensor& x) override;

  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features), undefined without bias

 protected:
  std::string extra_repr() const override;

 private:
  std::int64_t in_features_, out_features_;
};

}  // namespace ignis::nn

#pragma once
// Activation layers (no parameters).
#include <cstdint>

#include "ignis/nn/module.hpp"
#include "ignis/ops/elementwise.hpp"

namespace ignis::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

/// GELU: exact by default, or the tanh approximation (torch.nn.GELU(approximate='tanh')).
class GELU : public Module {
 public:
  explicit GELU(GeluApproximation approximate = GeluApproximation::kNone)
      : Module("GELU"), approximate_(approximate) {}
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  GeluApproximation approximate_;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : Module("LeakyReLU"), negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  double negative_slope_;
};

class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t dim) : Module("Softmax"), dim_(dim) {}
  Tensor forward(const Tensor& x) override;

 protected:
  std::string extra_repr() const override;

 private:
  std::int64_t dim_;
};

}  // namespace ignis::nn

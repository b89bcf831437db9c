#pragma once
// Parameter initialisation in place, as torch.nn.init (no gradient is recorded). Fan-in/out of a
// weight (out, in, *kernel): fan_in = in * receptive field, fan_out = out * receptive field.
#include <string_view>

#include "ignis/tensor/generator.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::nn::init {

enum class FanMode { kFanIn, kFanOut };
enum class Nonlinearity { kLinear, kSigmoid, kTanh, kRelu, kLeakyRelu };

/// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).
double calculate_gain(Nonlinearity nonlinearity, double negative_slope = 0.01);

Tensor& uniform_(Tensor& t, double low = 0.0, double high = 1.0, Generator* generator = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0, Generator* generator = nullptr);
Tensor& xavier_normal_(Tensor& t, double gain = 1.0, Generator* generator = nullptr);
/// He initialisation; `a` is the negative slope of a leaky ReLU (PyTorch's nn.Linear uses
/// a = √5 with kLeakyRelu, which gives U(-1/√fan_in, 1/√fan_in)).
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0, FanMode mode = FanMode::kFanIn,
                         Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu, Generator* generator = nullptr);
Tensor& kaiming_normal_(Tensor& t, double a = 0.0, FanMode mode = FanMode::kFanIn,
                        Nonlinearity nonlinearity = Nonlinearity::kLeakyRelu, Generator* generator = nullptr);

/// (fan_in, fan_out) of a weight with at least 2 dimensions.
std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& t);

}  // namespace ignis::nn::init

// Initialisers with PyTorch's formulas (torch/nn/init.py).
#include "ignis/nn/init.hpp"

#include <cmath>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::kLinear:
    case Nonlinearity::kSigmoid: return 1.0;
    case Nonlinearity::kTanh: return 5.0 / 3.0;
    case Nonlinearity::kRelu: return std::sqrt(2.0);
    case Nonlinearity::kLeakyRelu: break;
  }
  return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* generator) {
  NoGradGuard no_grad;
  return ignis::uniform_(t, low, high, generator);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* generator) {
  NoGradGuard no_grad;
  return ignis::normal_(t, mean, std, generator);
}

Tensor& constant_(Tensor& t, double value) {
  NoGradGuard no_grad;
  return t.fill_(value);
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

std::pair<std::int64_t, std::int64_t> fan_in_and_fan_out(const Tensor& t) {
  if (t.dim() < 2) {
    detail::fail<ShapeError>("[init] fan in and fan out need a tensor with at least 2 dimensions, got {}",
                             t.shape());
  }
  std::int64_t receptive = 1;
  for (int d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return init::uniform_(t, -bound, bound, generator);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* generator) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  return init::normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), generator);
}

namespace {
double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  const auto fan = static_cast<double>(mode == FanMode::kFanIn ? fan_in : fan_out);
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity, Generator* generator) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  return init::uniform_(t, -bound, bound, generator);
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity, Generator* generator) {
  return init::normal_(t, 0.0, kaiming_std(t, a, mode, nonlinearity), generator);
}

}  // namespace ignis::nn::init

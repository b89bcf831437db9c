#pragma once
// Convolution and pooling layers (torch.nn.Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d),
// NCHW, over ignis::conv2d and the pooling ops (ignis/autograd/conv.hpp).
#include <cstdint>
#include <optional>

#include "ignis/autograd/conv.hpp"
#include "ignis/nn/module.hpp"

namespace ignis::nn {

struct Conv2dOptions {
  Size2 stride = {1, 1};
  Size2 padding = {0, 0};
  Size2 dilation = {1, 1};
  std::int64_t groups = 1;
  bool bias = true;
  Padding padding_mode = Padding::kExplicit;  // kSame / kValid as padding='same' / 'valid'
};

/// weight (out_channels, in_channels / groups, kH, kW) and bias (out_channels), initialised as
/// PyTorch: kaiming_uniform_(a = √5), i.e. uniform on ±1/√fan_in, fan_in = in/groups·kH·kW.
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Conv2dOptions options = {});
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv2dOptions options = {})
      : Conv2d(in_channels, out_channels, Size2{kernel_size, kernel_size}, options) {}
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // bias undefined without options.bias

 protected:
  std::string extra_repr() const override;

 private:
  std::int64_t in_channels_, out_channels_;
  Size2 kernel_size_;
  Conv2dOptions options_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Pool2dOptions options) : Module("MaxPool2d"), options_(options) {}
  explicit MaxPool2d(std::int64_t kernel_size) : MaxPool2d(Pool2dOptions{.kernel_size = {kernel_size, kernel_size}}) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, options_); }

 protected:
  std::string extra_repr() const override;

 private:
  Pool2dOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Pool2dOptions options) : Module("AvgPool2d"), options_(options) {}
  explicit AvgPool2d(std::int64_t kernel_size) : AvgPool2d(Pool2dOptions{.kernel_size = {kernel_size, kernel_size}}) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, options_); }

 protected:
  std::string extra_repr() const override;

 private:
  Pool2dOptions options_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : Module("AdaptiveAvgPool2d"), output_size_(output_size) {}
  explicit AdaptiveAvgPool2d(std::int64_t output_size) : AdaptiveAvgPool2d(Size2{output_size, output_size}) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, output_size_); }

 protected:
  std::string extra_repr() const override;

 private:
  Size2 output_size_;
};

}  // namespace ignis::nn

// Conv2d and the pooling layers.
#include "ignis/nn/conv.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/check.hpp"
#include "ignis/nn/init.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::nn {

namespace {
std::string pair(Size2 s) { return fmt::format("({}, {})", s[0], s[1]); }

std::string pool_repr(const Pool2dOptions& o, bool average) {
  std::string r = fmt::format("kernel_size={}, stride={}, padding={}", pair(o.kernel_size),
                              pair(o.stride.value_or(o.kernel_size)), pair(o.padding));
  if (!average) r += fmt::format(", dilation={}", pair(o.dilation));
  r += fmt::format(", ceil_mode={}", o.ceil_mode ? "True" : "False");
  if (average && !o.count_include_pad) r += ", count_include_pad=False";
  return r;
}
}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Conv2dOptions options)
    : Module("Conv2d"), in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size),
      options_(options) {
  if (in_channels <= 0 || out_channels <= 0 || kernel_size[0] <= 0 || kernel_size[1] <= 0 || options.groups <= 0) {
    detail::fail<ValueError>("[conv2d] channels, kernel_size and groups must be positive, got in_channels={} "
                             "out_channels={} kernel_size={} groups={}",
                             in_channels, out_channels, pair(kernel_size), options.groups);
  }
  if (in_channels % options.groups != 0 || out_channels % options.groups != 0) {
    detail::fail<ValueError>("[conv2d] in_channels={} and out_channels={} must both be divisible by groups={}",
                             in_channels, out_channels, options.groups);
  }
  Tensor w = empty({out_channels, in_channels / options.groups, kernel_size[0], kernel_size[1]});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  weight = register_parameter("weight", w);
  if (options.bias) {
    const double fan_in = static_cast<double>(in_channels / options.groups * kernel_size[0] * kernel_size[1]);
    Tensor b = empty({out_channels});
    init::uniform_(b, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in));
    bias = register_parameter("bias", b);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  check_input(x, weight, "weight");
  if ((x.dim() != 3 && x.dim() != 4) || x.size(x.dim() - 3) != in_channels_) {
    detail::fail<ShapeError>("{} expected a (N, {}, H, W) or ({}, H, W) input, got shape {}", where(), in_channels_,
                             in_channels_, x.shape());
  }
  const ignis::Conv2dOptions o{.stride = options_.stride,
                               .padding = options_.padding,
                               .dilation = options_.dilation,
                               .groups = options_.groups,
                               .padding_mode = options_.padding_mode};
  return conv2d(x, weight, bias.defined() ? std::optional<Tensor>(bias) : std::nullopt, o);
}

std::string Conv2d::extra_repr() const {
  std::string r = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels_, out_channels_, pair(kernel_size_),
                              pair(options_.stride));
  if (options_.padding_mode == Padding::kSame) {
    r += ", padding=same";
  } else if (options_.padding_mode == Padding::kKerasSame) {
    r += ", padding=same (Keras: ceil(in / stride) outputs)";
  } else if (options_.padding_mode == Padding::kValid) {
    r += ", padding=valid";
  } else if (options_.padding != Size2{0, 0}) {
    r += fmt::format(", padding={}", pair(options_.padding));
  }
  if (options_.dilation != Size2{1, 1}) r += fmt::format(", dilation={}", pair(options_.dilation));
  if (options_.groups != 1) r += fmt::format(", groups={}", options_.groups);
  if (!bias.defined()) r += ", bias=False";
  return r;
}

std::string MaxPool2d::extra_repr() const { return pool_repr(options_, false); }
std::string AvgPool2d::extra_repr() const { return pool_repr(options_, true); }
std::string AdaptiveAvgPool2d::extra_repr() const { return fmt::format("output_size={}", pair(output_size_)); }

}  // namespace ignis::nn

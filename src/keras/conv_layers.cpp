// Keras's convolutional layers as builders of nn modules. ignis computes in NCHW; with Keras's
// default data_format "channels_last" a layer's module transposes (N, H, W, C) to NCHW and back
// around the computation. Output shapes come from running the built module once on a zero
// sample, so they cannot drift from what the ops compute.
#include <fmt/format.h>

#include <functional>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/keras/layers.hpp"
#include "ignis/nn/batch_norm.hpp"
#include "ignis/nn/conv.hpp"
#include "ignis/nn/sequential.hpp"
#include "ignis/tensor/factories.hpp"
#include "layer_support.hpp"

namespace ignis::keras {

namespace {

using detail::activation_module;
using detail::unique_name;

enum class DataFormat { kChannelsLast, kChannelsFirst };

DataFormat parse_format(const std::string& f, const char* layer) {
  if (f == "channels_last") return DataFormat::kChannelsLast;
  if (f == "channels_first") return DataFormat::kChannelsFirst;
  ignis::detail::fail<ValueError>("[{}] data_format must be \"channels_last\" or \"channels_first\", got \"{}\"", layer,
                                  f);
}

/// Runs an NCHW module on (N, H, W, C) inputs.
class ChannelsLast : public nn::Module {
 public:
  explicit ChannelsLast(std::shared_ptr<nn::Module> inner) : Module("ChannelsLast") {
    inner_ = register_module("0", std::move(inner));
  }
  Tensor forward(const Tensor& x) override {
    return inner_->forward(x.permute({0, 3, 1, 2})).permute({0, 2, 3, 1});
  }

 private:
  std::shared_ptr<nn::Module> inner_;
};

class ReshapeModule : public nn::Module {
 public:
  explicit ReshapeModule(Shape target) : Module("Reshape"), target_(target) {}
  Tensor forward(const Tensor& x) override {
    Shape s{x.size(0)};
    for (std::int64_t d : target_) s.push_back(d);
    return x.reshape(s);
  }

 private:
  Shape target_;
};

class GlobalAverageModule : public nn::Module {
 public:
  explicit GlobalAverageModule(DataFormat format) : Module("GlobalAveragePooling2D"), format_(format) {}
  Tensor forward(const Tensor& x) override {
    return mean(x, format_ == DataFormat::kChannelsLast ? Dims{1, 2} : Dims{2, 3});
  }

 private:
  DataFormat format_;
};

/// The per-sample output shape of `module` for per-sample inputs of `input_shape`.
Shape probe_shape(nn::Module& module, const Shape& input_shape) {
  NoGradGuard no_grad;
  Shape batched{1};
  for (std::int64_t d : input_shape) batched.push_back(d);
  const bool was_training = module.is_training();
  module.eval();  // no batch statistics from one zero sample, no running-statistics update
  const Tensor y = module.forward(zeros(batched));
  module.train(was_training);
  return Shape(std::span<const std::int64_t>(y.shape().begin() + 1, y.dim() - 1));
}

/// The module in the right layout, followed by the activation if any.
std::shared_ptr<nn::Module> assemble(std::shared_ptr<nn::Module> core, DataFormat format, const std::string& activation) {
  std::shared_ptr<nn::Module> m = format == DataFormat::kChannelsLast ? std::make_shared<ChannelsLast>(core) : core;
  if (auto act = activation_module(activation)) {
    auto seq = std::make_shared<nn::Sequential>();
    seq->push_back(m);
    seq->push_back(act);
    return seq;
  }
  return m;
}

void require_image(const Shape& input_shape, const std::string& layer, const std::string& name) {
  if (input_shape.size() != 3) {
    ignis::detail::fail<ShapeError>("[{} {}] needs image inputs (H, W, C) or (C, H, W) per sample, got {}; add a "
                                    "keras::Reshape first",
                                    layer, name, input_shape);
  }
}

/// A layer whose module is made by `make(input_shape)` and probed for its output shape.
class ModuleLayer : public detail::LayerImpl {
 public:
  using Make = std::function<std::shared_ptr<nn::Module>(const Shape&)>;
  ModuleLayer(std::string type, const std::string& base_name, std::string activation, Make make)
      : type_(std::move(type)), activation_(std::move(activation)), make_(std::move(make)) {
    activation_module(activation_);  // validate the name now, not at build time
    name = unique_name(base_name);
  }
  std::string type() const override { return type_; }
  std::string activation() const override { return activation_; }
  Shape build(const Shape& input_shape) override {
    module_ = make_(input_shape);
    return probe_shape(*module_, input_shape);
  }
  std::shared_ptr<nn::Module> module() const override { return module_; }

 private:
  std::string type_, activation_;
  Make make_;
  std::shared_ptr<nn::Module> module_;
};

Padding parse_padding(const std::string& padding, const char* layer) {
  if (padding == "valid") return Padding::kValid;
  if (padding == "same") return Padding::kSame;
  ignis::detail::fail<ValueError>("[{}] padding must be \"valid\" or \"same\", got \"{}\"", layer, padding);
}

std::shared_ptr<detail::LayerImpl> pooling(const char* type, const char* base, std::array<std::int64_t, 2> pool_size,
                                           const Pooling2DOptions& options, bool max) {
  const DataFormat format = parse_format(options.data_format, type);
  if (options.padding != "valid") {
    ignis::detail::fail<ValueError>("[{}] only padding=\"valid\" is supported, got \"{}\"", type, options.padding);
  }
  const Pool2dOptions pool{.kernel_size = pool_size, .stride = options.strides};
  auto layer = std::make_shared<ModuleLayer>(type, base, "", [=](const Shape&) {
    std::shared_ptr<nn::Module> core;
    if (max) {
      core = std::make_shared<nn::MaxPool2d>(pool);
    } else {
      core = std::make_shared<nn::AvgPool2d>(pool);
    }
    return assemble(core, format, "");
  });
  return layer;
}

}  // namespace

Conv2D::Conv2D(std::int64_t filters, std::array<std::int64_t, 2> kernel_size, Conv2DOptions options)
    : Layer([&] {
        const DataFormat format = parse_format(options.data_format, "Conv2D");
        // Keras's 'same' is TensorFlow's: ceil(in / stride) outputs for any stride (PyTorch's,
        // which nn::Conv2d keeps, refuses strides).
        const Padding parsed = parse_padding(options.padding, "Conv2D");
        const Padding padding = parsed == Padding::kSame ? Padding::kKerasSame : parsed;
        if (filters < 1) ignis::detail::fail<ValueError>("[Conv2D] filters must be ≥ 1, got {}", filters);
        const nn::Conv2dOptions conv{.stride = options.strides,
                                     .dilation = options.dilation_rate,
                                     .groups = options.groups,
                                     .bias = options.use_bias,
                                     .padding_mode = padding};
        auto layer = std::make_shared<ModuleLayer>(
            "Conv2D", "conv2d", options.activation, [=](const Shape& input_shape) {
              require_image(input_shape, "Conv2D", "conv2d");
              const std::int64_t channels = format == DataFormat::kChannelsLast ? input_shape[2] : input_shape[0];
              return assemble(std::make_shared<nn::Conv2d>(channels, filters, kernel_size, conv), format,
                              options.activation);
            });
        return std::static_pointer_cast<detail::LayerImpl>(layer);
      }()) {}

MaxPooling2D::MaxPooling2D(std::array<std::int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(pooling("MaxPooling2D", "max_pooling2d", pool_size, options, true)) {}

AveragePooling2D::AveragePooling2D(std::array<std::int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(pooling("AveragePooling2D", "average_pooling2d", pool_size, options, false)) {}

GlobalAveragePooling2D::GlobalAveragePooling2D(std::string data_format)
    : Layer(std::make_shared<ModuleLayer>(
          "GlobalAveragePooling2D", "global_average_pooling2d", "",
          [format = parse_format(data_format, "GlobalAveragePooling2D")](const Shape& input_shape) {
            require_image(input_shape, "GlobalAveragePooling2D", "global_average_pooling2d");
            return std::make_shared<GlobalAverageModule>(format);
          })) {}

BatchNormalization::BatchNormalization(std::int64_t axis, double momentum, double epsilon)
    : Layer(std::make_shared<ModuleLayer>(
          "BatchNormalization", "batch_normalization", "", [=](const Shape& input_shape) -> std::shared_ptr<nn::Module> {
            const auto rank = static_cast<std::int64_t>(input_shape.size());
            const std::int64_t a = axis < 0 ? axis + rank + 1 : axis;  // in batched dimensions
            const nn::BatchNormOptions bn{.eps = epsilon, .momentum = 1.0 - momentum};
            if (rank == 1 && a == 1) return std::make_shared<nn::BatchNorm1d>(input_shape[0], bn);
            if (rank == 2 && a == 1) return std::make_shared<nn::BatchNorm1d>(input_shape[0], bn);
            if (rank == 3 && a == 1) return std::make_shared<nn::BatchNorm2d>(input_shape[0], bn);
            if (rank == 3 && a == 3) return std::make_shared<ChannelsLast>(std::make_shared<nn::BatchNorm2d>(input_shape[2], bn));
            ignis::detail::fail<ValueError>("[BatchNormalization] axis {} of inputs {} is not supported; use the last "
                                            "axis of (features) or (H, W, C) inputs, or axis 1",
                                            axis, input_shape);
          })) {}

Reshape::Reshape(Shape target_shape)
    : Layer(std::make_shared<ModuleLayer>("Reshape", "reshape", "", [target_shape](const Shape& input_shape) {
        if (numel(target_shape) != numel(input_shape)) {
          ignis::detail::fail<ShapeError>("[Reshape] cannot reshape samples of shape {} to {}", input_shape,
                                          target_shape);
        }
        return std::make_shared<ReshapeModule>(target_shape);
      })) {}

}  // namespace ignis::keras

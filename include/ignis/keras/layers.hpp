#pragma once
// Keras-style layers: descriptions that become nn modules once the input size is known
// (from an Input layer, Sequential::build, or the first batch).
//   keras::Sequential model({keras::Dense(64, "relu"), keras::Dense(1)});
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ignis/core/shape.hpp"
#include "ignis/nn/module.hpp"

namespace ignis::keras {

namespace detail {
/// What every layer kind implements (internal).
class LayerImpl {
 public:
  virtual ~LayerImpl() = default;
  virtual std::string type() const = 0;
  /// Creates the module for inputs of `input_shape` (without the batch dimension) and returns the
  /// output shape. Layers without a module (Input) return a null module.
  virtual Shape build(const Shape& input_shape) = 0;
  virtual std::shared_ptr<nn::Module> module() const = 0;
  /// The activation applied last ("softmax", "sigmoid", "" = none).
  virtual std::string activation() const { return ""; }
  /// The input shape an Input layer declares.
  virtual std::optional<Shape> declared_shape() const { return std::nullopt; }
  std::string name;
};
}  // namespace detail

/// A layer handle (copies share the layer).
class Layer {
 public:
  const std::string& name() const { return impl_->name; }
  std::string type() const { return impl_->type(); }
  const std::shared_ptr<detail::LayerImpl>& impl() const { return impl_; }

 protected:
  explicit Layer(std::shared_ptr<detail::LayerImpl> impl);

 private:
  std::shared_ptr<detail::LayerImpl> impl_;
};

/// y = activation(x W + b). Activations: "" or "linear", "relu", "sigmoid", "tanh", "softmax",
/// "gelu", "leaky_relu"; ValueError for others.
class Dense : public Layer {
 public:
  explicit Dense(std::int64_t units, std::string activation = "", bool use_bias = true);
};

class Activation : public Layer {
 public:
  explicit Activation(std::string activation);
};

class Dropout : public Layer {
 public:
  explicit Dropout(double rate);
};

/// Flattens everything but the batch dimension.
class Flatten : public Layer {
 public:
  Flatten();
};

/// Where the channels are: "channels_last" (Keras's default: inputs (H, W, C) per sample) or
/// "channels_first" ((C, H, W), ignis's native NCHW layout: no transposes around each layer).
struct Conv2DOptions {
  std::array<std::int64_t, 2> strides = {1, 1};
  std::string padding = "valid";  // "valid" or "same" (TensorFlow's: ceil(in / strides) outputs)
  std::string activation = "";
  bool use_bias = true;
  std::array<std::int64_t, 2> dilation_rate = {1, 1};
  std::int64_t groups = 1;
  std::string data_format = "channels_last";
};

/// A 2-D convolution with `filters` output channels, kernel initialised as nn::Conv2d (PyTorch's
/// scheme, not Keras's glorot_uniform).
class Conv2D : public Layer {
 public:
  Conv2D(std::int64_t filters, std::array<std::int64_t, 2> kernel_size, Conv2DOptions options = {});
  Conv2D(std::int64_t filters, std::int64_t kernel_size, Conv2DOptions options = {})
      : Conv2D(filters, {kernel_size, kernel_size}, std::move(options)) {}
};

struct Pooling2DOptions {
  std::optional<std::array<std::int64_t, 2>> strides = std::nullopt;  // default: pool_size
  std::string padding = "valid";                                      // only "valid"
  std::string data_format = "channels_last";
};

class MaxPooling2D : public Layer {
 public:
  explicit MaxPooling2D(std::array<std::int64_t, 2> pool_size = {2, 2}, Pooling2DOptions options = {});
};

class AveragePooling2D : public Layer {
 public:
  explicit AveragePooling2D(std::array<std::int64_t, 2> pool_size = {2, 2}, Pooling2DOptions options = {});
};

/// The mean over the spatial dimensions: (H, W, C) -> (C) (or (C, H, W) -> (C)).
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(std::string data_format = "channels_last");
};

/// Batch normalisation over `axis` (-1: the last, Keras's default; 1 with channels_first
/// images). Keras's momentum: moving = momentum * moving + (1 - momentum) * batch.
class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(std::int64_t axis = -1, double momentum = 0.99, double epsilon = 1e-3);
};

/// Reshapes each sample to `target_shape` (without the batch dimension).
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape);
};

/// Declares the input shape (without the batch dimension), so the model builds at once.
class Input : public Layer {
 public:
  explicit Input(Shape shape);
};

/// Resets Keras's global state: layer-name counters (dense, dense_1, ... start again), and
/// releases the memory caches ignis keeps: the CPU block cache (empty_cpu_cache) and, when CUDA
/// is usable, every device's cached segments and the pinned host cache (cuda::empty_cache).
/// Unlike TensorFlow it cannot free models: tensors still referenced (a Sequential you hold, its
/// optimizer state, a History's tensors) stay alive; drop them first. Process-level tools
/// (nvidia-smi, top) may still show memory in use afterwards: the CUDA context, cuBLAS
/// workspaces, segments that still hold a live block, and memory the C library keeps.
void clear_session();

}  // namespace ignis::keras

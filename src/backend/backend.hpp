#pragma once
// The Backend interface: what a device must implement for the ops layer. Internal to ignis.
//
// Contracts shared by every method:
//  * Tensors arrive validated by the ops layer: defined, on this backend's device, with the
//    dtypes and shapes stated below. Backends do not re-validate; they compute.
//  * Inputs may be arbitrary strided views (including stride 0 from expand); outputs may be
//    views too, unless a method says "contiguous".
//  * Elementwise outputs have exactly the shape of their (already expanded) inputs.
#include <cstdint>

#include "ignis/core/device.hpp"
#include "ignis/tensor/allocator.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/tensor/tensor.hpp"
#include "kernels/attention_functors.hpp"
#include "kernels/batch_norm_functors.hpp"
#include "kernels/conv_params.hpp"
#include "kernels/op_kinds.hpp"
#include "kernels/optim_functors.hpp"

namespace ignis::backend {

using kernels::ArgReduceOp;
using kernels::AttentionParams;
using kernels::BatchNormParams;
using kernels::Conv2dParams;
using kernels::Pool2dParams;
using kernels::PoolOp;
using kernels::BinaryOp;
using kernels::GenerateOp;
using kernels::GenerateParams;
using kernels::OptimizerOp;
using kernels::OptimizerStepParams;
using kernels::RandomOp;
using kernels::RandomParams;
using kernels::ReduceOp;
using kernels::SoftmaxOp;
using kernels::UnaryOp;
using kernels::UnaryParams;

/// out = a @ b + beta * out.
struct MatmulOptions {
  double beta = 0.0;
};

/// The operands of scaled dot-product attention (kernels/attention_functors.hpp), each 4-D
/// (batch, heads, rows, cols) with the shapes of AttentionParams, one floating dtype, and a
/// column stride of 1 (the mask excepted: any strides, 0 where broadcast). Other strides are
/// free: q, k and v may be head-interleaved views of one projection.
struct AttentionTensors {
  Tensor q, k, v;  // (B, H, L, E), (B, H, S, E), (B, H, S, Ev)
  Tensor mask;     // (B, H, L, S): bool or q's dtype per params.mask; undefined without one
  Tensor out;      // (B, H, L, Ev)
  Tensor lse;      // (B, H, L), contiguous: each query row's log-sum-exp of its scores
};

/// The gradients of attention, shaped like grad_out = out, and q, k, v; column stride 1.
struct AttentionGradTensors {
  Tensor grad_out, grad_q, grad_k, grad_v;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual DeviceType device_type() const = 0;
  virtual Allocator& allocator(Device device) = 0;

  /// dst = src elementwise, converting dtype; same shape. A device backend also copies between
  /// its device and the CPU.
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  virtual void fill(const Tensor& dst, const Scalar& value) = 0;

  /// out = f(in); out has in's dtype, or bool for kIsNan/kIsFinite.
  virtual void unary(UnaryOp op, const UnaryParams& params, const Tensor& in,
                     const Tensor& out) = 0;
  /// out = f(a, b); a and b share a dtype; out has it too, or bool for comparisons.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  /// out = cond ? a : b; cond is bool; a, b and out share a dtype.
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) = 0;

  /// out has in's rank; a dimension with out.size == 1 < in.size (or in.size == 0) is reduced.
  /// Sums of integers and bools are int64; max/min keep the dtype.
  virtual void reduce(ReduceOp op, const Tensor& in, const Tensor& out) = 0;
  /// Index (int64) of the max/min along dim; out has in's rank with size 1 at dim; in.size(dim) > 0.
  virtual void arg_reduce(ArgReduceOp op, const Tensor& in, int dim, const Tensor& out) = 0;
  /// Softmax or log-softmax along dim; in and out contiguous, floating point, same shape.
  virtual void softmax(SoftmaxOp op, const Tensor& in, int dim, const Tensor& out) = 0;

  /// Fused attention: writes t.out and t.lse from t.q, t.k, t.v (and t.mask) without
  /// materialising the (L, S) score matrix of more than one block at a time.
  virtual void attention(const AttentionParams& params, const AttentionTensors& t) = 0;
  /// The gradients of attention with respect to q, k and v (all three overwritten) from grad_out
  /// and the forward's tensors (out and lse included); recomputes the probabilities.
  virtual void attention_backward(const AttentionParams& params, const AttentionTensors& t,
                                  const AttentionGradTensors& g) = 0;

  /// a (B, M, K) @ b (B, K, N) -> out (B, M, N) contiguous; a and b may be strided (batch
  /// stride 0 for broadcast); all three share a dtype.
  virtual void matmul(const Tensor& a, const Tensor& b, const Tensor& out,
                      MatmulOptions options) = 0;

  /// 2-D convolution (cross-correlation, as PyTorch) in NCHW: x (N, C, H, W), weight (O, C/groups,
  /// kH, kW), bias (O) or undefined, out (N, O, OH, OW) with OH/OW from kernels/conv_params.hpp.
  /// All contiguous, one floating dtype (float32 or float64).
  /// Never empty: the ops layer answers empty problems itself (an output with no elements, an
  /// input with none: the bias alone; a gradient pass with nothing to reach: zeros), so x,
  /// weight, out, grad_out and the gradients of all three methods have at least one element.
  virtual void conv2d(const Conv2dParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& out) = 0;
  /// The gradient of conv2d with respect to x: grad_x (N, C, H, W) = convᵀ(grad_out, weight).
  /// Same layout and dtype rules as conv2d; grad_x is overwritten.
  virtual void conv2d_backward_input(const Conv2dParams& params, const Tensor& grad_out, const Tensor& weight,
                                     const Tensor& grad_x) = 0;
  /// The gradient of conv2d with respect to weight (overwritten), from grad_out and x.
  virtual void conv2d_backward_weight(const Conv2dParams& params, const Tensor& grad_out, const Tensor& x,
                                      const Tensor& grad_weight) = 0;
  /// 2-D pooling in NCHW: x (N, C, H, W) -> out (N, C, OH, OW), contiguous, floating. kMax also
  /// writes indices (int64, out's shape): the argmax's flat position h * W + w in its plane,
  /// the first one on ties; NaN wins, as PyTorch.
  virtual void pool2d(PoolOp op, const Pool2dParams& params, const Tensor& x, const Tensor& out,
                      const Tensor& indices) = 0;
  /// The gradient of pool2d: grad_x (overwritten) from grad_out; kMax routes through indices.
  virtual void pool2d_backward(PoolOp op, const Pool2dParams& params, const Tensor& grad_out,
                               const Tensor& indices, const Tensor& grad_x) = 0;

  /// Batch normalisation of x (N, C, S), contiguous, float32 or float64, into y (same shape):
  /// per channel y = (x - mean) * weight / sqrt(var + eps) + bias (kernels/batch_norm_functors.hpp).
  /// In training mean and var (C) are outputs: the batch mean and the biased variance over N·S
  /// values (> 1); otherwise they are inputs (running statistics). weight and bias (C) may be
  /// undefined: 1 and 0.
  virtual void batch_norm(const BatchNormParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const Tensor& mean, const Tensor& var, const Tensor& y) = 0;
  /// The gradients of batch_norm from grad_y (like x) and the forward's x, weight, mean and var:
  /// grad_x (like x), grad_weight and grad_bias (C), all overwritten; any of the three may be
  /// undefined (not wanted); grad_weight is wanted only when there is a weight.
  virtual void batch_norm_backward(const BatchNormParams& params, const Tensor& grad_y, const Tensor& x,
                                   const Tensor& weight, const Tensor& mean, const Tensor& var, const Tensor& grad_x,
                                   const Tensor& grad_weight, const Tensor& grad_bias) = 0;

  /// Layer normalisation of each row of x (R, N), contiguous, float32 or float64, into y (R, N):
  /// y = (x - mean) * rstd * weight + bias (kernels/layer_norm_functors.hpp), where mean and
  /// rstd = 1 / sqrt(biased variance + eps) are the row's, written to mean and rstd (R,
  /// contiguous). weight and bias (N) may be undefined: 1 and 0. R > 0 and N > 0 are not
  /// promised: with no rows or no columns there is nothing to write.
  virtual void layer_norm(double eps, const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& y,
                          const Tensor& mean, const Tensor& rstd) = 0;
  /// The gradients of layer_norm from grad_y (R, N) and the forward's x, weight, mean and rstd:
  /// grad_x (R, N), grad_weight and grad_bias (N), all overwritten; any of the three may be
  /// undefined (not wanted); grad_weight is wanted only when there is a weight.
  virtual void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& grad_x, const Tensor& grad_weight,
                                   const Tensor& grad_bias) = 0;

  /// out[..., j, ...] = in[..., index[..., j, ...], ...] along dim, where index (int64) has
  /// out's shape (torch.gather; index_select passes an expanded index). Throws IndexError for
  /// an index outside [0, in.size(dim)).
  virtual void gather(const Tensor& in, int dim, const Tensor& index, const Tensor& out) = 0;

  /// The adjoint of gather: out[..., index[..., j, ...], ...] += src[..., j, ...] along dim, where
  /// index (int64) and src have the same shape; repeated indices accumulate.
  virtual void scatter_add(const Tensor& out, int dim, const Tensor& index, const Tensor& src) = 0;

  /// One optimizer update of every element, in place: the shared functor of `op` applied to
  /// param, grad and up to 3 state tensors. All contiguous, same shape, floating dtype.
  virtual void optimizer_step(OptimizerOp op, const OptimizerStepParams& params, const Tensor& param,
                              const Tensor& grad, const std::vector<Tensor>& state) = 0;

  /// out[i] = f(i) for a contiguous out.
  virtual void generate(GenerateOp op, const GenerateParams& params, const Tensor& out) = 0;
  /// Random values for a contiguous out from the Philox stream starting at `state`
  /// (kernels/philox.hpp fixes which block feeds which element).
  virtual void random(RandomOp op, const RandomParams& params, PhiloxState state,
                      const Tensor& out) = 0;

  /// Waits for queued work on the device (no-op on the CPU).
  virtual void synchronize(Device) {}
  /// Device queries and memory control of a device backend (null for the CPU).
  virtual class DeviceRuntime* device_runtime() { return nullptr; }
};

/// A new, uninitialised, contiguous tensor from `backend`'s allocator: scratch space for
/// backends (the ops layer allocates through its factories).
Tensor new_contiguous(Backend& backend, const Shape& shape, DType dtype, Device device);

/// The backend of a device: the CPU backend, or the CUDA plugin (loaded on first use). Throws
/// BackendUnavailableError with the reason when CUDA cannot be used.
Backend& for_device(Device device);
Backend& cpu_backend();

/// Version of the C++ interface between libignis and the CUDA plugin; both must agree.
inline constexpr int kPluginAbiVersion = 8;  // 8: layer_norm ops, BinaryOp::kGelu[Tanh]Backward; 7: attention; 6: MemoryStats::caching; 5: batch_norm ops, the cuDNN probe

}  // namespace ignis::backend

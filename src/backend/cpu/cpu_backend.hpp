#pragma once
// The CPU backend: shared functors run in OpenMP loops; GEMM goes to oneDNN.
#include "backend/backend.hpp"

namespace ignis::backend {

class CpuBackend final : public Backend {
 public:
  DeviceType device_type() const override { return DeviceType::kCPU; }
  Allocator& allocator(Device) override { return cpu_allocator(); }

  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& dst, const Scalar& value) override;
  void unary(UnaryOp op, const UnaryParams& params, const Tensor& in, const Tensor& out) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void reduce(ReduceOp op, const Tensor& in, const Tensor& out) override;
  void arg_reduce(ArgReduceOp op, const Tensor& in, int dim, const Tensor& out) override;
  void softmax(SoftmaxOp op, const Tensor& in, int dim, const Tensor& out) override;
  void attention(const AttentionParams& params, const AttentionTensors& t) override;
  void attention_backward(const AttentionParams& params, const AttentionTensors& t,
                          const AttentionGradTensors& g) override;
  void matmul(const Tensor& a, const Tensor& b, const Tensor& out, MatmulOptions options) override;
  void conv2d(const Conv2dParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Tensor& out) override;
  void conv2d_backward_input(const Conv2dParams& params, const Tensor& grad_out, const Tensor& weight,
                             const Tensor& grad_x) override;
  void conv2d_backward_weight(const Conv2dParams& params, const Tensor& grad_out, const Tensor& x,
                              const Tensor& grad_weight) override;
  void pool2d(PoolOp op, const Pool2dParams& params, const Tensor& x, const Tensor& out,
              const Tensor& indices) override;
  void pool2d_backward(PoolOp op, const Pool2dParams& params, const Tensor& grad_out, const Tensor& indices,
                       const Tensor& grad_x) override;
  void batch_norm(const BatchNormParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& mean, const Tensor& var, const Tensor& y) override;
  void batch_norm_backward(const BatchNormParams& params, const Tensor& grad_y, const Tensor& x, const Tensor& weight,
                           const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                           const Tensor& grad_bias) override;
  void layer_norm(double eps, const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& y,
                  const Tensor& mean, const Tensor& rstd) override;
  void layer_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& mean,
                           const Tensor& rstd, const Tensor& grad_x, const Tensor& grad_weight,
                           const Tensor& grad_bias) override;
  void gather(const Tensor& in, int dim, const Tensor& index, const Tensor& out) override;
  void scatter_add(const Tensor& out, int dim, const Tensor& index, const Tensor& src) override;
  void optimizer_step(OptimizerOp op, const OptimizerStepParams& params, const Tensor& param, const Tensor& grad,
                      const std::vector<Tensor>& state) override;
  void generate(GenerateOp op, const GenerateParams& params, const Tensor& out) override;
  void random(RandomOp op, const RandomParams& params, PhiloxState state,
              const Tensor& out) override;
};

}  // namespace ignis::backend

#pragma once
// The CUDA backend: the shared functors of src/kernels in templated kernels, cuBLAS for GEMM,
// a caching allocator per device, and the device runtime queries. All work of a device runs on
// its legacy default stream, in order.
#include <memory>
#include <mutex>
#include <vector>

#include "backend/backend.hpp"
#include "backend/device_runtime.hpp"
#include "device_allocator.hpp"
#include "pinned_allocator.hpp"

typedef struct cublasContext* cublasHandle_t;

namespace ignis::backend {

class CudaBackend final : public Backend, public DeviceRuntime {
 public:
  explicit CudaBackend(int device_count);

  DeviceType device_type() const override { return DeviceType::kCUDA; }
  Allocator& allocator(Device device) override;

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
  void random(RandomOp op, const RandomParams& params, PhiloxState state, const Tensor& out) override;
  void synchronize(Device device) override;
  DeviceRuntime* device_runtime() override { return this; }

  // DeviceRuntime
  int device_count() override { return device_count_; }
  cuda::DeviceProperties properties(int index) override;
  int current_device() override;
  void set_device(int index) override;
  void synchronize(int index) override;
  cuda::MemoryStats memory_stats(int index) override;
  void empty_cache() override;
  Allocator& pinned_allocator() override { return pinned_; }
  bool is_pinned(const void* ptr) override { return pinned_.is_pinned(ptr); }

  /// The cuBLAS handle of a device (created on first use).
  cublasHandle_t cublas(int device);
  /// A contiguous copy of a tensor of this backend (scratch, e.g. for GEMM operands).
  Tensor contiguous_copy(const Tensor& t);

 private:
  int resolve(int index);
  void copy_on_device(const Tensor& src, const Tensor& dst);

  int device_count_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<cuda_detail::DeviceAllocator>> allocators_;
  std::vector<cublasHandle_t> cublas_;
  cuda_detail::PinnedAllocator pinned_;
};

/// Makes a tensor's device current for the scope of one op.
class OpDevice {
 public:
  explicit OpDevice(const Tensor& t);
  explicit OpDevice(int index);
  ~OpDevice();
  OpDevice(const OpDevice&) = delete;
  OpDevice& operator=(const OpDevice&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace ignis::backend

// conv2d and its two gradients on CUDA through cuDNN's convolution API (forward, backward data,
// backward filter), NCHW, float32 and float64. The algorithm is cuDNN's heuristic first choice
// (cudnnGet*Algorithm_v7); its workspace comes from the device's caching allocator and is
// released to it after the call (all work runs on the device's legacy default stream, in order,
// so the block may be reused at once). float32 convolutions use FMA math (no TF32) unless
// IGNIS_ALLOW_TF32=1, as the GEMMs. Host-only (.cpp).
//
// The ops layer answers empty problems (backend.hpp), so every tensor here has elements.
//
// NOT YET RUN ON A GPU: this file compiles and links; scripts/gpu-check is what exercises it
// (tests/ops/conv_test.cpp, ConvDevice).
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "cudnn_library.hpp"
#include "ignis/core/error.hpp"
#include "ignis/tensor/layout.hpp"

namespace ignis::backend {

namespace {

using cuda_detail::cudnn;
using cuda_detail::CudnnApi;

constexpr int kMaxDevices = 64;

/// The cuDNN handle of a device (created on first use, on the device's default stream).
cudnnHandle_t handle_for(int device, const CudnnApi& api) {
  static std::mutex mutex;
  static cudnnHandle_t handles[kMaxDevices] = {};
  if (device < 0 || device >= kMaxDevices) {
    throw DeviceError(fmt::format("[conv2d] device index {} is out of range for cuDNN handles", device));
  }
  std::lock_guard lock(mutex);
  if (handles[device] == nullptr) IGNIS_CUDNN_CHECK(api.Create(&handles[device]));
  return handles[device];
}

int narrow(std::int64_t v) {
  if (v > std::numeric_limits<int>::max()) {
    throw ValueError(fmt::format("[conv2d] size {} exceeds what cuDNN's 4-D descriptors hold (int)", v));
  }
  return static_cast<int>(v);
}

cudnnDataType_t data_type(DType dtype) {
  if (dtype == DType::kFloat32) return CUDNN_DATA_FLOAT;
  if (dtype == DType::kFloat64) return CUDNN_DATA_DOUBLE;
  throw DTypeError("[conv2d] cuDNN convolutions take float32 or float64");
}

bool allow_tf32() {
  const char* v = std::getenv("IGNIS_ALLOW_TF32");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

/// The descriptors of one convolution: x (N, C, H, W), w (O, C/g, kH, kW), y (N, O, OH, OW).
class ConvSetup {
 public:
  ConvSetup(const CudnnApi& api, const Conv2dParams& p, const Tensor& x_like, const Tensor& w_like,
            const Tensor& y_like)
      : api_(api) {
    if (p.pad_begin[0] != p.pad_end[0] || p.pad_begin[1] != p.pad_end[1]) {
      throw BackendUnavailableError(fmt::format(
          "[conv2d] cuDNN pads both sides equally, but this convolution pads ({}, {}) before and ({}, {}) after "
          "(padding='same' with an even dilated kernel); use an odd kernel or explicit padding on CUDA, or run it "
          "on the CPU",
          p.pad_begin[0], p.pad_begin[1], p.pad_end[0], p.pad_end[1]));
    }
    const cudnnDataType_t dt = data_type(x_like.dtype());
    IGNIS_CUDNN_CHECK(api.CreateTensorDescriptor(&x));
    IGNIS_CUDNN_CHECK(api.SetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, dt, narrow(x_like.size(0)),
                                                narrow(x_like.size(1)), narrow(x_like.size(2)),
                                                narrow(x_like.size(3))));
    IGNIS_CUDNN_CHECK(api.CreateTensorDescriptor(&y));
    IGNIS_CUDNN_CHECK(api.SetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, dt, narrow(y_like.size(0)),
                                                narrow(y_like.size(1)), narrow(y_like.size(2)),
                                                narrow(y_like.size(3))));
    IGNIS_CUDNN_CHECK(api.CreateFilterDescriptor(&w));
    IGNIS_CUDNN_CHECK(api.SetFilter4dDescriptor(w, dt, CUDNN_TENSOR_NCHW, narrow(w_like.size(0)),
                                                narrow(w_like.size(1)), narrow(w_like.size(2)),
                                                narrow(w_like.size(3))));
    IGNIS_CUDNN_CHECK(api.CreateConvolutionDescriptor(&conv));
    IGNIS_CUDNN_CHECK(api.SetConvolution2dDescriptor(conv, narrow(p.pad_begin[0]), narrow(p.pad_begin[1]),
                                                     narrow(p.stride[0]), narrow(p.stride[1]),
                                                     narrow(p.dilation[0]), narrow(p.dilation[1]),
                                                     CUDNN_CROSS_CORRELATION, dt));
    IGNIS_CUDNN_CHECK(api.SetConvolutionGroupCount(conv, narrow(p.groups)));
    IGNIS_CUDNN_CHECK(api.SetConvolutionMathType(
        conv, dt == CUDNN_DATA_FLOAT && allow_tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
    double_ = dt == CUDNN_DATA_DOUBLE;
  }
  ~ConvSetup() {
    if (conv != nullptr) api_.DestroyConvolutionDescriptor(conv);
    if (w != nullptr) api_.DestroyFilterDescriptor(w);
    if (y != nullptr) api_.DestroyTensorDescriptor(y);
    if (x != nullptr) api_.DestroyTensorDescriptor(x);
  }
  ConvSetup(const ConvSetup&) = delete;
  ConvSetup& operator=(const ConvSetup&) = delete;

  /// alpha = 1 and beta = 0 in the data's precision, as cuDNN wants them.
  const void* one() const { return double_ ? static_cast<const void*>(&one_d_) : &one_f_; }
  const void* zero() const { return double_ ? static_cast<const void*>(&zero_d_) : &zero_f_; }

  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

 private:
  const CudnnApi& api_;
  bool double_ = false;
  float one_f_ = 1.0f, zero_f_ = 0.0f;
  double one_d_ = 1.0, zero_d_ = 0.0;
};

/// The first algorithm of cuDNN's heuristic list that it reports as usable.
template <class Perf>
auto first_usable(const Perf* results, int count, const char* pass) {
  for (int i = 0; i < count; ++i) {
    if (results[i].status == CUDNN_STATUS_SUCCESS) return results[i].algo;
  }
  throw BackendUnavailableError(fmt::format("[conv2d] cuDNN offers no {} algorithm for this convolution", pass));
}

constexpr int kAlgoCandidates = 8;

/// Scratch bytes from the device's caching allocator (an empty tensor for 0 bytes).
Tensor workspace(CudaBackend& cuda, std::size_t bytes, Device device) {
  if (bytes == 0) return Tensor();
  return new_contiguous(cuda, {static_cast<std::int64_t>(bytes)}, DType::kUInt8, device);
}

void* data_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

}  // namespace

void CudaBackend::conv2d(const Conv2dParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Tensor& out) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const ConvSetup s(api, params, x, weight, out);
  cudnnConvolutionFwdAlgoPerf_t perf[kAlgoCandidates];
  int found = 0;
  IGNIS_CUDNN_CHECK(api.GetConvolutionForwardAlgorithm_v7(h, s.x, s.w, s.conv, s.y, kAlgoCandidates, &found, perf));
  const cudnnConvolutionFwdAlgo_t algo = first_usable(perf, found, "forward");
  std::size_t bytes = 0;
  IGNIS_CUDNN_CHECK(api.GetConvolutionForwardWorkspaceSize(h, s.x, s.w, s.conv, s.y, algo, &bytes));
  const Tensor ws = workspace(*this, bytes, x.device());
  IGNIS_CUDNN_CHECK(api.ConvolutionForward(h, s.one(), s.x, x.data_ptr(), s.w, weight.data_ptr(), s.conv, algo,
                                           data_or_null(ws), bytes, s.zero(), s.y, out.data_ptr()));
  if (bias.defined()) {
    cudnnTensorDescriptor_t b = nullptr;
    IGNIS_CUDNN_CHECK(api.CreateTensorDescriptor(&b));
    const cudnnStatus_t set = api.SetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, data_type(bias.dtype()), 1,
                                                        narrow(bias.size(0)), 1, 1);
    const cudnnStatus_t add =
        set == CUDNN_STATUS_SUCCESS ? api.AddTensor(h, s.one(), b, bias.data_ptr(), s.one(), s.y, out.data_ptr()) : set;
    api.DestroyTensorDescriptor(b);
    IGNIS_CUDNN_CHECK(add);
  }
}

void CudaBackend::conv2d_backward_input(const Conv2dParams& params, const Tensor& grad_out, const Tensor& weight,
                                        const Tensor& grad_x) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(grad_x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const ConvSetup s(api, params, grad_x, weight, grad_out);
  cudnnConvolutionBwdDataAlgoPerf_t perf[kAlgoCandidates];
  int found = 0;
  IGNIS_CUDNN_CHECK(
      api.GetConvolutionBackwardDataAlgorithm_v7(h, s.w, s.y, s.conv, s.x, kAlgoCandidates, &found, perf));
  const cudnnConvolutionBwdDataAlgo_t algo = first_usable(perf, found, "backward-data");
  std::size_t bytes = 0;
  IGNIS_CUDNN_CHECK(api.GetConvolutionBackwardDataWorkspaceSize(h, s.w, s.y, s.conv, s.x, algo, &bytes));
  const Tensor ws = workspace(*this, bytes, grad_x.device());
  IGNIS_CUDNN_CHECK(api.ConvolutionBackwardData(h, s.one(), s.w, weight.data_ptr(), s.y, grad_out.data_ptr(),
                                                s.conv, algo, data_or_null(ws), bytes, s.zero(), s.x,
                                                grad_x.data_ptr()));
}

void CudaBackend::conv2d_backward_weight(const Conv2dParams& params, const Tensor& grad_out, const Tensor& x,
                                         const Tensor& grad_weight) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const ConvSetup s(api, params, x, grad_weight, grad_out);
  cudnnConvolutionBwdFilterAlgoPerf_t perf[kAlgoCandidates];
  int found = 0;
  IGNIS_CUDNN_CHECK(
      api.GetConvolutionBackwardFilterAlgorithm_v7(h, s.x, s.y, s.conv, s.w, kAlgoCandidates, &found, perf));
  const cudnnConvolutionBwdFilterAlgo_t algo = first_usable(perf, found, "backward-filter");
  std::size_t bytes = 0;
  IGNIS_CUDNN_CHECK(api.GetConvolutionBackwardFilterWorkspaceSize(h, s.x, s.y, s.conv, s.w, algo, &bytes));
  const Tensor ws = workspace(*this, bytes, x.device());
  IGNIS_CUDNN_CHECK(api.ConvolutionBackwardFilter(h, s.one(), s.x, x.data_ptr(), s.y, grad_out.data_ptr(), s.conv,
                                                  algo, data_or_null(ws), bytes, s.zero(), s.w,
                                                  grad_weight.data_ptr()));
}

}  // namespace ignis::backend

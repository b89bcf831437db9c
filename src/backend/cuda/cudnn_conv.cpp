// conv2d and its two gradients on CUDA through cuDNN's convolution API (forward, backward data,
// backward filter), NCHW, float32 and float64. Each pass is the same three steps (run_pass): the
// algorithm is cuDNN's heuristic first choice (cudnnGet*Algorithm_v7); its workspace comes from
// the device's caching allocator and is released to it after the call (all work runs on the
// device's legacy default stream, in order, so the block may be reused at once); then the call.
// float32 convolutions use FMA math (no TF32) unless IGNIS_ALLOW_TF32=1, as the GEMMs.
//
// cuDNN pads both ends of a dimension equally. Padding that differs (padding='same' with an even
// dilated kernel; Keras 'same' with strides) runs as cuDNN with the common part on an input padded
// explicitly by the rest: a zero-filled copy of the input (forward, backward filter) or of its
// gradient (backward data), i.e. one input's worth of extra device memory for that call.
//
// The ops layer answers empty problems (backend.hpp), so every tensor here has elements.
// Host-only (.cpp).
//
// NOT YET RUN ON A GPU: this file compiles and links; scripts/gpu-check is what exercises it
// (tests/ops/conv_test.cpp, ConvDevice).
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

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
constexpr int kAlgoCandidates = 8;

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

/// A convolution's padding split into what cuDNN does (the same at both ends) and what is left
/// for an explicit copy (the difference, at the end with more).
struct PaddingSplit {
  std::int64_t common[2] = {0, 0};
  std::int64_t extra_begin[2] = {0, 0};
  std::int64_t extra_end[2] = {0, 0};

  explicit PaddingSplit(const Conv2dParams& p) {
    for (int d = 0; d < 2; ++d) {
      common[d] = std::min(p.pad_begin[d], p.pad_end[d]);
      extra_begin[d] = p.pad_begin[d] - common[d];
      extra_end[d] = p.pad_end[d] - common[d];
    }
  }
  bool needs_copy() const { return extra_begin[0] + extra_end[0] + extra_begin[1] + extra_end[1] > 0; }
  /// An input shape grown by the explicit part.
  Shape padded(const Shape& x) const {
    return {x[0], x[1], x[2] + extra_begin[0] + extra_end[0], x[3] + extra_begin[1] + extra_end[1]};
  }
  /// The region of a padded tensor that holds the original input.
  Tensor interior(const Tensor& padded, const Shape& x) const {
    return layout::narrow(layout::narrow(padded, 2, extra_begin[0], x[2]), 3, extra_begin[1], x[3]);
  }
};

/// The descriptors of one convolution: x (N, C, H, W), w (O, C/g, kH, kW), y (N, O, OH, OW),
/// with the symmetric padding `pad` (x is already padded by the rest).
class ConvSetup {
 public:
  ConvSetup(const CudnnApi& api, const Conv2dParams& p, const PaddingSplit& pad, const Tensor& x_like,
            const Tensor& w_like, const Tensor& y_like)
      : api_(api) {
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
    IGNIS_CUDNN_CHECK(api.SetConvolution2dDescriptor(conv, narrow(pad.common[0]), narrow(pad.common[1]),
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

// The three passes, as run_pass sees them: cuDNN's algorithm query, its workspace query and the
// call, each from two inputs `a`, `b` to the output `out`.

/// y = conv(x, w): a = x, b = w, out = y.
struct Forward {
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  using Algo = cudnnConvolutionFwdAlgo_t;
  static constexpr const char* kName = "forward";
  static void find(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, int* found, Perf* perf) {
    IGNIS_CUDNN_CHECK(api.GetConvolutionForwardAlgorithm_v7(h, s.x, s.w, s.conv, s.y, kAlgoCandidates, found, perf));
  }
  static std::size_t workspace(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo) {
    std::size_t bytes = 0;
    IGNIS_CUDNN_CHECK(api.GetConvolutionForwardWorkspaceSize(h, s.x, s.w, s.conv, s.y, algo, &bytes));
    return bytes;
  }
  static void run(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo, void* ws, std::size_t bytes,
                  const void* a, const void* b, void* out) {
    IGNIS_CUDNN_CHECK(
        api.ConvolutionForward(h, s.one(), s.x, a, s.w, b, s.conv, algo, ws, bytes, s.zero(), s.y, out));
  }
};

/// dx = convᵀ(dy, w): a = w, b = dy, out = dx.
struct BackwardData {
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  static constexpr const char* kName = "backward-data";
  static void find(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, int* found, Perf* perf) {
    IGNIS_CUDNN_CHECK(
        api.GetConvolutionBackwardDataAlgorithm_v7(h, s.w, s.y, s.conv, s.x, kAlgoCandidates, found, perf));
  }
  static std::size_t workspace(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo) {
    std::size_t bytes = 0;
    IGNIS_CUDNN_CHECK(api.GetConvolutionBackwardDataWorkspaceSize(h, s.w, s.y, s.conv, s.x, algo, &bytes));
    return bytes;
  }
  static void run(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo, void* ws, std::size_t bytes,
                  const void* a, const void* b, void* out) {
    IGNIS_CUDNN_CHECK(
        api.ConvolutionBackwardData(h, s.one(), s.w, a, s.y, b, s.conv, algo, ws, bytes, s.zero(), s.x, out));
  }
};

/// dw = corr(x, dy): a = x, b = dy, out = dw.
struct BackwardFilter {
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  static constexpr const char* kName = "backward-filter";
  static void find(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, int* found, Perf* perf) {
    IGNIS_CUDNN_CHECK(
        api.GetConvolutionBackwardFilterAlgorithm_v7(h, s.x, s.y, s.conv, s.w, kAlgoCandidates, found, perf));
  }
  static std::size_t workspace(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo) {
    std::size_t bytes = 0;
    IGNIS_CUDNN_CHECK(api.GetConvolutionBackwardFilterWorkspaceSize(h, s.x, s.y, s.conv, s.w, algo, &bytes));
    return bytes;
  }
  static void run(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Algo algo, void* ws, std::size_t bytes,
                  const void* a, const void* b, void* out) {
    IGNIS_CUDNN_CHECK(
        api.ConvolutionBackwardFilter(h, s.one(), s.x, a, s.y, b, s.conv, algo, ws, bytes, s.zero(), s.w, out));
  }
};

/// One pass: cuDNN's first usable heuristic algorithm, its workspace from the caching allocator
/// (released when this returns), the call. The caller has made the tensors' device current.
template <class Pass>
void run_pass(CudaBackend& cuda, const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, Device device,
              const void* a, const void* b, void* out) {
  typename Pass::Perf perf[kAlgoCandidates];
  int found = 0;
  Pass::find(api, h, s, &found, perf);
  const typename Pass::Algo* algo = nullptr;
  for (int i = 0; i < found && algo == nullptr; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS) algo = &perf[i].algo;
  }
  if (algo == nullptr) {
    throw BackendUnavailableError(
        fmt::format("[conv2d] cuDNN offers no {} algorithm for this convolution; run it on the CPU", Pass::kName));
  }
  const std::size_t bytes = Pass::workspace(api, h, s, *algo);
  const Tensor ws = bytes == 0 ? Tensor()
                               : new_contiguous(cuda, {static_cast<std::int64_t>(bytes)}, DType::kUInt8, device);
  Pass::run(api, h, s, *algo, ws.defined() ? ws.data_ptr() : nullptr, bytes, a, b, out);
}

/// x, zero-padded by the part of the padding cuDNN cannot do (x itself when there is none).
Tensor explicitly_padded(CudaBackend& cuda, const Tensor& x, const PaddingSplit& pad) {
  if (!pad.needs_copy()) return x;
  const Tensor padded = new_contiguous(cuda, pad.padded(x.shape()), x.dtype(), x.device());
  cuda.fill(padded, 0);
  cuda.copy(x, pad.interior(padded, x.shape()));
  return padded;
}

/// out += bias per channel.
void add_bias(const CudnnApi& api, cudnnHandle_t h, const ConvSetup& s, const Tensor& bias, const Tensor& out) {
  cudnnTensorDescriptor_t b = nullptr;
  IGNIS_CUDNN_CHECK(api.CreateTensorDescriptor(&b));
  const cudnnStatus_t set =
      api.SetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, data_type(bias.dtype()), 1, narrow(bias.size(0)), 1, 1);
  const cudnnStatus_t add =
      set == CUDNN_STATUS_SUCCESS ? api.AddTensor(h, s.one(), b, bias.data_ptr(), s.one(), s.y, out.data_ptr()) : set;
  api.DestroyTensorDescriptor(b);
  IGNIS_CUDNN_CHECK(add);
}

}  // namespace

void CudaBackend::conv2d(const Conv2dParams& params, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Tensor& out) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const PaddingSplit pad(params);
  const Tensor xp = explicitly_padded(*this, x, pad);
  const ConvSetup s(api, params, pad, xp, weight, out);
  run_pass<Forward>(*this, api, h, s, x.device(), xp.data_ptr(), weight.data_ptr(), out.data_ptr());
  if (bias.defined()) add_bias(api, h, s, bias, out);
}

void CudaBackend::conv2d_backward_input(const Conv2dParams& params, const Tensor& grad_out, const Tensor& weight,
                                        const Tensor& grad_x) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(grad_x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const PaddingSplit pad(params);
  // With explicit padding, the gradient of the padded input; its interior is grad_x.
  const Tensor gxp = pad.needs_copy()
                         ? new_contiguous(*this, pad.padded(grad_x.shape()), grad_x.dtype(), grad_x.device())
                         : grad_x;
  const ConvSetup s(api, params, pad, gxp, weight, grad_out);
  run_pass<BackwardData>(*this, api, h, s, grad_x.device(), weight.data_ptr(), grad_out.data_ptr(), gxp.data_ptr());
  if (pad.needs_copy()) copy(pad.interior(gxp, grad_x.shape()), grad_x);
}

void CudaBackend::conv2d_backward_weight(const Conv2dParams& params, const Tensor& grad_out, const Tensor& x,
                                         const Tensor& grad_weight) {
  const CudnnApi& api = cudnn("conv2d");
  OpDevice device(x);
  cudnnHandle_t h = handle_for(current_device(), api);
  const PaddingSplit pad(params);
  const Tensor xp = explicitly_padded(*this, x, pad);
  const ConvSetup s(api, params, pad, xp, grad_weight, grad_out);
  run_pass<BackwardFilter>(*this, api, h, s, x.device(), xp.data_ptr(), grad_out.data_ptr(), grad_weight.data_ptr());
}

}  // namespace ignis::backend

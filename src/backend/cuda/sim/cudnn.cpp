// cuDNN for the simulated device: the legacy convolution API that cudnn_conv.cpp calls, exported
// by the simulator's plugin itself (the tests point IGNIS_CUDNN_LIBRARY at it, so the plugin's own
// dlopen/dlsym path is the one exercised). Descriptors are checked as cuDNN documents them
// (positive sizes, NCHW, x.C = w.C × groups, w.K a multiple of groups, y's shape equal to the
// convolution's output shape, matching data types, a workspace at least as large as asked for,
// every tensor inside one device allocation); the arithmetic is the test suite's double-precision
// reference (tests/support/conv_reference), which shares no code with ignis's kernels.
#include <cudnn.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "device_memory.hpp"
#include "support/conv_reference.hpp"

struct cudnnContext {
  int unused = 0;
};
struct cudnnTensorStruct {
  bool set = false;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  int n = 0, c = 0, h = 0, w = 0;
};
struct cudnnFilterStruct {
  bool set = false;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnConvolutionStruct {
  bool set = false;
  int pad[2] = {0, 0}, stride[2] = {1, 1}, dilation[2] = {1, 1};
  int groups = 1;
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
};

namespace {

using ignis::cuda_sim::DeviceMemory;

/// The workspace every algorithm asks for: small, but non-zero so that passing it is exercised.
constexpr std::size_t kWorkspaceBytes = 1024;

cudnnStatus_t bad(const char* why) {
  std::fprintf(stderr, "ignis CUDA simulator: cuDNN refuses the call: %s\n", why);
  return CUDNN_STATUS_BAD_PARAM;
}

std::size_t item_size(cudnnDataType_t t) { return t == CUDNN_DATA_DOUBLE ? 8 : 4; }
std::int64_t numel(const cudnnTensorStruct& d) { return std::int64_t{d.n} * d.c * d.h * d.w; }
std::int64_t numel(const cudnnFilterStruct& d) { return std::int64_t{d.k} * d.c * d.h * d.w; }

ignis::Shape shape_of(const cudnnTensorStruct& d) { return {d.n, d.c, d.h, d.w}; }
ignis::Shape shape_of(const cudnnFilterStruct& d) { return {d.k, d.c, d.h, d.w}; }

/// The output size of one dimension (cuDNN's formula, cudnnGetConvolution2dForwardOutputDim).
int out_dim(int in, int pad, int k, int stride, int dilation) {
  return (in + 2 * pad - ((k - 1) * dilation + 1)) / stride + 1;
}

/// The checks every call with x, w, y makes; null if the three agree with the convolution.
const char* mismatch(const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                     const cudnnConvolutionStruct* conv, const cudnnTensorStruct* y) {
  if (x == nullptr || w == nullptr || conv == nullptr || y == nullptr)
    return "a descriptor is null";
  if (!x->set || !w->set || !conv->set || !y->set) return "a descriptor was created but never set";
  if (x->type != w->type || x->type != y->type) return "x, w and y have different data types";
  if (x->c != w->c * conv->groups)
    return "x's channels are not w's input channels times the group count";
  if (w->k % conv->groups != 0) return "w's output channels are not a multiple of the group count";
  if (y->n != x->n || y->c != w->k) return "y's batch or channels do not match x and w";
  if (y->h != out_dim(x->h, conv->pad[0], w->h, conv->stride[0], conv->dilation[0]) ||
      y->w != out_dim(x->w, conv->pad[1], w->w, conv->stride[1], conv->dilation[1])) {
    return "y's height or width is not the convolution's output size";
  }
  return nullptr;
}

bool on_device(const void* p, std::int64_t elements, cudnnDataType_t t) {
  return p != nullptr &&
         DeviceMemory::instance().find(p, static_cast<std::size_t>(elements) * item_size(t));
}

std::vector<double> read(const void* device, std::int64_t n, cudnnDataType_t t) {
  std::vector<double> v(static_cast<std::size_t>(n));
  const char* src = DeviceMemory::instance().host_view(device);
  for (std::int64_t i = 0; i < n; ++i) {
    if (t == CUDNN_DATA_DOUBLE) {
      double d;
      std::memcpy(&d, src + 8 * i, 8);
      v[static_cast<std::size_t>(i)] = d;
    } else {
      float f;
      std::memcpy(&f, src + 4 * i, 4);
      v[static_cast<std::size_t>(i)] = f;
    }
  }
  return v;
}

double scalar(const void* p, cudnnDataType_t t) {
  return t == CUDNN_DATA_DOUBLE ? *static_cast<const double*>(p) : *static_cast<const float*>(p);
}

/// out = alpha * result + beta * out (beta = 0: out is not read, as cuDNN documents).
void blend(void* device, const std::vector<double>& result, const void* alpha, const void* beta,
           cudnnDataType_t t) {
  char* dst = DeviceMemory::instance().host_view(device);
  const double a = scalar(alpha, t), b = scalar(beta, t);
  for (std::size_t i = 0; i < result.size(); ++i) {
    if (t == CUDNN_DATA_DOUBLE) {
      double old = 0;
      if (b != 0) std::memcpy(&old, dst + 8 * i, 8);
      const double v = a * result[i] + (b != 0 ? b * old : 0.0);
      std::memcpy(dst + 8 * i, &v, 8);
    } else {
      float old = 0;
      if (b != 0) std::memcpy(&old, dst + 4 * i, 4);
      const float v = static_cast<float>(a * result[i] + (b != 0 ? b * old : 0.0));
      std::memcpy(dst + 4 * i, &v, 4);
    }
  }
}

ignis::testing::ConvRefParams params_of(const cudnnConvolutionStruct& c) {
  ignis::testing::ConvRefParams p;
  for (int d = 0; d < 2; ++d) {
    p.stride[d] = c.stride[d];
    p.pad_begin[d] = p.pad_end[d] = c.pad[d];
    p.dilation[d] = c.dilation[d];
  }
  p.groups = c.groups;
  return p;
}

/// Host alpha/beta and a workspace of at least kWorkspaceBytes inside a device allocation; the
/// workspace is then scribbled on, so a caller that aliases it with a tensor sees wrong results.
const char* check_call(const void* alpha, const void* beta, void* workspace, std::size_t bytes) {
  DeviceMemory& m = DeviceMemory::instance();
  if (alpha == nullptr || beta == nullptr || m.in_device_range(alpha) || m.in_device_range(beta)) {
    return "alpha and beta must be host pointers";
  }
  if (bytes < kWorkspaceBytes) return "the workspace is smaller than cudnnGet*WorkspaceSize said";
  if (workspace == nullptr || !m.find(workspace, bytes))
    return "the workspace is not inside one device allocation";
  std::memset(m.host_view(workspace), 0xa5, bytes);
  return nullptr;
}

template <class Perf, class Algo>
cudnnStatus_t one_algorithm(int requested, int* returned, Perf* perf, Algo algo) {
  if (requested < 1 || returned == nullptr || perf == nullptr)
    return bad("requestedAlgoCount < 1 or a null output");
  std::memset(perf, 0, sizeof *perf);
  perf->algo = algo;
  perf->status = CUDNN_STATUS_SUCCESS;
  perf->memory = kWorkspaceBytes;
  perf->determinism = CUDNN_DETERMINISTIC;
  perf->mathType = CUDNN_FMA_MATH;
  *returned = 1;
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS:
      return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_BAD_PARAM:
      return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "CUDNN_STATUS_EXECUTION_FAILED";
    default:
      return "CUDNN_STATUS_INTERNAL_ERROR";
  }
}

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
  if (handle == nullptr) return bad("null handle pointer");
  *handle = new cudnnContext;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) {
  if (d == nullptr) return bad("null descriptor pointer");
  *d = new cudnnTensorStruct;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w) {
  if (d == nullptr) return bad("null tensor descriptor");
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return bad("a tensor dimension is not positive");
  if (format != CUDNN_TENSOR_NCHW || (type != CUDNN_DATA_FLOAT && type != CUDNN_DATA_DOUBLE)) {
    return CUDNN_STATUS_NOT_SUPPORTED;  // the simulator knows what ignis uses: NCHW float/double
  }
  *d = cudnnTensorStruct{true, type, n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) {
  if (d == nullptr) return bad("null descriptor pointer");
  *d = new cudnnFilterStruct;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h, int w) {
  if (d == nullptr) return bad("null filter descriptor");
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return bad("a filter dimension is not positive");
  if (format != CUDNN_TENSOR_NCHW || (type != CUDNN_DATA_FLOAT && type != CUDNN_DATA_DOUBLE)) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  *d = cudnnFilterStruct{true, type, k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  if (d == nullptr) return bad("null descriptor pointer");
  *d = new cudnnConvolutionStruct;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w,
                                              int u, int v, int dilation_h, int dilation_w,
                                              cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute) {
  if (d == nullptr) return bad("null convolution descriptor");
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0) {
    return bad("negative padding, or a stride or dilation that is not positive");
  }
  if (mode != CUDNN_CROSS_CORRELATION) return CUDNN_STATUS_NOT_SUPPORTED;
  d->set = true;
  d->pad[0] = pad_h;
  d->pad[1] = pad_w;
  d->stride[0] = u;
  d->stride[1] = v;
  d->dilation[0] = dilation_h;
  d->dilation[1] = dilation_w;
  d->compute = compute;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups) {
  if (d == nullptr || groups < 1) return bad("null descriptor or a group count below 1");
  d->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t math) {
  if (d == nullptr) return bad("null convolution descriptor");
  if (math != CUDNN_DEFAULT_MATH && math != CUDNN_TENSOR_OP_MATH &&
      math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION && math != CUDNN_FMA_MATH) {
    return bad("not a cudnnMathType_t");
  }
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t h, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y, const int requested,
    int* returned, cudnnConvolutionFwdAlgoPerf_t* perf) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(x, w, conv, y)) return bad(why);
  return one_algorithm(requested, returned, perf, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t h,
                                                      const cudnnTensorDescriptor_t x,
                                                      const cudnnFilterDescriptor_t w,
                                                      const cudnnConvolutionDescriptor_t conv,
                                                      const cudnnTensorDescriptor_t y,
                                                      cudnnConvolutionFwdAlgo_t, size_t* bytes) {
  if (h == nullptr || bytes == nullptr) return bad("null handle or size pointer");
  if (const char* why = mismatch(x, w, conv, y)) return bad(why);
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void* alpha,
                                      const cudnnTensorDescriptor_t xd, const void* x,
                                      const cudnnFilterDescriptor_t wd, const void* w,
                                      const cudnnConvolutionDescriptor_t conv,
                                      cudnnConvolutionFwdAlgo_t, void* workspace, size_t bytes,
                                      const void* beta, const cudnnTensorDescriptor_t yd, void* y) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(xd, wd, conv, yd)) return bad(why);
  if (const char* why = check_call(alpha, beta, workspace, bytes)) return bad(why);
  const cudnnDataType_t t = xd->type;
  if (!on_device(x, numel(*xd), t) || !on_device(w, numel(*wd), t) ||
      !on_device(y, numel(*yd), t)) {
    return bad("x, w or y is not inside one device allocation");
  }
  const auto r =
      ignis::testing::conv2d_reference(shape_of(*xd), read(x, numel(*xd), t), shape_of(*wd),
                                       read(w, numel(*wd), t), {}, params_of(*conv));
  blend(y, r.values, alpha, beta, t);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t h, const cudnnFilterDescriptor_t w, const cudnnTensorDescriptor_t dy,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t dx, const int requested,
    int* returned, cudnnConvolutionBwdDataAlgoPerf_t* perf) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(dx, w, conv, dy)) return bad(why);
  return one_algorithm(requested, returned, perf, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(
    cudnnHandle_t h, const cudnnFilterDescriptor_t w, const cudnnTensorDescriptor_t dy,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t dx,
    cudnnConvolutionBwdDataAlgo_t, size_t* bytes) {
  if (h == nullptr || bytes == nullptr) return bad("null handle or size pointer");
  if (const char* why = mismatch(dx, w, conv, dy)) return bad(why);
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void* alpha,
                                           const cudnnFilterDescriptor_t wd, const void* w,
                                           const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const cudnnConvolutionDescriptor_t conv,
                                           cudnnConvolutionBwdDataAlgo_t, void* workspace,
                                           size_t bytes, const void* beta,
                                           const cudnnTensorDescriptor_t dxd, void* dx) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(dxd, wd, conv, dyd)) return bad(why);
  if (const char* why = check_call(alpha, beta, workspace, bytes)) return bad(why);
  const cudnnDataType_t t = dxd->type;
  if (!on_device(w, numel(*wd), t) || !on_device(dy, numel(*dyd), t) ||
      !on_device(dx, numel(*dxd), t)) {
    return bad("w, dy or dx is not inside one device allocation");
  }
  const auto r = ignis::testing::conv2d_grad_input_reference(
      shape_of(*dxd), shape_of(*wd), read(w, numel(*wd), t), shape_of(*dyd),
      read(dy, numel(*dyd), t), params_of(*conv));
  blend(dx, r, alpha, beta, t);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t h, const cudnnTensorDescriptor_t x, const cudnnTensorDescriptor_t dy,
    const cudnnConvolutionDescriptor_t conv, const cudnnFilterDescriptor_t dw, const int requested,
    int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(x, dw, conv, dy)) return bad(why);
  return one_algorithm(requested, returned, perf, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(
    cudnnHandle_t h, const cudnnTensorDescriptor_t x, const cudnnTensorDescriptor_t dy,
    const cudnnConvolutionDescriptor_t conv, const cudnnFilterDescriptor_t dw,
    cudnnConvolutionBwdFilterAlgo_t, size_t* bytes) {
  if (h == nullptr || bytes == nullptr) return bad("null handle or size pointer");
  if (const char* why = mismatch(x, dw, conv, dy)) return bad(why);
  *bytes = kWorkspaceBytes;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void* alpha,
                                             const cudnnTensorDescriptor_t xd, const void* x,
                                             const cudnnTensorDescriptor_t dyd, const void* dy,
                                             const cudnnConvolutionDescriptor_t conv,
                                             cudnnConvolutionBwdFilterAlgo_t, void* workspace,
                                             size_t bytes, const void* beta,
                                             const cudnnFilterDescriptor_t dwd, void* dw) {
  if (h == nullptr) return bad("null handle");
  if (const char* why = mismatch(xd, dwd, conv, dyd)) return bad(why);
  if (const char* why = check_call(alpha, beta, workspace, bytes)) return bad(why);
  const cudnnDataType_t t = xd->type;
  if (!on_device(x, numel(*xd), t) || !on_device(dy, numel(*dyd), t) ||
      !on_device(dw, numel(*dwd), t)) {
    return bad("x, dy or dw is not inside one device allocation");
  }
  const auto r = ignis::testing::conv2d_grad_weight_reference(
      shape_of(*xd), read(x, numel(*xd), t), shape_of(*dwd), shape_of(*dyd),
      read(dy, numel(*dyd), t), params_of(*conv));
  blend(dw, r, alpha, beta, t);
  return CUDNN_STATUS_SUCCESS;
}

/// C = alpha A + beta C, A broadcast over C where its dimension is 1 (cuDNN's rule for
/// cudnnAddTensor).
cudnnStatus_t cudnnAddTensor(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t ad,
                             const void* a, const void* beta, const cudnnTensorDescriptor_t cd,
                             void* c) {
  if (h == nullptr || ad == nullptr || cd == nullptr || !ad->set || !cd->set)
    return bad("null or unset descriptor");
  if (ad->type != cd->type) return bad("A and C have different data types");
  const int as[4] = {ad->n, ad->c, ad->h, ad->w}, cs[4] = {cd->n, cd->c, cd->h, cd->w};
  for (int k = 0; k < 4; ++k) {
    if (as[k] != cs[k] && as[k] != 1) return bad("A's dimensions must equal C's or be 1");
  }
  const cudnnDataType_t t = cd->type;
  if (!on_device(a, numel(*ad), t) || !on_device(c, numel(*cd), t)) {
    return bad("A or C is not inside one device allocation");
  }
  const std::vector<double> av = read(a, numel(*ad), t);
  std::vector<double> sum(static_cast<std::size_t>(numel(*cd)));
  for (int n = 0; n < cs[0]; ++n)
    for (int ch = 0; ch < cs[1]; ++ch)
      for (int y = 0; y < cs[2]; ++y)
        for (int x = 0; x < cs[3]; ++x) {
          const std::int64_t ai =
              ((std::int64_t{as[0] == 1 ? 0 : n} * as[1] + (as[1] == 1 ? 0 : ch)) * as[2] +
               (as[2] == 1 ? 0 : y)) *
                  as[3] +
              (as[3] == 1 ? 0 : x);
          const std::int64_t ci = ((std::int64_t{n} * cs[1] + ch) * cs[2] + y) * cs[3] + x;
          sum[static_cast<std::size_t>(ci)] = av[static_cast<std::size_t>(ai)];
        }
  blend(c, sum, alpha, beta, t);
  return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"

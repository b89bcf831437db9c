#pragma once
// cuDNN, loaded when the plugin loads (dlopen of libcudnn.so.9, or $IGNIS_CUDNN_LIBRARY; see
// cudnn_probe.hpp), not linked: the plugin must keep loading on machines without cuDNN, where
// only convolutions are unavailable. The function pointers take their types from cudnn.h
// (decltype), so they cannot drift from the header. Host-only (.cpp).
#include <cudnn.h>

#include <string>

namespace ignis::backend::cuda_detail {

/// The cuDNN entry points ignis uses.
struct CudnnApi {
  decltype(&cudnnGetVersion) GetVersion;
  decltype(&cudnnGetErrorString) GetErrorString;
  decltype(&cudnnCreate) Create;
  decltype(&cudnnCreateTensorDescriptor) CreateTensorDescriptor;
  decltype(&cudnnSetTensor4dDescriptor) SetTensor4dDescriptor;
  decltype(&cudnnDestroyTensorDescriptor) DestroyTensorDescriptor;
  decltype(&cudnnCreateFilterDescriptor) CreateFilterDescriptor;
  decltype(&cudnnSetFilter4dDescriptor) SetFilter4dDescriptor;
  decltype(&cudnnDestroyFilterDescriptor) DestroyFilterDescriptor;
  decltype(&cudnnCreateConvolutionDescriptor) CreateConvolutionDescriptor;
  decltype(&cudnnSetConvolution2dDescriptor) SetConvolution2dDescriptor;
  decltype(&cudnnSetConvolutionGroupCount) SetConvolutionGroupCount;
  decltype(&cudnnSetConvolutionMathType) SetConvolutionMathType;
  decltype(&cudnnDestroyConvolutionDescriptor) DestroyConvolutionDescriptor;
  decltype(&cudnnGetConvolutionForwardAlgorithm_v7) GetConvolutionForwardAlgorithm_v7;
  decltype(&cudnnGetConvolutionForwardWorkspaceSize) GetConvolutionForwardWorkspaceSize;
  decltype(&cudnnConvolutionForward) ConvolutionForward;
  decltype(&cudnnGetConvolutionBackwardDataAlgorithm_v7) GetConvolutionBackwardDataAlgorithm_v7;
  decltype(&cudnnGetConvolutionBackwardDataWorkspaceSize) GetConvolutionBackwardDataWorkspaceSize;
  decltype(&cudnnConvolutionBackwardData) ConvolutionBackwardData;
  decltype(&cudnnGetConvolutionBackwardFilterAlgorithm_v7) GetConvolutionBackwardFilterAlgorithm_v7;
  decltype(&cudnnGetConvolutionBackwardFilterWorkspaceSize) GetConvolutionBackwardFilterWorkspaceSize;
  decltype(&cudnnConvolutionBackwardFilter) ConvolutionBackwardFilter;
  decltype(&cudnnAddTensor) AddTensor;
};

/// cuDNN's entry points (the library of cudnn_probe()). Throws BackendUnavailableError naming
/// `op` with the probe's message (dlopen's text, a version below 9 or the missing symbols, and
/// what to do) when it is not usable.
const CudnnApi& cudnn(const char* op);

/// Throws CudaError naming the call and cuDNN's text for a failed status.
void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line);

}  // namespace ignis::backend::cuda_detail

#define IGNIS_CUDNN_CHECK(call) ::ignis::backend::cuda_detail::check_cudnn((call), #call, __FILE__, __LINE__)

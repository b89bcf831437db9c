#pragma once
// Facts about this machine and this build, for `ignis info` and the doctor.
#include <string>
#include <vector>

namespace ignis::diag {

struct CpuInfo {
  std::string model;                  // /proc/cpuinfo "model name"
  int logical_cores = 0;              // processors online
  std::vector<std::string> features;  // the SIMD features that matter here (avx2, fma, avx512f, ...)
};

/// Reads /proc/cpuinfo; fields stay empty where it cannot be read.
CpuInfo cpu_info();

/// oneDNN's version as loaded at run time and the instruction set its kernels dispatch to.
struct OneDnnInfo {
  std::string version;
  std::string isa;
};
OneDnnInfo onednn_info();

/// Whether the CUDA backend can be used, and why not (loads the plugin on first call).
struct CudaBackendStatus {
  bool built = false;      // this build has the CUDA plugin
  bool available = false;  // the plugin loaded and gave a backend
  std::string plugin_path;
  std::string reason;      // empty when available
  std::string reason_kind; // cuda::name(cuda::unavailable_reason().kind): "no_driver", ...
};
CudaBackendStatus cuda_backend_status();

}  // namespace ignis::diag

// Entry points of the CUDA backend plugin (see backend/cuda_plugin.hpp for the contract).
// The device kernels arrive with the CUDA backend issue; until then the plugin loads, proves
// that this build's CUDA toolchain and runtime link, and declines with a clear reason.
#include <cuda_runtime_api.h>

#include <cstdio>

#include "backend/backend.hpp"
#include "kernels/binary_functors.hpp"
#include "kernels/unary_functors.hpp"

extern "C" int ignis_cuda_plugin_abi_version() { return ignis::backend::kPluginAbiVersion; }

extern "C" ignis::backend::Backend* ignis_cuda_plugin_create(char* error, unsigned long error_size) {
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = CUDART_VERSION;  // the version built against
  std::snprintf(error, error_size,
                "the CUDA backend is not built yet: this plugin (CUDA runtime %d.%d) carries no "
                "kernels; ignis runs on the CPU",
                runtime / 1000, (runtime % 1000) / 10);
  return nullptr;
}

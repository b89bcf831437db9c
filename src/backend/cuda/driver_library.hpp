#pragma once
// Whether the NVIDIA driver's library can be loaded: without it the CUDA runtime reports only a
// generic error, so the plugin checks first and says what to do. (The simulated device's build
// replaces driver_library.cpp: it has no driver.)
#include <string>

namespace ignis::backend::cuda_detail {

/// True if libcuda.so.1 loads; otherwise false with dlerror's text in *why.
bool driver_library_loads(std::string* why);

}  // namespace ignis::backend::cuda_detail

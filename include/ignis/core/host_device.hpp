#pragma once
// IGNIS_HOST_DEVICE marks functions compiled for both the CPU and the GPU. Shared math
// (src/kernels/) uses it so that one definition serves both backends.
#if defined(__CUDACC__)
#define IGNIS_HOST_DEVICE __host__ __device__
#else
#define IGNIS_HOST_DEVICE
#endif

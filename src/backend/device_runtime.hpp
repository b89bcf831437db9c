#pragma once
// What the CUDA plugin offers beyond the Backend interface: device queries and memory control.
// libignis reaches it through Backend::device_runtime() (no RTTI across the dlopen boundary).
#include <cstddef>

#include "ignis/backend/cuda.hpp"
#include "ignis/tensor/allocator.hpp"

namespace ignis::backend {

class DeviceRuntime {
 public:
  virtual ~DeviceRuntime() = default;
  virtual int device_count() = 0;
  virtual cuda::DeviceProperties properties(int index) = 0;
  virtual int current_device() = 0;
  virtual void set_device(int index) = 0;
  virtual void synchronize(int index) = 0;
  virtual cuda::MemoryStats memory_stats(int index) = 0;
  /// Releases cached device memory and cached pinned host memory.
  virtual void empty_cache() = 0;
  /// Page-locked host memory (CPU tensors that copy to and from the GPU by DMA).
  virtual Allocator& pinned_allocator() = 0;
  virtual bool is_pinned(const void* ptr) = 0;
};

}  // namespace ignis::backend

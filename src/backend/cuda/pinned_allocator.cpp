#include "pinned_allocator.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include "cuda_check.hpp"
#include "ignis/core/error.hpp"

namespace ignis::backend::cuda_detail {

namespace {

/// Blocks are rounded to 4 KiB (a page) and a cached block serves a request at most 25% smaller.
constexpr std::size_t kPage = 4096;
std::size_t round_up(std::size_t n) { return (n + kPage - 1) / kPage * kPage; }

}  // namespace

PinnedAllocator::~PinnedAllocator() {
  // Blocks still live belong to tensors that outlive the backend (process exit): leave them.
  std::lock_guard lock(mutex_);
  release_cached();
}

DataPtr PinnedAllocator::allocate(std::size_t nbytes) {
  if (nbytes == 0) return DataPtr(nullptr, Device::cpu(), nullptr);
  const std::size_t size = round_up(nbytes);
  std::lock_guard lock(mutex_);
  void* ptr = nullptr;
  std::size_t got = size;
  if (auto it = cached_.lower_bound(size); it != cached_.end() && it->first - size <= size / 4) {
    got = it->first;
    ptr = it->second;
    cached_.erase(it);
  } else {
    cudaError_t status = cudaHostAlloc(&ptr, size, cudaHostAllocPortable);
    if (status == cudaErrorMemoryAllocation && release_cached() > 0) {
      cudaGetLastError();
      status = cudaHostAlloc(&ptr, size, cudaHostAllocPortable);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw OutOfMemoryError(fmt::format(
          "[pin_memory] could not pin {} bytes of host memory (cudaHostAlloc: {}). Pinned memory cannot be "
          "swapped out; pin smaller batches, or copy from ordinary memory (DataLoader pin_memory = false)",
          size, cudaGetErrorString(status)));
    }
    check(status, "cudaHostAlloc", __FILE__, __LINE__);
  }
  live_.emplace(ptr, got);
  return DataPtr(ptr, Device::cpu(), &PinnedAllocator::release, this);
}

void PinnedAllocator::release(void* ptr, void* context) { static_cast<PinnedAllocator*>(context)->free_block(ptr); }

void PinnedAllocator::free_block(void* ptr) {
  std::lock_guard lock(mutex_);
  const auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: nothing to do (cannot happen through DataPtr)
  cached_.emplace(it->second, ptr);
  live_.erase(it);
}

bool PinnedAllocator::is_pinned(const void* ptr) {
  if (ptr == nullptr) return false;
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

void PinnedAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  release_cached();
}

std::size_t PinnedAllocator::release_cached() {
  std::size_t released = 0;
  for (const auto& [size, ptr] : cached_) {
    cudaFreeHost(ptr);  // errors at teardown are not actionable
    released += size;
  }
  cached_.clear();
  return released;
}

}  // namespace ignis::backend::cuda_detail

#include "device_allocator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "cuda_check.hpp"
#include "ignis/core/error.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::backend::cuda_detail {

namespace {
constexpr std::size_t kRound = 512;
constexpr std::size_t kSmallRequest = std::size_t{1} << 20;   // ≤ 1 MiB: the small pool
constexpr std::size_t kSmallSegment = std::size_t{2} << 20;   // its segments
constexpr std::size_t kSegmentRound = std::size_t{2} << 20;   // large segments: 2 MiB multiples
constexpr std::size_t kMinLargeSplit = std::size_t{1} << 20;  // split large blocks leaving ≥ 1 MiB

bool caching_from_environment() {
  const char* v = std::getenv("IGNIS_CUDA_NO_CACHING");
  return v == nullptr || v[0] != '1';
}

}  // namespace

DeviceAllocator::DeviceAllocator(int device) : device_(device), caching_(caching_from_environment()) {
  stats_.caching = caching_;
}

DataPtr DeviceAllocator::allocate(std::size_t nbytes) {
  if (nbytes == 0) return DataPtr(nullptr, Device::cuda(device_), nullptr);
  const MemoryCategory category = current_memory_category();
  std::lock_guard lock(mutex_);
  Block* block = caching_ ? take_cached(nbytes) : take_uncached(nbytes);
  block->allocated = true;
  block->category = category;
  live_[block->ptr] = block;
  stats_.allocated_bytes += block->size;
  stats_.category_bytes[static_cast<std::size_t>(category)] += block->size;
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  ++stats_.allocations;
  return DataPtr(block->ptr, Device::cuda(device_), &DeviceAllocator::release, this, this);
}

DeviceAllocator::Block* DeviceAllocator::take_uncached(std::size_t nbytes) {
  Block* block = new_segment_within_budget(nbytes, false);  // nothing cached to release and retry
  if (block == nullptr) out_of_memory(nbytes);
  return block;
}

DeviceAllocator::Block* DeviceAllocator::take_cached(std::size_t nbytes) {
  const std::size_t size = (nbytes + kRound - 1) / kRound * kRound;
  const bool small_pool = size <= kSmallRequest;
  Pool& pool = small_pool ? small_ : large_;
  Block* block = find_free(pool, size);
  if (block == nullptr) {
    const std::size_t segment = small_pool ? kSmallSegment : (size + kSegmentRound - 1) / kSegmentRound * kSegmentRound;
    block = new_segment_within_budget(segment, small_pool);
    if (block == nullptr) {
      release_free_segments();
      block = new_segment_within_budget(segment, small_pool);
    }
    if (block == nullptr) out_of_memory(nbytes);
  } else {
    pool.erase(block);
  }
  // Split off the rest when it is worth keeping as a block of its own.
  const std::size_t rest = block->size - size;
  if (rest >= (small_pool ? kRound : kMinLargeSplit)) {
    auto* tail = new Block{static_cast<char*>(block->ptr) + size, rest, false, small_pool, block, block->next};
    if (block->next) block->next->prev = tail;
    block->next = tail;
    block->size = size;
    pool.insert(tail);
  }
  return block;
}

MemoryCategory DeviceAllocator::category_of(const DataPtr& ptr) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(ptr.get());
  return it == live_.end() ? MemoryCategory::kWorkspace : it->second->category;
}

void DeviceAllocator::set_category(DataPtr& ptr, MemoryCategory category) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(ptr.get());
  if (it == live_.end()) return;
  Block* block = it->second;
  stats_.category_bytes[static_cast<std::size_t>(block->category)] -= block->size;
  stats_.category_bytes[static_cast<std::size_t>(category)] += block->size;
  block->category = category;
}

void DeviceAllocator::release(void* ptr, void* context) { static_cast<DeviceAllocator*>(context)->free_block(ptr); }

void DeviceAllocator::free_block(void* ptr) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: nothing sensible to do in a deleter
  Block* block = it->second;
  live_.erase(it);
  stats_.allocated_bytes -= block->size;
  stats_.category_bytes[static_cast<std::size_t>(block->category)] -= block->size;
  block->allocated = false;
  block->category = MemoryCategory::kWorkspace;
  if (!caching_) {
    cudaFree(block->ptr);  // a deleter cannot throw; a failure here poisons the next checked call
    stats_.reserved_bytes -= block->size;
    delete block;
    return;
  }
  Pool& pool = block->small_pool ? small_ : large_;
  // Merge with free neighbours of the same segment.
  if (Block* next = block->next; next && !next->allocated) {
    pool.erase(next);
    block->size += next->size;
    block->next = next->next;
    if (next->next) next->next->prev = block;
    delete next;
  }
  if (Block* prev = block->prev; prev && !prev->allocated) {
    pool.erase(prev);
    prev->size += block->size;
    prev->next = block->next;
    if (block->next) block->next->prev = prev;
    delete block;
    block = prev;
  }
  pool.insert(block);
}

DeviceAllocator::Block* DeviceAllocator::find_free(Pool& pool, std::size_t size) {
  Block key{nullptr, size};
  auto it = pool.lower_bound(&key);
  return it == pool.end() ? nullptr : *it;
}

DeviceAllocator::Block* DeviceAllocator::new_segment(std::size_t size, bool small_pool) {
  void* ptr = nullptr;
  int previous = 0;
  IGNIS_CUDA_CHECK(cudaGetDevice(&previous));
  IGNIS_CUDA_CHECK(cudaSetDevice(device_));
  const cudaError_t status = cudaMalloc(&ptr, size);
  cudaSetDevice(previous);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it and let the caller free the cache and retry
    return nullptr;
  }
  IGNIS_CUDA_CHECK(status);
  stats_.reserved_bytes += size;
  ++stats_.cuda_mallocs;
  return new Block{ptr, size, false, small_pool, nullptr, nullptr};
}

DeviceAllocator::Block* DeviceAllocator::new_segment_within_budget(std::size_t size, bool small_pool) {
  const std::size_t budget = memory_limit(Device::cuda(device_));
  if (budget > 0 && stats_.reserved_bytes + size > budget) return nullptr;
  return new_segment(size, small_pool);
}

std::size_t DeviceAllocator::release_free_segments() {
  std::size_t released = 0;
  for (Pool* pool : {&small_, &large_}) {
    for (auto it = pool->begin(); it != pool->end();) {
      Block* b = *it;
      if (b->prev == nullptr && b->next == nullptr) {  // a whole, free segment
        cudaFree(b->ptr);
        stats_.reserved_bytes -= b->size;
        released += b->size;
        it = pool->erase(it);
        delete b;
      } else {
        ++it;
      }
    }
  }
  return released;
}

void DeviceAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  release_free_segments();
}

cuda::MemoryStats DeviceAllocator::stats() {
  std::lock_guard lock(mutex_);
  cuda::MemoryStats s = stats_;
  s.cached_bytes = s.reserved_bytes - s.allocated_bytes;
  s.limit_bytes = memory_limit(Device::cuda(device_));
  s.largest_free_block = 0;
  if (!small_.empty()) s.largest_free_block = (*small_.rbegin())->size;
  if (!large_.empty()) s.largest_free_block = std::max(s.largest_free_block, (*large_.rbegin())->size);
  return s;
}

void DeviceAllocator::out_of_memory(std::size_t requested) {
  std::size_t free_bytes = 0, total_bytes = 0;
  int previous = 0;
  cudaGetDevice(&previous);
  cudaSetDevice(device_);
  cudaMemGetInfo(&free_bytes, &total_bytes);
  cudaSetDevice(previous);
  MemoryReport r;
  r.device = Device::cuda(device_);
  r.requested_bytes = requested;
  r.limit_bytes = memory_limit(r.device);
  r.total_bytes = total_bytes;
  r.free_bytes = free_bytes;
  r.allocated_bytes = stats_.allocated_bytes;
  r.cached_bytes = stats_.reserved_bytes - stats_.allocated_bytes;
  if (!small_.empty()) r.largest_free_block = (*small_.rbegin())->size;
  if (!large_.empty()) r.largest_free_block = std::max(r.largest_free_block, (*large_.rbegin())->size);
  r.category_bytes = stats_.category_bytes;
  r.batch_size = current_batch_size_hint();
  // "batch size" and "empty_cache" stay in the text: users search for them.
  throw OutOfMemoryError(describe_out_of_memory(r, "cuda") +
                             "\n  Also: a smaller batch size, or ignis::cuda::empty_cache() to hand cached memory "
                             "to other processes",
                         r);
}

}  // namespace ignis::backend::cuda_detail

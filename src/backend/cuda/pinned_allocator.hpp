#pragma once
// Page-locked ("pinned") host memory from cudaHostAlloc, for fast host<->device copies: the GPU
// reads it by DMA, without the driver's staging through a pageable bounce buffer. Pinning is
// slow (it maps pages into the driver), so freed blocks are cached by size and reused. Copies
// from and to pinned memory are synchronous in ignis, so a freed block is idle and can be reused
// at once. Thread-safe (the DataLoader pins batches on its prefetch thread).
#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

#include "ignis/tensor/allocator.hpp"

namespace ignis::backend::cuda_detail {

class PinnedAllocator final : public Allocator {
 public:
  ~PinnedAllocator() override;
  DataPtr allocate(std::size_t nbytes) override;
  /// Whether ptr points into a block this allocator handed out (or any page-locked memory).
  bool is_pinned(const void* ptr);
  /// Unpins and frees every cached block.
  void empty_cache();

 private:
  static void release(void* ptr, void* context);
  void free_block(void* ptr);
  std::size_t release_cached();

  std::mutex mutex_;
  std::unordered_map<void*, std::size_t> live_;  // pointer -> block size
  std::multimap<std::size_t, void*> cached_;     // freed blocks by size
};

}  // namespace ignis::backend::cuda_detail

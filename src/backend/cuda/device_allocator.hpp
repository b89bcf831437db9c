#pragma once
// The caching allocator of one CUDA device (the design of PyTorch's CUDACachingAllocator, much
// reduced): memory comes from cudaMalloc in segments and is handed out as blocks rounded to 512
// bytes; freed blocks merge with free neighbours and stay cached for reuse, so the hot path never
// calls cudaMalloc/cudaFree. Requests up to 1 MiB share 2 MiB segments (the small pool); larger
// ones get segments of their own size rounded to 2 MiB (the large pool), split when a cached
// block is much larger than asked. On failure the cache is released and the allocation retried
// before OutOfMemoryError reports the figures. A memory budget (ignis::set_memory_limit) bounds
// the reserved bytes (live + cached) the same way: a segment that would exceed it releases the
// cache first, then fails with the report. Thread-safe; all work runs on one stream per
// device, so a freed block can be reused at once.
//
// IGNIS_CUDA_NO_CACHING=1 (as PYTORCH_NO_CUDA_MEMORY_CACHING) turns the cache off: every request
// is a cudaMalloc of exactly its bytes, freed with cudaFree when the tensor dies. Slow, for
// debugging: compute-sanitizer and the simulated device then see each tensor's own bounds, so an
// out-of-bounds index in a kernel is caught instead of landing in a neighbour in the segment.
#include <cstddef>
#include <mutex>
#include <set>
#include <unordered_map>

#include "ignis/backend/cuda.hpp"
#include "ignis/tensor/allocator.hpp"

namespace ignis::backend::cuda_detail {

class DeviceAllocator final : public Allocator {
 public:
  explicit DeviceAllocator(int device);
  DataPtr allocate(std::size_t nbytes) override;
  MemoryCategory category_of(const DataPtr& ptr) override;
  void set_category(DataPtr& ptr, MemoryCategory category) override;
  cuda::MemoryStats stats();
  /// Returns every segment that holds no live block to the driver.
  void empty_cache();

 private:
  struct Block {
    void* ptr = nullptr;
    std::size_t size = 0;
    bool allocated = false;
    bool small_pool = false;
    Block* prev = nullptr;  // neighbours within the same cudaMalloc segment
    Block* next = nullptr;
    MemoryCategory category = MemoryCategory::kWorkspace;  // of a live block
  };
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
    }
  };
  using Pool = std::set<Block*, BySize>;

  static void release(void* ptr, void* context);
  void free_block(void* ptr);
  Block* find_free(Pool& pool, std::size_t size);
  Block* new_segment(std::size_t size, bool small_pool);
  std::size_t release_free_segments();
  /// A segment within the budget and the device's memory, or null.
  Block* new_segment_within_budget(std::size_t size, bool small_pool);
  [[noreturn]] void out_of_memory(std::size_t requested);
  /// A free block for `nbytes` from the cache (or a new segment), out of the pool; throws on OOM.
  Block* take_cached(std::size_t nbytes);
  /// IGNIS_CUDA_NO_CACHING: a cudaMalloc of exactly `nbytes`; throws on OOM.
  Block* take_uncached(std::size_t nbytes);

  int device_;
  bool caching_;
  std::mutex mutex_;
  Pool small_, large_;
  std::unordered_map<void*, Block*> live_;
  cuda::MemoryStats stats_;
};

}  // namespace ignis::backend::cuda_detail

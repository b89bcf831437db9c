// The CPU allocator: 64-byte aligned blocks from the C library, rounded up to size classes (four
// per power of two, so at most 25% slack) and cached when freed. Two costs motivate the cache:
// glibc hands blocks above its mmap threshold (at most 32 MiB) straight back to the OS, so every
// large op output paid a page fault per 4 KiB page (16,400 faults, ~22 ms for 64 MiB; W7), and
// small aligned blocks go through glibc's memalign path, which was 30% of a tiny training step
// (W1, docs/benchmarks.md).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/check.hpp"
#include "ignis/tensor/allocator.hpp"

namespace ignis {

namespace {

std::size_t default_cache_limit() {
  if (const char* env = std::getenv("IGNIS_CPU_CACHE_BYTES"); env && *env) {
    return static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const std::size_t physical = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * page : 0;
  return std::min<std::size_t>(physical / 8, std::size_t{1} << 30);
}

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, Device::cpu(), nullptr);
    const std::size_t capacity = size_class(nbytes);
    auto [ptr, got] = take_cached(capacity);
    if (ptr == nullptr) {
      got = capacity;
      ptr = std::aligned_alloc(kCpuAlignment, capacity);
      if (ptr == nullptr) {
        empty_cpu_cache();  // the cache may be what stands in the way
        ptr = std::aligned_alloc(kCpuAlignment, capacity);
      }
      if (ptr == nullptr) {
        detail::fail<OutOfMemoryError>(
            "[cpu allocator] could not allocate {} bytes ({:.1f} MiB) of host memory; reduce the "
            "batch size or the model, or free tensors you no longer need",
            nbytes, static_cast<double>(nbytes) / (1024.0 * 1024.0));
      }
    }
    {
      std::lock_guard lock(mutex_);
      stats_.allocated_bytes += got;
      stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
    }
    // The block's capacity travels in the deleter's context.
    return DataPtr(ptr, Device::cpu(), &CpuAllocator::release, reinterpret_cast<void*>(got));
  }

  CpuMemoryStats stats() {
    std::lock_guard lock(mutex_);
    CpuMemoryStats s = stats_;
    s.cached_blocks = cache_.size();
    s.cache_limit_bytes = limit_;
    return s;
  }

  void empty_cache() {
    std::lock_guard lock(mutex_);
    for (auto& [size, ptr] : cache_) std::free(ptr);
    cache_.clear();
    stats_.cached_bytes = 0;
  }

 private:
  struct Block {
    void* ptr;
    std::size_t capacity;
  };

  /// nbytes rounded up to its class: multiples of 64 up to 256 bytes, then four classes per
  /// power of two (2^k, 1.25, 1.5, 1.75 x 2^k), whole pages from 1 MiB on.
  static std::size_t size_class(std::size_t nbytes) {
    if (nbytes <= 256) return (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
    const int k = 63 - __builtin_clzll(nbytes);
    const std::size_t step = std::max<std::size_t>(std::size_t{1} << (k - 2), nbytes >= kCpuCacheMinBytes ? 4096 : kCpuAlignment);
    return (nbytes + step - 1) / step * step;
  }

  /// The smallest cached block of capacity in [capacity, 1.25 * capacity], or a null block.
  Block take_cached(std::size_t capacity) {
    std::lock_guard lock(mutex_);
    auto it = cache_.lower_bound(capacity);
    if (it == cache_.end() || it->first > capacity + capacity / 4) {
      if (capacity >= kCpuCacheMinBytes) ++stats_.cache_misses;
      return {nullptr, capacity};
    }
    if (capacity >= kCpuCacheMinBytes) ++stats_.cache_hits;
    const Block block{it->second, it->first};
    stats_.cached_bytes -= it->first;
    cache_.erase(it);
    return block;
  }

  static void release(void* ptr, void* context) { instance().give_back(ptr, reinterpret_cast<std::size_t>(context)); }

  void give_back(void* ptr, std::size_t capacity) {
    std::lock_guard lock(mutex_);
    stats_.allocated_bytes -= capacity;
    if (capacity > limit_) {
      std::free(ptr);
      return;
    }
    // Make room by dropping the largest cached blocks first.
    while (stats_.cached_bytes + capacity > limit_ && !cache_.empty()) {
      auto largest = std::prev(cache_.end());
      std::free(largest->second);
      stats_.cached_bytes -= largest->first;
      cache_.erase(largest);
    }
    cache_.emplace(capacity, ptr);
    stats_.cached_bytes += capacity;
  }

 public:
  static CpuAllocator& instance() {
    // Never destroyed: tensors in static storage may be freed after main() returns.
    static CpuAllocator* allocator = new CpuAllocator();
    return *allocator;
  }

 private:
  std::mutex mutex_;
  std::multimap<std::size_t, void*> cache_;  // capacity -> block
  std::size_t limit_ = default_cache_limit();
  CpuMemoryStats stats_;
};

}  // namespace

Allocator& cpu_allocator() { return CpuAllocator::instance(); }
CpuMemoryStats cpu_memory_stats() { return CpuAllocator::instance().stats(); }
void empty_cpu_cache() { CpuAllocator::instance().empty_cache(); }

}  // namespace ignis

// The CPU allocator: 64-byte aligned blocks from the C library, rounded up to size classes (four
// per power of two, so at most 25% slack) and cached when freed. Two costs motivate the cache:
// glibc hands blocks above its mmap threshold (at most 32 MiB) straight back to the OS, so every
// large op output paid a page fault per 4 KiB page (16,400 faults, ~22 ms for 64 MiB; W7), and
// small aligned blocks go through glibc's memalign path, which was 30% of a tiny training step
// (W1, docs/benchmarks.md).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/check.hpp"
#include "ignis/tensor/allocator.hpp"
#include "ignis/tensor/memory.hpp"

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

/// /proc/meminfo's MemAvailable (what the system could hand out now), else free pages.
std::size_t system_free_bytes() {
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
    std::fclose(f);
    if (found) return static_cast<std::size_t>(kib) * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

std::size_t system_total_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
}

// A block's capacity and category travel in its DataPtr's context: the category in the top byte.
constexpr int kCategoryShift = 56;
constexpr std::uintptr_t kCapacityMask = (std::uintptr_t{1} << kCategoryShift) - 1;
void* encode(std::size_t capacity, MemoryCategory category) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(capacity) |
                                 (static_cast<std::uintptr_t>(category) << kCategoryShift));
}
std::size_t capacity_of(const void* context) { return reinterpret_cast<std::uintptr_t>(context) & kCapacityMask; }
MemoryCategory category_of_context(const void* context) {
  return static_cast<MemoryCategory>(reinterpret_cast<std::uintptr_t>(context) >> kCategoryShift);
}

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, Device::cpu(), nullptr);
    const std::size_t capacity = size_class(nbytes);
    const MemoryCategory category = current_memory_category();
    auto [ptr, got] = take_cached(capacity, category);
    if (ptr == nullptr) {
      got = capacity;
      ptr = allocate_new(capacity, nbytes, category);
    }
    return DataPtr(ptr, Device::cpu(), &CpuAllocator::release, encode(got, category), this);
  }

  MemoryCategory category_of(const DataPtr& ptr) override { return category_of_context(ptr.context()); }

  void set_category(DataPtr& ptr, MemoryCategory category) override {
    std::lock_guard lock(mutex_);
    const std::size_t capacity = capacity_of(ptr.context());
    const MemoryCategory old = category_of_context(ptr.context());
    stats_.category_bytes[static_cast<std::size_t>(old)] -= capacity;
    stats_.category_bytes[static_cast<std::size_t>(category)] += capacity;
    set_context(ptr, encode(capacity, category));
  }

  CpuMemoryStats stats() {
    std::lock_guard lock(mutex_);
    return stats_locked();
  }

  MemoryReport report(std::size_t requested) {
    const CpuMemoryStats s = stats();
    MemoryReport r;
    r.device = Device::cpu();
    r.requested_bytes = requested;
    r.limit_bytes = s.limit_bytes;
    r.total_bytes = system_total_bytes();
    r.free_bytes = system_free_bytes();
    r.allocated_bytes = s.allocated_bytes;
    r.cached_bytes = s.cached_bytes;
    r.largest_free_block = s.largest_free_block;
    r.category_bytes = s.category_bytes;
    r.batch_size = current_batch_size_hint();
    return r;
  }

  void reset_peak() {
    std::lock_guard lock(mutex_);
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
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

  CpuMemoryStats stats_locked() {
    CpuMemoryStats s = stats_;
    s.cached_blocks = cache_.size();
    s.cache_limit_bytes = limit_;
    s.limit_bytes = memory_limit(Device::cpu());
    s.largest_free_block = cache_.empty() ? 0 : std::prev(cache_.end())->first;
    return s;
  }

  void count(std::size_t bytes, MemoryCategory category) {
    stats_.allocated_bytes += bytes;
    stats_.category_bytes[static_cast<std::size_t>(category)] += bytes;
    stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  }

  void uncount(std::size_t bytes, MemoryCategory category) {
    stats_.allocated_bytes -= bytes;
    stats_.category_bytes[static_cast<std::size_t>(category)] -= bytes;
  }

  /// A new block from the C library, within the budget: the bytes are counted (reserved) under
  /// the lock before the call, so concurrent requests cannot overshoot the budget together. On
  /// failure, the cache is dropped and the request tried once more before OutOfMemoryError.
  void* allocate_new(std::size_t capacity, std::size_t nbytes, MemoryCategory category) {
    const std::size_t budget = memory_limit(Device::cpu());
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool within = true;
      {
        std::lock_guard lock(mutex_);
        within = budget == 0 || stats_.allocated_bytes + stats_.cached_bytes + capacity <= budget;
        if (within) count(capacity, category);
      }
      if (within) {
        if (void* ptr = std::aligned_alloc(kCpuAlignment, capacity)) return ptr;
        std::lock_guard lock(mutex_);
        uncount(capacity, category);
      }
      if (attempt == 0) empty_cache();  // the cache may be what stands in the way
    }
    const MemoryReport r = report(nbytes);
    throw OutOfMemoryError(describe_out_of_memory(r, "cpu allocator"), r);
  }

  /// nbytes rounded up to its class: multiples of 64 up to 256 bytes, then four classes per
  /// power of two (2^k, 1.25, 1.5, 1.75 x 2^k), whole pages from 1 MiB on.
  static std::size_t size_class(std::size_t nbytes) {
    if (nbytes <= 256) return (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
    const int k = 63 - __builtin_clzll(nbytes);
    const std::size_t step = std::max<std::size_t>(std::size_t{1} << (k - 2), nbytes >= kCpuCacheMinBytes ? 4096 : kCpuAlignment);
    return (nbytes + step - 1) / step * step;
  }

  /// The smallest cached block of capacity in [capacity, 1.25 * capacity] (counted as allocated
  /// under `category`), or a null block.
  Block take_cached(std::size_t capacity, MemoryCategory category) {
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
    count(block.capacity, category);
    return block;
  }

  static void release(void* ptr, void* context) {
    instance().give_back(ptr, capacity_of(context), category_of_context(context));
  }

  void give_back(void* ptr, std::size_t capacity, MemoryCategory category) {
    std::lock_guard lock(mutex_);
    uncount(capacity, category);
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
void reset_cpu_peak_memory() { CpuAllocator::instance().reset_peak(); }
MemoryReport cpu_memory_report() { return CpuAllocator::instance().report(0); }

}  // namespace ignis

#pragma once
// Device memory: an Allocator hands out DataPtrs, which own their bytes and know how to free
// them. The CPU allocator aligns every block to 64 bytes (a cache line, and AVX-512 width).
#include <cstddef>
#include <utility>

#include <array>

#include "ignis/core/device.hpp"
#include "ignis/core/memory_report.hpp"

namespace ignis {

class Allocator;

/// Owning pointer to device memory plus its deleter (move-only).
class DataPtr {
 public:
  using Deleter = void (*)(void* ptr, void* context);

  DataPtr() = default;
  /// owner: the allocator that keeps byte counts per MemoryCategory for this block (null: none).
  DataPtr(void* ptr, Device device, Deleter deleter, void* context = nullptr, Allocator* owner = nullptr)
      : ptr_(ptr), device_(device), deleter_(deleter), context_(context), owner_(owner) {}
  DataPtr(DataPtr&& other) noexcept { swap(other); }
  DataPtr& operator=(DataPtr&& other) noexcept {
    DataPtr tmp(static_cast<DataPtr&&>(other));
    swap(tmp);
    return *this;
  }
  DataPtr(const DataPtr&) = delete;
  DataPtr& operator=(const DataPtr&) = delete;
  ~DataPtr() {
    if (ptr_ != nullptr && deleter_ != nullptr) deleter_(ptr_, context_);
  }

  void* get() const { return ptr_; }
  Device device() const { return device_; }
  void* context() const { return context_; }
  /// What the block holds, as its allocator counts it (kWorkspace when it keeps no counts).
  MemoryCategory category() const;
  /// Moves the block's bytes to `category` in its allocator's counts (no-op without an owner).
  void set_category(MemoryCategory category);

 private:
  friend class Allocator;
  void swap(DataPtr& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(device_, o.device_);
    std::swap(deleter_, o.deleter_);
    std::swap(context_, o.context_);
    std::swap(owner_, o.owner_);
  }

  void* ptr_ = nullptr;
  Device device_ = Device::cpu();
  Deleter deleter_ = nullptr;
  void* context_ = nullptr;
  Allocator* owner_ = nullptr;
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  /// Returns nbytes of memory on this allocator's device (a null pointer for 0 bytes);
  /// throws OutOfMemoryError when it cannot.
  virtual DataPtr allocate(std::size_t nbytes) = 0;

  /// The category `ptr` (one of this allocator's blocks) is counted under.
  virtual MemoryCategory category_of(const DataPtr& ptr) { (void)ptr; return MemoryCategory::kWorkspace; }
  /// Recounts `ptr` under `category`; an allocator may keep the category in the DataPtr's context.
  virtual void set_category(DataPtr& ptr, MemoryCategory category) { (void)ptr, (void)category; }

 protected:
  static void set_context(DataPtr& ptr, void* context) { ptr.context_ = context; }
};

inline MemoryCategory DataPtr::category() const {
  return owner_ != nullptr ? owner_->category_of(*this) : MemoryCategory::kWorkspace;
}
inline void DataPtr::set_category(MemoryCategory category) {
  if (owner_ != nullptr && ptr_ != nullptr) owner_->set_category(*this, category);
}

/// Alignment of every CPU block, in bytes.
inline constexpr std::size_t kCpuAlignment = 64;

/// The process-wide CPU allocator (thread-safe). Blocks are rounded up to size classes (at most
/// 25% more) and kept in a cache when freed, for the next request of their class: large outputs
/// then do not pay a page fault per 4 KiB page on every op (glibc returns large blocks to the OS)
/// and small ones skip glibc's aligned-allocation path. The cache holds at most
/// $IGNIS_CPU_CACHE_BYTES (default: 1/8 of physical memory, at most 1 GiB); empty_cpu_cache()
/// releases it. Hit/miss counters count blocks of kCpuCacheMinBytes and more.
Allocator& cpu_allocator();

inline constexpr std::size_t kCpuCacheMinBytes = std::size_t{1} << 20;

/// Counters of the CPU allocator, in bytes or blocks. category_bytes (indexed by MemoryCategory)
/// add up to allocated_bytes.
struct CpuMemoryStats {
  std::size_t allocated_bytes = 0;  // held by live tensors (block capacities)
  std::array<std::size_t, kMemoryCategoryCount> category_bytes{};
  std::size_t limit_bytes = 0;      // the budget (memory_limit(cpu)); 0 = none
  std::size_t largest_free_block = 0;  // the biggest cached block
  std::size_t peak_allocated_bytes = 0;
  std::size_t cached_bytes = 0;     // freed blocks kept for reuse
  std::size_t cached_blocks = 0;
  std::size_t cache_limit_bytes = 0;
  std::size_t cache_hits = 0;       // large requests served from the cache
  std::size_t cache_misses = 0;     // large requests that went to the system
};
CpuMemoryStats cpu_memory_stats();
/// Returns every cached block to the system.
void empty_cpu_cache();
/// Restarts peak_allocated_bytes from the bytes allocated now (torch's reset_peak_memory_stats).
void reset_cpu_peak_memory();
/// The figures an OutOfMemoryError of the CPU allocator would report now (requested_bytes 0).
MemoryReport cpu_memory_report();

}  // namespace ignis

#pragma once
// The simulated device's global memory: host memory that the host cannot touch by accident.
//
// One memory file is mapped twice. Device pointers (what cudaMalloc returns) point into the
// first mapping, which is inaccessible (PROT_NONE) except while a kernel runs, so host code that
// dereferences a device pointer — a missing cudaMemcpy — faults. The runtime itself (memcpy,
// memset, the cuBLAS forwarder) works through the second mapping. Each allocation ends at a page
// boundary (256-byte aligned start, as cudaMalloc) with an inaccessible page after it, so a
// kernel that writes past its buffer faults. The bytes between the allocation and those pages
// (up to 255 after it, to its 256-byte alignment, and the rest of its first page before it) hold
// 0xff and are checked after every kernel (check_margins), so a write just past either end is
// caught as compute-sanitizer's memcheck would; under AddressSanitizer they are poisoned too, so
// ASan names the access itself. Freed ranges are never handed out again and stay
// inaccessible (use after free faults). New allocations hold 0xff bytes (NaN as float), not zeros.
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ignis::cuda_sim {

struct Allocation {
  char* device = nullptr;  // the device pointer
  std::size_t size = 0;    // bytes asked for
  int device_index = 0;
};

class DeviceMemory {
 public:
  static DeviceMemory& instance();

  /// Null when the device's budget or the address space is exhausted.
  void* allocate(int device_index, std::size_t size);
  /// False if `ptr` is not the start of a live allocation.
  bool release(void* ptr);

  /// The live allocation that holds [ptr, ptr + size) entirely, if any.
  std::optional<Allocation> find(const void* ptr, std::size_t size = 1) const;
  /// The runtime's view of a device address (inside a live allocation).
  char* host_view(const void* device_ptr) const;
  bool in_device_range(const void* ptr) const;

  /// Kernels may touch live allocations between these two calls.
  void open_to_kernels();
  void close_to_kernels();
  /// Empty if every live allocation's margins still hold 0xff; else describes the first damaged
  /// one (a kernel wrote outside its allocation) and restores its margins.
  std::string check_margins();

  std::size_t used(int device_index) const;
  std::size_t capacity() const { return capacity_; }

 private:
  DeviceMemory();
  void set_access(const Allocation& a, bool open) const;
  /// The allocation's first page (its head margin runs from there to a.device).
  char* first_page(const Allocation& a) const;

  mutable std::mutex mutex_;
  std::map<const char*, Allocation> live_;  // by device pointer
  std::map<int, std::size_t> used_;
  char* device_base_ = nullptr;
  char* host_base_ = nullptr;
  std::size_t reserved_ = 0;
  std::size_t next_ = 0;  // offset of the next allocation's first page
  std::size_t page_ = 4096;
  std::size_t capacity_ = 0;
  int fd_ = -1;
};

}  // namespace ignis::cuda_sim

#include <cstdlib>
#include <new>

#include "core/check.hpp"
#include "ignis/tensor/allocator.hpp"

namespace ignis {

namespace {

void free_cpu(void* ptr, void*) { std::free(ptr); }

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(std::size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, Device::cpu(), nullptr);
    // aligned_alloc wants a multiple of the alignment.
    const std::size_t rounded = (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
    void* ptr = std::aligned_alloc(kCpuAlignment, rounded);
    if (ptr == nullptr) {
      detail::fail<OutOfMemoryError>(
          "[cpu allocator] could not allocate {} bytes ({:.1f} MiB) of host memory; reduce the "
          "batch size or the model, or free tensors you no longer need",
          nbytes, static_cast<double>(nbytes) / (1024.0 * 1024.0));
    }
    return DataPtr(ptr, Device::cpu(), &free_cpu);
  }
};

}  // namespace

Allocator& cpu_allocator() {
  static CpuAllocator allocator;
  return allocator;
}

}  // namespace ignis

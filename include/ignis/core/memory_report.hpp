#pragma once
// What a device's memory is used for, as an allocator sees it when an allocation fails: the
// figures behind OutOfMemoryError's message, kept on the exception for programs (fit's automatic
// micro-batching reads them).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ignis/core/device.hpp"

namespace ignis {

/// What a block of memory holds. Allocations are tagged with the category of the thread's
/// MemoryCategoryScope (ignis/tensor/memory.hpp), and retagged where a tensor's role becomes
/// known (a Module's parameter, an accumulated gradient). Anything untagged is workspace.
enum class MemoryCategory : std::uint8_t {
  kWorkspace = 0,    // op temporaries, input batches, tensors held by the caller, anything untagged
  kParameters,       // module parameters and buffers
  kGradients,        // .grad of leaf tensors
  kOptimizerState,   // optimizer buffers (momentum, Adam moments)
  kActivations,      // tensors produced while building an autograd graph (saved for backward)
};
inline constexpr std::size_t kMemoryCategoryCount = 5;

/// "workspace", "parameters", "gradients", "optimizer state", "activations".
const char* memory_category_name(MemoryCategory category) noexcept;

/// One device's memory at the moment an allocation failed, in bytes. The categories add up to
/// allocated_bytes; allocated_bytes + cached_bytes is what ignis holds (reserved) on the device.
struct MemoryReport {
  Device device = Device::cpu();
  std::size_t requested_bytes = 0;
  std::size_t limit_bytes = 0;         // the memory budget; 0 = none
  std::size_t total_bytes = 0;         // the device's physical memory (0 = unknown)
  std::size_t free_bytes = 0;          // free on the device (the system's view, other processes included)
  std::size_t allocated_bytes = 0;     // held by live tensors
  std::size_t cached_bytes = 0;        // freed blocks ignis keeps for reuse
  std::size_t largest_free_block = 0;  // the biggest cached block (fragmentation)
  std::array<std::size_t, kMemoryCategoryCount> category_bytes{};  // indexed by MemoryCategory
  std::int64_t batch_size = 0;         // the batch being processed, when the caller said (0 = unknown)

  std::size_t bytes(MemoryCategory c) const { return category_bytes[static_cast<std::size_t>(c)]; }
  /// The largest batch (a divisor-free estimate, ≥ 1) whose activations should fit, assuming
  /// activations and the failed request scale with the batch and everything else stays; 0 when
  /// the batch is unknown or even one sample should not fit.
  std::int64_t estimated_fitting_batch() const;
};

/// The multi-line explanation: request, budget/total, free, ignis's split, and ranked fixes with
/// figures (e.g. "micro-batch 64 should fit"). `op` names who failed ("cpu allocator").
std::string describe_out_of_memory(const MemoryReport& report, const std::string& op);

/// "1.5 GiB", "12.0 MiB", "512 B".
std::string format_bytes(std::size_t bytes);

}  // namespace ignis

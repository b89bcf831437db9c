#pragma once
// Memory budgets per device and the tagging of allocations by what they hold.
//
//   ignis::set_memory_limit(ignis::Device::cpu(), 256 << 20);  // the CPU allocator may hold 256 MiB
//   IGNIS_MEMORY_LIMIT=256MiB               (every device)
//   IGNIS_MEMORY_LIMIT=cpu=1GiB,cuda:0=8GiB (per device)
//
// A budget counts what ignis's allocator of that device holds: live tensors plus its cache of
// freed blocks. When a request would exceed it, the allocator drops its cache and retries, then
// throws OutOfMemoryError with a MemoryReport. Budgets make out-of-memory behaviour testable on
// any machine and keep a process inside a share of a GPU. The real device limit still applies.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ignis/core/device.hpp"
#include "ignis/core/memory_report.hpp"

namespace ignis {

class Tensor;

/// Sets the budget of `device` in bytes (0 removes it). Applies to allocations from now on;
/// memory already held is not released. Overrides IGNIS_MEMORY_LIMIT. Thread-safe.
void set_memory_limit(Device device, std::size_t bytes);
/// The budget of `device` (0 = none). The first call reads IGNIS_MEMORY_LIMIT, and throws
/// ValueError when it does not parse.
std::size_t memory_limit(Device device);

/// Bytes from "1048576", "512K", "64MiB", "1.5GB", "2G" (K/M/G/T are powers of 1024, whether
/// written K, KB or KiB); ValueError otherwise.
std::size_t parse_memory_size(const std::string& text);

/// Tags the allocations of this thread with `category` for the scope's lifetime (nested scopes:
/// the innermost wins). Without a scope allocations are workspace.
class MemoryCategoryScope {
 public:
  explicit MemoryCategoryScope(MemoryCategory category) noexcept;
  ~MemoryCategoryScope();
  MemoryCategoryScope(const MemoryCategoryScope&) = delete;
  MemoryCategoryScope& operator=(const MemoryCategoryScope&) = delete;

 private:
  MemoryCategory previous_;
};
MemoryCategory current_memory_category() noexcept;

/// Recounts the storage of `tensor` (all views of it) under `category`. kOnlyUntagged leaves
/// storage that already has a category other than workspace alone (a view of a parameter stays a
/// parameter). No-op for undefined or empty tensors.
enum class Retag { kAlways, kOnlyUntagged };
void set_memory_category(const Tensor& tensor, MemoryCategory category, Retag mode = Retag::kAlways);

/// Tells the allocators of this thread the batch being processed, for the estimates of an
/// out-of-memory report ("micro-batch 64 should fit"). fit() sets it around each step.
class BatchSizeHint {
 public:
  explicit BatchSizeHint(std::int64_t batch_size) noexcept;
  ~BatchSizeHint();
  BatchSizeHint(const BatchSizeHint&) = delete;
  BatchSizeHint& operator=(const BatchSizeHint&) = delete;

 private:
  std::int64_t previous_;
};
/// 0 when no BatchSizeHint is active.
std::int64_t current_batch_size_hint() noexcept;

}  // namespace ignis

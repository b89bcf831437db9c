// The out-of-memory explanation shared by the CPU and CUDA allocators.
#include "ignis/core/memory_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace ignis {

const char* memory_category_name(MemoryCategory category) noexcept {
  switch (category) {
    case MemoryCategory::kWorkspace: return "workspace";
    case MemoryCategory::kParameters: return "parameters";
    case MemoryCategory::kGradients: return "gradients";
    case MemoryCategory::kOptimizerState: return "optimizer state";
    case MemoryCategory::kActivations: return "activations";
  }
  return "workspace";
}

std::string format_bytes(std::size_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (std::size_t{1} << 30)) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024.0 * 1024.0));
  if (bytes >= (std::size_t{1} << 20)) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024.0));
  if (bytes >= (std::size_t{1} << 10)) return fmt::format("{:.1f} KiB", b / 1024.0);
  return fmt::format("{} B", bytes);
}

namespace {

/// What ignis may hold in all: the budget, or what it holds now plus what the device has free.
std::size_t capacity(const MemoryReport& r) {
  const std::size_t held = r.allocated_bytes + r.cached_bytes;
  const std::size_t physical = held + r.free_bytes;
  return r.limit_bytes > 0 ? std::min(r.limit_bytes, r.free_bytes > 0 ? physical : r.limit_bytes) : physical;
}

}  // namespace

std::int64_t MemoryReport::estimated_fitting_batch() const {
  if (batch_size <= 1) return 0;
  // Memory that does not shrink with the batch: parameters, their gradients (needed by the end of
  // the step even if not yet made), optimizer state and the rest (workspace).
  const std::size_t fixed = bytes(MemoryCategory::kParameters) +
                            std::max(bytes(MemoryCategory::kGradients), bytes(MemoryCategory::kParameters)) +
                            bytes(MemoryCategory::kOptimizerState) + bytes(MemoryCategory::kWorkspace);
  const std::size_t cap = capacity(*this);
  const std::size_t per_batch = bytes(MemoryCategory::kActivations) + requested_bytes;
  if (cap <= fixed || per_batch == 0) return 0;
  const double per_sample = static_cast<double>(per_batch) / static_cast<double>(batch_size);
  const auto fits = static_cast<std::int64_t>(static_cast<double>(cap - fixed) / per_sample);
  // The failure may have come part-way through the forward pass, so the activations seen are a
  // lower bound: never promise more than half the batch.
  return std::clamp<std::int64_t>(fits, 0, std::max<std::int64_t>(batch_size / 2, 1));
}

std::string describe_out_of_memory(const MemoryReport& r, const std::string& op) {
  std::string s = fmt::format("[{}] out of memory on {}: tried to allocate {}", op, r.device.str(),
                              format_bytes(r.requested_bytes));
  if (r.limit_bytes > 0) {
    s += fmt::format(" under a memory budget of {}", format_bytes(r.limit_bytes));
    if (r.total_bytes > 0) s += fmt::format(" (the device has {})", format_bytes(r.total_bytes));
  } else if (r.total_bytes > 0) {
    s += fmt::format(" (the device has {})", format_bytes(r.total_bytes));
  }
  s += fmt::format("; free on the device: {}.\n", format_bytes(r.free_bytes));
  s += fmt::format("ignis holds {} ({} in live tensors + {} cached but free, largest free block {}); the cache was "
                   "already released and the allocation retried:\n",
                   format_bytes(r.allocated_bytes + r.cached_bytes), format_bytes(r.allocated_bytes),
                   format_bytes(r.cached_bytes), format_bytes(r.largest_free_block));
  for (MemoryCategory c : {MemoryCategory::kParameters, MemoryCategory::kGradients, MemoryCategory::kOptimizerState,
                           MemoryCategory::kActivations, MemoryCategory::kWorkspace}) {
    s += fmt::format("  {:<16} {:>10}\n", memory_category_name(c), format_bytes(r.bytes(c)));
  }
  s += fmt::format("  {:<16} {:>10}\n", "cached (free)", format_bytes(r.cached_bytes));

  // Fixes, the one that frees the most first.
  struct Fix {
    std::size_t saves;
    std::string text;
  };
  std::vector<Fix> fixes;
  if (r.batch_size > 1) {
    const std::int64_t fit = r.estimated_fitting_batch();
    const std::size_t activations = r.bytes(MemoryCategory::kActivations);
    if (fit > 0) {
      fixes.push_back({activations - activations / static_cast<std::size_t>(r.batch_size) * static_cast<std::size_t>(fit),
                       fmt::format("micro-batch {} should fit (batch {} now; activations scale with the batch): "
                                   "fit() does this by itself unless on_out_of_memory is kThrow; or lower the "
                                   "batch size",
                                   fit, r.batch_size)});
    } else {
      fixes.push_back({activations, fmt::format("even a micro-batch of 1 is unlikely to fit (batch {} now): the "
                                                "parameters, gradients and optimizer state alone take most of it",
                                                r.batch_size)});
    }
  } else {
    fixes.push_back({r.bytes(MemoryCategory::kActivations),
                     "reduce the batch size (activations scale with it) or the model"});
  }
  if (r.bytes(MemoryCategory::kOptimizerState) > 0) {
    fixes.push_back({r.bytes(MemoryCategory::kOptimizerState),
                     fmt::format("an optimizer with less state frees up to {} (Adam keeps 2 buffers per parameter, "
                                 "SGD with momentum 1, plain SGD none)",
                                 format_bytes(r.bytes(MemoryCategory::kOptimizerState)))});
  }
  if (r.bytes(MemoryCategory::kWorkspace) > 0) {
    fixes.push_back({r.bytes(MemoryCategory::kWorkspace),
                     fmt::format("free tensors you no longer hold on purpose ({} of workspace and caller-held "
                                 "tensors)",
                                 format_bytes(r.bytes(MemoryCategory::kWorkspace)))});
  }
  std::stable_sort(fixes.begin(), fixes.end(), [](const Fix& a, const Fix& b) { return a.saves > b.saves; });
  if (r.limit_bytes > 0) {
    fixes.push_back({0, fmt::format("raise the budget to at least {} (ignis::set_memory_limit or IGNIS_MEMORY_LIMIT)",
                                    format_bytes(r.allocated_bytes + r.requested_bytes))});
  }
  if (r.device.is_cuda()) {
    fixes.push_back({0, "other processes on the GPU (nvidia-smi) also take memory"});
  }
  s += "Fixes:";
  for (std::size_t i = 0; i < fixes.size(); ++i) s += fmt::format("\n  {}. {}", i + 1, fixes[i].text);
  return s;
}

}  // namespace ignis

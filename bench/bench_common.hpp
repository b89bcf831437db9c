#pragma once
// Helpers shared by the benchmark programs.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "ignis/backend/cuda.hpp"
#include "ignis/core/device.hpp"

namespace ignis_bench {

/// Minor page faults of this process so far (first touches of fresh pages, mostly).
inline long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

/// A memory figure of this process from /proc/self/status in MiB: "VmRSS:" (resident now) or
/// "VmHWM:" (peak resident since start or the last reset_peak_rss); -1 if unreadable.
inline double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + field.size(), nullptr) / 1024.0;  // kB
  }
  return -1;
}

/// Resets VmHWM to the current resident size (Linux: "5" into /proc/self/clear_refs); false if
/// the kernel refuses.
inline bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

/// Counts the minor page faults of the timed loop: construct it just before the loop, call
/// report(state) just after; the counter "faults" is their number per iteration.
class FaultCounter {
 public:
  FaultCounter() : start_(minor_faults()) {}
  void report(benchmark::State& state) const {
    state.counters["faults"] = benchmark::Counter(static_cast<double>(minor_faults() - start_),
                                                  benchmark::Counter::kAvgIterations);
  }

 private:
  long start_;
};

/// The device the workloads run on: $IGNIS_BENCH_DEVICE ("cpu", the default, or "cuda").
/// scripts/gpu-check runs the programs a second time with "cuda".
inline ignis::Device bench_device() {
  const char* name = std::getenv("IGNIS_BENCH_DEVICE");
  return name != nullptr && *name != 0 ? ignis::Device(name) : ignis::Device::cpu();
}

/// Waits for the device's queued work (kernels run asynchronously on a GPU): called at the end
/// of every timed iteration, on both sides of a comparison. A no-op on the CPU.
inline void sync_device(ignis::Device device) {
  if (device.is_cuda()) ignis::cuda::synchronize();
}

}  // namespace ignis_bench

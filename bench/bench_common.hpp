#pragma once
// Helpers shared by the benchmark programs.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

namespace ignis_bench {

/// Minor page faults of this process so far (first touches of fresh pages, mostly).
inline long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
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

}  // namespace ignis_bench

#pragma once
// Timing of the libtorch peer, the same as bench/peer/train_step_peer.py's timed() and measure():
// wall-clock time (steady_clock, Python's perf_counter) and the calling thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID, Python's time.thread_time), per iteration; the iteration count is
// calibrated to min_time, then the median of the repetitions is reported.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace libtorch_peer {

/// Wall and thread-CPU seconds per iteration of one run.
struct Sample {
  double wall = 0, cpu = 0;
};

/// The calling thread's CPU time in seconds: wall ≫ CPU means another process took the core
/// (bench/summarize.py flags such a row "contended").
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// run(iterations) once -> seconds per iteration.
template <class Run>
Sample timed(Run& run, std::int64_t iterations) {
  const double wall = wall_seconds(), cpu = thread_cpu_seconds();
  run(iterations);
  const auto n = static_cast<double>(iterations);
  return {(wall_seconds() - wall) / n, (thread_cpu_seconds() - cpu) / n};
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;  // as Python's statistics.median
}

/// The median wall and CPU time per iteration and the iteration count of one measurement.
struct Measurement {
  double wall = 0, cpu = 0;
  std::int64_t iterations = 0;
};

/// Calibrates the iteration count so that a repetition lasts about min_time seconds (×4 from 10
/// until a run takes min_time / 4, then min_time / per-iteration time + 1), then runs
/// `repetitions` repetitions.
template <class Run>
Measurement measure(Run&& run, double min_time, int repetitions) {
  std::int64_t iterations = 10;
  Sample s;
  while (true) {
    s = timed(run, iterations);
    if (s.wall * static_cast<double>(iterations) >= min_time / 4) break;
    iterations *= 4;
  }
  iterations = std::max(iterations, static_cast<std::int64_t>(min_time / s.wall) + 1);
  std::vector<double> walls, cpus;
  for (int i = 0; i < repetitions; ++i) {
    const Sample r = timed(run, iterations);
    walls.push_back(r.wall);
    cpus.push_back(r.cpu);
  }
  return {median(walls), median(cpus), iterations};
}

}  // namespace libtorch_peer

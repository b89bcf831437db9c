#pragma once
// parallel_for: splits [begin, end) into one contiguous chunk per OpenMP thread. Small ranges
// (≤ grain) and calls from inside a parallel region run inline. An exception thrown by any chunk
// is rethrown to the caller once all chunks finished (OpenMP itself would terminate).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>

namespace ignis::backend::cpu {

/// Elements below which an elementwise loop is not worth splitting across threads.
inline constexpr std::int64_t kGrain = 32768;

template <class F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const F& f) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const int max_threads = omp_get_max_threads();
  if (n <= grain || max_threads == 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
  const int threads =
      static_cast<int>(std::min<std::int64_t>(max_threads, (n + grain - 1) / std::max<std::int64_t>(grain, 1)));
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num();
    const std::int64_t nt = omp_get_num_threads();
    const std::int64_t chunk = (n + nt - 1) / nt;
    const std::int64_t b = begin + t * chunk;
    const std::int64_t e = std::min(end, b + chunk);
    if (b < e) {
      try {
        f(b, e);
      } catch (...) {
#pragma omp critical(ignis_parallel_for_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace ignis::backend::cpu

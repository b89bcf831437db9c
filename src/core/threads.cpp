#include "ignis/core/threads.hpp"

#include <omp.h>

#include "check.hpp"

namespace ignis {

int get_num_threads() { return omp_get_max_threads(); }

void set_num_threads(int n) {
  if (n < 1) detail::fail<ValueError>("[set_num_threads] thread count must be ≥ 1, got {}", n);
  omp_set_num_threads(n);
}

}  // namespace ignis

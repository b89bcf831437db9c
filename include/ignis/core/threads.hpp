#pragma once
// CPU threading. ignis uses OpenMP (GCC's libgomp, the runtime oneDNN uses too), so
// OMP_NUM_THREADS sets the default; set_num_threads overrides it for the whole process.

namespace ignis {

/// Number of threads CPU operations use.
int get_num_threads();
/// Sets the number of threads for CPU operations (≥ 1); throws ValueError otherwise.
void set_num_threads(int n);

}  // namespace ignis

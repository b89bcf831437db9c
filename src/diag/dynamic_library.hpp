#pragma once
// dlopen by name with a record of what happened: the file the loader picked (dlinfo), the same
// with symlinks resolved, or dlerror's text. Internal to the diag layer.
#include <string>
#include <vector>

#include "ignis/diag/facts.hpp"

namespace ignis::diag::detail {

/// Opens `name` (RTLD_NOW | RTLD_LOCAL), fills `record` and appends the observation. Returns the
/// handle or null. Handles are never closed: unloading a CUDA library after it initialised is not
/// safe, and a probe runs once per process.
void* load_library(const std::string& name, LibraryLoad& record,
                   std::vector<Observation>& observations);

/// dlsym cast to a function pointer type; null when absent.
template <typename Fn>
Fn symbol(void* handle, const char* name);

/// "libcuda.so.550.54.14" -> "550.54.14"; "" when the file name carries no version after ".so.".
std::string version_from_file_name(const std::string& path, const std::string& stem);

void* raw_symbol(void* handle, const char* name);

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(raw_symbol(handle, name));
}

}  // namespace ignis::diag::detail

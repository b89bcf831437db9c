#include "driver_library.hpp"

#include <dlfcn.h>

namespace ignis::backend::cuda_detail {

bool driver_library_loads(std::string* why) {
  if (void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(driver);
    return true;
  }
  const char* text = dlerror();
  *why = text != nullptr ? text : "not found";
  return false;
}

}  // namespace ignis::backend::cuda_detail

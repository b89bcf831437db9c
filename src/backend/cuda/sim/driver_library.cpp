// The simulated device has no driver library: the runtime calls are the simulator's own.
#include "backend/cuda/driver_library.hpp"

namespace ignis::backend::cuda_detail {

bool driver_library_loads(std::string*) { return true; }

}  // namespace ignis::backend::cuda_detail

// What happens when CUDA is asked for on a build or machine that cannot provide it.
#include <gtest/gtest.h>

#include "support/reference.hpp"

namespace ignis {
namespace {

TEST(CudaUnavailable, AllocatingOnCudaExplainsWhyAndWhatToDo) {
  const auto status = diag::cuda_backend_status();
  if (status.available) GTEST_SKIP() << "CUDA is available here";
  IGNIS_EXPECT_THROW_MSG(zeros({2}, {.device = Device::cuda(0)}), BackendUnavailableError, "CUDA is not available",
                         status.reason.c_str(), "ignis doctor");
  IGNIS_EXPECT_THROW_MSG(ones({2}).to(Device("cuda")), BackendUnavailableError, "CUDA is not available");
  EXPECT_FALSE(status.reason.empty());
}

}  // namespace
}  // namespace ignis

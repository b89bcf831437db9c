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

TEST(DeviceMismatch, MixingDevicesIsAnErrorThatSaysWhatToDo) {
  const std::string reason = testing::device_skip_reason(Device::cuda(0));
  if (!reason.empty()) GTEST_SKIP() << reason;
  const Tensor on_gpu = ones({2}, {.device = Device::cuda(0)});
  IGNIS_EXPECT_THROW_MSG(ones({2}) + on_gpu, DeviceError, "[add]", "cpu", "cuda:0", ".to(device)");
  IGNIS_EXPECT_THROW_MSG(matmul(ones({2, 2}), ones({2, 2}, {.device = Device::cuda(0)})), DeviceError, "[matmul]");
  IGNIS_EXPECT_THROW_MSG(linear(ones({3, 2}), ones({4, 2}, {.device = Device::cuda(0)})), DeviceError,
                         "[linear] weight is on cuda:0 but input is on cpu");
}

}  // namespace
}  // namespace ignis

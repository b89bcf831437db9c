// What happens when CUDA is asked for on a build or machine that cannot provide it.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>

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

// The helper of CPU-vs-GPU agreement cases that catch BackendUnavailableError from an op: a
// visible skip on a machine without a GPU, a failure under IGNIS_REQUIRE_CUDA=1 (gpu-check) and
// always on the CPU.
TEST(OpSkipReason, SkipsOnCudaButFailsWhereEveryCaseMustRun) {
  const char* saved = std::getenv("IGNIS_REQUIRE_CUDA");
  const std::string restore = saved != nullptr ? saved : "";
  ::unsetenv("IGNIS_REQUIRE_CUDA");
  EXPECT_EQ(testing::op_skip_reason(Device::cuda(0), "[conv2d] cuDNN is not usable"),
            "cannot run on cuda:0: [conv2d] cuDNN is not usable");
  ::setenv("IGNIS_REQUIRE_CUDA", "1", 1);
  EXPECT_NONFATAL_FAILURE(testing::op_skip_reason(Device::cuda(0), "no cuDNN"), "IGNIS_REQUIRE_CUDA=1");
  ::unsetenv("IGNIS_REQUIRE_CUDA");
  EXPECT_NONFATAL_FAILURE(testing::op_skip_reason(Device::cpu(), "no cuDNN"), "the CPU must run every case");
  if (saved != nullptr) ::setenv("IGNIS_REQUIRE_CUDA", restore.c_str(), 1);
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

TEST(PinnedMemory, WithoutCudaPinningSaysWhyAndNothingIsPinned) {
  if (diag::cuda_backend_status().available) GTEST_SKIP() << "CUDA is available here";
  const std::string why = diag::cuda_backend_status().reason;
  const Tensor x = arange(6).reshape({2, 3});
  EXPECT_FALSE(x.is_pinned());
  IGNIS_EXPECT_THROW_MSG(x.pin_memory(), BackendUnavailableError, "[pin_memory]", "needs CUDA", why.c_str());
  // A loader asked to pin batches that stay on the CPU does not pin (nor fail).
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x, x), {.batch_size = 2, .pin_memory = true});
  for (const data::Batch& b : loader) EXPECT_FALSE(b.input.is_pinned());
}

TEST(PinnedMemory, PinnedCopiesRoundTripExactly) {
  const std::string reason = testing::device_skip_reason(Device::cuda(0));
  if (!reason.empty()) GTEST_SKIP() << reason;
  const Tensor x = testing::random_tensor({37, 129}, DType::kFloat32, testing::Layout::kTransposed, -1, 1, 7);
  const Tensor pinned = x.pin_memory();
  EXPECT_TRUE(pinned.is_pinned());
  EXPECT_TRUE(pinned.is_contiguous());
  EXPECT_FALSE(x.is_pinned());
  EXPECT_TRUE(pinned.pin_memory().is_same(pinned));
  const Tensor on_gpu = pinned.to(Device::cuda(0));
  EXPECT_TRUE(testing::all_close(on_gpu, x.shape(), testing::values_of(x), 0, 0));
  Tensor back = empty(x.shape()).pin_memory();
  back.copy_(on_gpu);
  EXPECT_TRUE(testing::all_close(back, x.shape(), testing::values_of(x), 0, 0));
  IGNIS_EXPECT_THROW_MSG(on_gpu.pin_memory(), DeviceError, "only CPU tensors can be pinned");

  // The DataLoader pins on its prefetch thread and delivers the same batches.
  const Tensor y = arange(37);
  data::DataLoader pinned_loader(std::make_shared<data::TensorDataset>(x, y),
                                 {.batch_size = 8, .device = Device::cuda(0), .pin_memory = true});
  data::DataLoader plain_loader(std::make_shared<data::TensorDataset>(x, y), {.batch_size = 8});
  auto plain = plain_loader.begin();
  for (const data::Batch& b : pinned_loader) {
    EXPECT_TRUE(b.input.device().is_cuda());
    EXPECT_TRUE(testing::all_close(b.input, (*plain).input.shape(), testing::values_of((*plain).input), 0, 0));
    EXPECT_TRUE(testing::all_close(b.target, (*plain).target.shape(), testing::values_of((*plain).target), 0, 0));
    ++plain;
  }
}

}  // namespace
}  // namespace ignis

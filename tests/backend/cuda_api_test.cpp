// ignis::cuda, the device API: on a machine without a usable GPU nothing throws where the
// contract says it must not, and every call that needs a device says why there is none. On a
// machine with a GPU the same tests check the devices and the allocator's counters.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <set>
#include <string>

#include "ignis/backend/cuda.hpp"
#include "ignis/core/build_info.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

bool driver_library_loadable() {
  void* handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle != nullptr) dlclose(handle);
  return handle != nullptr;
}

TEST(CudaApi, ReasonAndCountAgreeWithAvailability) {
  const cuda::UnavailableReason reason = cuda::unavailable_reason();
  if (cuda::is_available()) {
    EXPECT_EQ(reason.kind, cuda::UnavailableKind::kAvailable);
    EXPECT_TRUE(reason.message.empty()) << reason.message;
    EXPECT_GE(cuda::device_count(), 1);
  } else {
    EXPECT_NE(reason.kind, cuda::UnavailableKind::kAvailable);
    EXPECT_FALSE(reason.message.empty());
    EXPECT_EQ(cuda::device_count(), 0);
  }
}

TEST(CudaApi, TheReasonKindMatchesThisBuildAndMachine) {
  const cuda::UnavailableReason reason = cuda::unavailable_reason();
  if (cuda::is_available()) {
    // A GPU, or the simulated device (IGNIS_CUDA_PLUGIN, also in a build without CUDA, such as
    // the sanitizer build), which needs no driver library.
    EXPECT_EQ(reason.kind, cuda::UnavailableKind::kAvailable);
  } else if (!build_info::kCudaBuilt) {
    EXPECT_EQ(reason.kind, cuda::UnavailableKind::kNotBuilt) << reason.message;
    EXPECT_STREQ(cuda::name(reason.kind), "not_built");
  } else if (!driver_library_loadable()) {
    // The CUDA build on a machine without the NVIDIA driver: the plugin loads and declines.
    EXPECT_EQ(reason.kind, cuda::UnavailableKind::kNoDriver) << reason.message;
    EXPECT_STREQ(cuda::name(reason.kind), "no_driver");
    EXPECT_NE(reason.message.find("libcuda.so.1"), std::string::npos) << reason.message;
    EXPECT_NE(reason.message.find("What to do: install the NVIDIA driver"), std::string::npos) << reason.message;
    const std::string toolkit(build_info::kCudaToolkitVersion);
    EXPECT_NE(reason.message.find("built with CUDA " + toolkit.substr(0, toolkit.find('.'))), std::string::npos)
        << reason.message;
  } else {
    // A driver library is there but no device works: the runtime's error code comes with it.
    EXPECT_NE(reason.cuda_error, 0) << reason.message;
    EXPECT_NE(reason.message.find("cudaGetDeviceCount failed"), std::string::npos) << reason.message;
  }
}

TEST(CudaApi, EveryKindHasADistinctName) {
  const cuda::UnavailableKind kinds[] = {
      cuda::UnavailableKind::kAvailable,    cuda::UnavailableKind::kNotBuilt,  cuda::UnavailableKind::kPluginLoadFailed,
      cuda::UnavailableKind::kNoDriver,     cuda::UnavailableKind::kStubDriver, cuda::UnavailableKind::kDriverTooOld,
      cuda::UnavailableKind::kNoDevice,     cuda::UnavailableKind::kOther};
  std::set<std::string> names;
  for (const auto kind : kinds) names.insert(cuda::name(kind));
  EXPECT_EQ(names.size(), std::size(kinds));
}

TEST(CudaApi, CallsThatNeedADeviceSayWhyThereIsNone) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is available here";
  const std::string why = cuda::unavailable_reason().message;
  IGNIS_EXPECT_THROW_MSG(cuda::device_properties(0), BackendUnavailableError, "[cuda::device_properties]",
                         "CUDA is not available", why.c_str(), "ignis doctor");
  IGNIS_EXPECT_THROW_MSG(cuda::device_name(0), BackendUnavailableError, why.c_str());
  IGNIS_EXPECT_THROW_MSG(cuda::current_device(), BackendUnavailableError, "[cuda::current_device]");
  IGNIS_EXPECT_THROW_MSG(cuda::set_device(0), BackendUnavailableError, "[cuda::set_device]");
  IGNIS_EXPECT_THROW_MSG(cuda::synchronize(), BackendUnavailableError, "[cuda::synchronize]");
  IGNIS_EXPECT_THROW_MSG(cuda::memory_stats(), BackendUnavailableError, "[cuda::memory_stats]");
  IGNIS_EXPECT_THROW_MSG(cuda::memory_summary(), BackendUnavailableError, "[cuda::memory_stats]");
  EXPECT_THROW(cuda::DeviceGuard guard(0), BackendUnavailableError);
  // Releasing a cache that does not exist is not an error (as torch.cuda.empty_cache()).
  EXPECT_NO_THROW(cuda::empty_cache());
}

// --- with a GPU ---

class CudaDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = testing::device_skip_reason(Device::cuda(0));
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
};

TEST_F(CudaDeviceTest, PropertiesDescribeARealDevice) {
  for (int i = 0; i < cuda::device_count(); ++i) {
    const cuda::DeviceProperties p = cuda::device_properties(i);
    EXPECT_FALSE(p.name.empty());
    EXPECT_EQ(cuda::device_name(i), p.name);
    EXPECT_GE(p.major, 7) << "CUDA 13 supports compute capability 7.5 and newer";
    EXPECT_GT(p.total_memory, std::size_t{1} << 30);
    EXPECT_GT(p.multiprocessor_count, 0);
  }
  IGNIS_EXPECT_THROW_MSG(cuda::device_properties(cuda::device_count()), IndexError, "device");
  IGNIS_EXPECT_THROW_MSG(cuda::set_device(-2), IndexError, "device");
}

TEST_F(CudaDeviceTest, DeviceGuardRestoresTheCurrentDevice) {
  const int before = cuda::current_device();
  {
    cuda::DeviceGuard guard(cuda::device_count() - 1);
    EXPECT_EQ(cuda::current_device(), cuda::device_count() - 1);
  }
  EXPECT_EQ(cuda::current_device(), before);
}

TEST_F(CudaDeviceTest, AllocatorCountsAllocationsAndReusesFreedBlocks) {
  cuda::synchronize();
  cuda::empty_cache();
  if (!cuda::memory_stats(0).caching) GTEST_SKIP() << "IGNIS_CUDA_NO_CACHING=1: see AllocatorWithoutCaching...";
  const cuda::MemoryStats before = cuda::memory_stats(0);
  {
    const Tensor a = zeros({1024, 1024}, {.device = Device::cuda(0)});  // 4 MiB
    const cuda::MemoryStats during = cuda::memory_stats(0);
    EXPECT_GE(during.allocated_bytes, before.allocated_bytes + 4 * 1024 * 1024);
    EXPECT_GE(during.peak_allocated_bytes, during.allocated_bytes);
    EXPECT_GE(during.reserved_bytes, during.allocated_bytes);
    EXPECT_EQ(during.allocations, before.allocations + 1);
  }
  const cuda::MemoryStats after_free = cuda::memory_stats(0);
  EXPECT_EQ(after_free.allocated_bytes, before.allocated_bytes);
  EXPECT_GE(after_free.cached_bytes, 4u * 1024 * 1024);
  EXPECT_GE(after_free.largest_free_block, 4u * 1024 * 1024);
  {
    const Tensor b = zeros({1024, 1024}, {.device = Device::cuda(0)});  // served from the cache
    EXPECT_EQ(cuda::memory_stats(0).cuda_mallocs, after_free.cuda_mallocs);
  }
  cuda::synchronize();
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_stats(0).cached_bytes, 0u);
  EXPECT_NE(cuda::memory_summary(0).find("allocated"), std::string::npos);
}

// IGNIS_CUDA_NO_CACHING=1 (the simulated device's suite runs so; ctest runs this case once more
// with caching on, as sim-caching:*): each tensor is one cudaMalloc of exactly its bytes, returned
// with cudaFree when it dies, and nothing is ever cached.
TEST_F(CudaDeviceTest, AllocatorWithoutCachingGivesEachTensorItsOwnAllocation) {
  cuda::synchronize();
  if (cuda::memory_stats(0).caching) GTEST_SKIP() << "caching is on (IGNIS_CUDA_NO_CACHING is not 1)";
  const cuda::MemoryStats before = cuda::memory_stats(0);
  {
    const Tensor a = zeros({3, 5}, {.device = Device::cuda(0)});  // 60 bytes, not rounded up
    const cuda::MemoryStats during = cuda::memory_stats(0);
    EXPECT_EQ(during.allocated_bytes, before.allocated_bytes + 60);
    EXPECT_EQ(during.reserved_bytes, before.reserved_bytes + 60);
    EXPECT_EQ(during.cuda_mallocs, before.cuda_mallocs + 1);
  }
  const cuda::MemoryStats after = cuda::memory_stats(0);
  EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
  EXPECT_EQ(after.reserved_bytes, before.reserved_bytes);
  EXPECT_EQ(after.cached_bytes, 0u);
  EXPECT_NE(cuda::memory_summary(0).find("caching off (IGNIS_CUDA_NO_CACHING=1)"), std::string::npos);
}

// The memory budget on cuda:0 bounds reserved bytes (live + cached); the report's split adds up.
TEST_F(CudaDeviceTest, BudgetBoundsReservedMemoryAndTheReportAddsUp) {
  cuda::synchronize();
  cuda::empty_cache();
  const std::size_t reserved = cuda::memory_stats(0).reserved_bytes;
  set_memory_limit(Device::cuda(0), reserved + (std::size_t{8} << 20));
  Tensor kept;
  {
    MemoryCategoryScope scope(MemoryCategory::kParameters);
    kept = ones({1024, 1024}, {.device = Device::cuda(0)});  // 4 MiB: fits
  }
  try {
    const Tensor too_much = empty({4 * 1024 * 1024}, {.device = Device::cuda(0)});  // 16 MiB more
    ADD_FAILURE() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("memory budget"), std::string::npos) << what;
    ASSERT_NE(e.report(), nullptr);
    const MemoryReport& r = *e.report();
    EXPECT_EQ(r.device, Device::cuda(0));
    EXPECT_EQ(r.requested_bytes, std::size_t{16} << 20);
    std::size_t sum = 0;
    for (std::size_t b : r.category_bytes) sum += b;
    EXPECT_EQ(sum, r.allocated_bytes);
    EXPECT_GE(r.bytes(MemoryCategory::kParameters), std::size_t{4} << 20);
  }
  set_memory_limit(Device::cuda(0), 0);
  const cuda::MemoryStats s = cuda::memory_stats(0);
  std::size_t sum = 0;
  for (std::size_t b : s.category_bytes) sum += b;
  EXPECT_EQ(sum, s.allocated_bytes);
  EXPECT_TRUE(testing::all_close(kept.sum().cpu(), {}, {1024.0 * 1024.0}, 0, 0));
}

TEST_F(CudaDeviceTest, OutOfMemorySaysWhatWasAskedAndWhatToTry) {
  const std::size_t total = cuda::device_properties(0).total_memory;
  const std::int64_t too_many_floats = static_cast<std::int64_t>(total / 4 * 2);
  IGNIS_EXPECT_THROW_MSG(empty({too_many_floats}, {.device = Device::cuda(0)}), OutOfMemoryError, "cuda:0",
                         "free", "batch size");
  // The device is still usable afterwards.
  EXPECT_TRUE(testing::all_close(ones({3}, {.device = Device::cuda(0)}) * 2, {3}, {2, 2, 2}, 0, 0));
}

}  // namespace
}  // namespace ignis

// The dlopen probes on this machine: missing libraries, the toolkit's stub libcuda, the build's
// own facts, and the whole probe set agreeing with what the machine is.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "diag/this_machine.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/diag/compat_tables.hpp"
#include "ignis/diag/probes.hpp"

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;

/// The toolkit's stub libcuda, when this machine has one.
std::string stub_libcuda() {
  for (const char* p :
       {"/usr/local/cuda/lib64/stubs/libcuda.so", "/usr/local/cuda/lib/stubs/libcuda.so",
        "/usr/local/cuda/targets/x86_64-linux/lib/stubs/libcuda.so"}) {
    if (fs::exists(p)) return p;
  }
  return "";
}

TEST(ProbeLibrary, MissingLibcudaIsAFactWithDlerror) {
  const DriverApiFacts d = probe_driver_api({.libcuda = "/nonexistent/libcuda.so.1"});
  EXPECT_FALSE(d.library.loaded);
  EXPECT_NE(d.library.error.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << d.library.error;
  EXPECT_FALSE(d.init_result.has_value());
  ASSERT_FALSE(d.observations.empty());
  EXPECT_EQ(d.observations[0].method, Observation::Method::kDlopen);
  const NvmlFacts n = probe_nvml({.libnvml = "/nonexistent/libnvidia-ml.so.1"});
  EXPECT_FALSE(n.library.loaded);
  EXPECT_FALSE(n.init_result.has_value());
}

TEST(ProbeLibrary, TheToolkitsStubLibcudaIsRecognised) {
  const std::string stub = stub_libcuda();
  if (stub.empty()) GTEST_SKIP() << "no CUDA toolkit stub libcuda on this machine";
  const DriverApiFacts d = probe_driver_api({.libcuda = stub});
  ASSERT_TRUE(d.library.loaded) << d.library.error;
  EXPECT_TRUE(d.is_stub);
  ASSERT_TRUE(d.init_result.has_value());
  EXPECT_EQ(*d.init_result, 34);  // CUDA_ERROR_STUB_LIBRARY
  EXPECT_NE(d.library.real_path.find("/stubs/"), std::string::npos) << d.library.real_path;
  EXPECT_TRUE(d.devices.empty());
}

TEST(ProbeLibrary, BuildFactsAreTheBuildInfo) {
  const BuildFacts b = probe_build();
  EXPECT_EQ(b.cuda_built, build_info::kCudaBuilt);
  EXPECT_EQ(b.toolkit_version, build_info::kCudaToolkitVersion);
  EXPECT_EQ(b.architectures.empty(), !build_info::kCudaBuilt);
  const PluginFacts p = probe_plugin();
  EXPECT_EQ(p.state == PluginFacts::State::kNotBuilt, !build_info::kCudaBuilt);
  if (p.state != PluginFacts::State::kLoaded) {
    EXPECT_FALSE(p.reason.empty());
  }
}

TEST(ProbeLibrary, CudaLibrariesReportTheirOwnVersions) {
  const BuildFacts b = probe_build();
  if (!b.cuda_built) GTEST_SKIP() << "this build has no CUDA";
  const auto libs = probe_cuda_libraries(b);
  ASSERT_EQ(libs.size(), 5u);
  for (const auto& l : libs) {
    if (!l.library.loaded) {
      EXPECT_FALSE(l.library.error.empty()) << l.name;
      continue;
    }
    EXPECT_FALSE(l.version.empty())
        << l.name << " loaded from " << l.library.path << " but gave no version";
    EXPECT_TRUE(fs::path(l.library.path).is_absolute()) << l.name << ": " << l.library.path;
  }
  if (libs[0].library.loaded) {
    EXPECT_EQ(Version::parse(libs[0].version).major(), Version::parse(b.toolkit_version).major());
  }
}

TEST(ProbeLibrary, RealProbesAgreeWithThisMachine) {
  const Facts f = gather_facts();
  EXPECT_EQ(f.hardware.gpu_count(), testing::nvidia_gpus_on_this_machine());
  EXPECT_EQ(f.kernel.version.has_value(), fs::exists("/proc/driver/nvidia/version"));
  if (!fs::exists("/proc/driver/nvidia/version")) {
    EXPECT_TRUE(f.driver.devices.empty());
    EXPECT_TRUE(f.nvml.devices.empty());
  }
  if (fs::exists("/.dockerenv")) {
    EXPECT_EQ(f.environment.container, EnvironmentFacts::Container::kDocker);
  }
  for (const auto& n : f.nvml.devices) EXPECT_FALSE(n.name.empty());
}

TEST(ProbeLibrary, CudaVersionEncoding) {
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(11080), "11.8");
}

TEST(ProbeLibrary, NvmlAndCudaOrderAreMatchedByBusId) {
  Facts f;
  f.nvml.devices.resize(2);
  f.nvml.devices[0].pci_bus_id = "00000000:17:00.0";
  f.nvml.devices[1].pci_bus_id = "00000000:65:00.0";
  f.driver.devices = {{0, "fast", 9, 0, 0, "0000:65:00.0"}, {1, "slow", 8, 6, 0, "0000:17:00.0"}};
  EXPECT_EQ(cuda_index_of_nvml_devices(f), (std::vector<int>{1, 0}));
  f.driver.devices.resize(1);  // CUDA_VISIBLE_DEVICES hid the second
  EXPECT_EQ(cuda_index_of_nvml_devices(f), (std::vector<int>{-1, 0}));
}

}  // namespace
}  // namespace ignis::diag

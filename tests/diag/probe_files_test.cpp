// File-based probes against fake /sys, /proc and /dev trees built in a temporary folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ignis/diag/probes.hpp"

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;

/// A fake root: files are written below a fresh temporary folder, removed afterwards.
class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ignis-fake-root-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& path, const std::string& text) {
    const fs::path p = root_ / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  /// A PCI function with vendor/device/class files and, optionally, a bound driver.
  void pci(const std::string& address, const std::string& vendor, const std::string& device,
           const std::string& cls, const std::string& driver = "") {
    const std::string dir = "sys/bus/pci/devices/" + address;
    write(dir + "/vendor", vendor + "\n");
    write(dir + "/device", device + "\n");
    write(dir + "/class", cls + "\n");
    if (!driver.empty()) {
      fs::create_directories(root_ / "sys/bus/pci/drivers" / driver);
      fs::create_directory_symlink(root_ / "sys/bus/pci/drivers" / driver, root_ / dir / "driver");
    }
  }
  ProbeOptions options() const { return {.root = root_}; }

  fs::path root_;
};

TEST_F(FakeRoot, NoNvidiaFunctionOnTheBus) {
  pci("0000:00:00.0", "0x8086", "0x0d57", "0x060000");
  pci("0000:00:03.0", "0x1af4", "0x1041", "0x020000", "virtio-pci");
  const HardwareFacts h = probe_hardware(options());
  EXPECT_TRUE(h.pci_readable);
  EXPECT_TRUE(h.nvidia.empty());
  EXPECT_EQ(h.gpu_count(), 0);
  ASSERT_FALSE(h.observations.empty());
  EXPECT_NE(h.observations[0].result.find("2 PCI functions, 0 with vendor 0x10de"),
            std::string::npos)
      << h.observations[0].result;
}

TEST_F(FakeRoot, NvidiaGpuWithItsAudioFunction) {
  pci("0000:65:00.0", "0x10de", "0x2330", "0x030200", "nvidia");
  pci("0000:65:00.1", "0x10de", "0x22a3", "0x040300", "snd_hda_intel");
  pci("0000:17:00.0", "0x10de", "0x1b80", "0x030000", "nouveau");
  const HardwareFacts h = probe_hardware(options());
  ASSERT_EQ(h.nvidia.size(), 3u);
  EXPECT_EQ(h.gpu_count(), 2);
  EXPECT_EQ(h.nvidia[0].address, "0000:17:00.0");  // sorted by bus address, like nvidia-smi
  EXPECT_EQ(h.nvidia[0].driver, "nouveau");
  EXPECT_EQ(h.nvidia[0].device_id, 0x1b80u);
  EXPECT_EQ(h.nvidia[1].driver, "nvidia");
  EXPECT_EQ(h.nvidia[1].class_code, 0x030200u);
  EXPECT_FALSE(h.nvidia[2].is_gpu());
}

TEST_F(FakeRoot, MissingPciFolderIsRecordedNotThrown) {
  const HardwareFacts h = probe_hardware(options());
  EXPECT_FALSE(h.pci_readable);
  ASSERT_FALSE(h.observations.empty());
  EXPECT_NE(h.observations[0].result.find("not readable"), std::string::npos);
}

TEST_F(FakeRoot, KernelDriverVersionAndDeviceNodes) {
  write("proc/driver/nvidia/version",
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
        "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n");
  for (const char* node :
       {"dev/nvidia0", "dev/nvidia1", "dev/nvidiactl", "dev/nvidia-uvm", "dev/null"})
    write(node, "");
  const KernelDriverFacts k = probe_kernel_driver(options());
  ASSERT_TRUE(k.version.has_value());
  EXPECT_EQ(*k.version, "550.54.14");
  EXPECT_EQ(k.version_line.find("NVRM version"), 0u);
  EXPECT_EQ(k.device_nodes, (std::vector<std::string>{"/dev/nvidia-uvm", "/dev/nvidia0",
                                                      "/dev/nvidia1", "/dev/nvidiactl"}));
  EXPECT_EQ(k.gpu_node_count(), 2);
  EXPECT_TRUE(k.has_node("/dev/nvidia-uvm"));
  EXPECT_FALSE(k.dxg_present);
  EXPECT_FALSE(k.nouveau_loaded);
}

TEST_F(FakeRoot, OpenKernelModuleNouveauAndDxg) {
  write("proc/driver/nvidia/version",
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  "
        "(dvs-builder@U16)\n");
  write("sys/module/nouveau/refcnt", "1\n");
  write("dev/dxg", "");
  const KernelDriverFacts k = probe_kernel_driver(options());
  EXPECT_EQ(k.version.value_or(""), "580.65.06");
  EXPECT_TRUE(k.nouveau_loaded);
  EXPECT_TRUE(k.dxg_present);
  EXPECT_TRUE(k.device_nodes.empty());
}

TEST_F(FakeRoot, NoDriverAtAll) {
  const KernelDriverFacts k = probe_kernel_driver(options());
  EXPECT_FALSE(k.version.has_value());
  EXPECT_TRUE(k.device_nodes.empty());
  ASSERT_FALSE(k.observations.empty());
  EXPECT_EQ(k.observations[0].result, "not found");
}

TEST_F(FakeRoot, UnwritableDeviceNodesAreReported) {
  if (geteuid() == 0)
    GTEST_SKIP() << "running as root: access() grants every permission, so none can be denied";
  write("dev/nvidia0", "");
  write("dev/nvidiactl", "");
  fs::permissions(root_ / "dev/nvidia0", fs::perms::none);
  const KernelDriverFacts k = probe_kernel_driver(options());
  EXPECT_EQ(k.inaccessible_nodes, std::vector<std::string>{"/dev/nvidia0"});
}

TEST_F(FakeRoot, ContainersByTheirMarkers) {
  ProbeOptions o = options();
  o.environment = std::map<std::string, std::string>{};
  EXPECT_EQ(probe_environment(o).container, EnvironmentFacts::Container::kNone);
  write("proc/1/cgroup", "0::/kubepods/besteffort/pod1234/abcd\n");
  EXPECT_EQ(probe_environment(o).container, EnvironmentFacts::Container::kKubernetes);
  write("run/.containerenv", "engine=\"podman-4.3.1\"\n");
  EXPECT_EQ(probe_environment(o).container, EnvironmentFacts::Container::kPodman);
  write(".dockerenv", "");
  const EnvironmentFacts e = probe_environment(o);
  EXPECT_EQ(e.container, EnvironmentFacts::Container::kDocker);
  EXPECT_NE(e.container_evidence.find(".dockerenv exists"), std::string::npos);
}

TEST_F(FakeRoot, WslAndTheCudaVariables) {
  write("proc/version",
        "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0) "
        "#1 SMP\n");
  ProbeOptions o = options();
  o.environment = std::map<std::string, std::string>{
      {"CUDA_VISIBLE_DEVICES", ""}, {"LD_LIBRARY_PATH", "/usr/local/cuda/lib64/stubs"}};
  const EnvironmentFacts e = probe_environment(o);
  EXPECT_TRUE(e.wsl);
  ASSERT_TRUE(e.cuda_visible_devices.has_value());  // set but empty differs from unset
  EXPECT_EQ(*e.cuda_visible_devices, "");
  EXPECT_FALSE(e.cuda_device_order.has_value());
  EXPECT_EQ(e.ld_library_path.value_or(""), "/usr/local/cuda/lib64/stubs");
  const auto unset =
      std::find_if(e.observations.begin(), e.observations.end(),
                   [](const Observation& x) { return x.subject == "CUDA_DEVICE_ORDER"; });
  ASSERT_NE(unset, e.observations.end());
  EXPECT_EQ(unset->result, "unset");
  EXPECT_EQ(unset->method, Observation::Method::kEnvironment);
}

}  // namespace
}  // namespace ignis::diag

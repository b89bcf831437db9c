// The verdict function on injected facts: hardware, kernel driver, libcuda, NVML, driver vs
// runtime, visibility and the environment. Each test breaks one link of a healthy machine and
// checks the first blocker, the exit code, and that the message and fix carry the values.
#include <gtest/gtest.h>

#include "diag/fake_facts.hpp"

namespace ignis::diag {
namespace {

using testing::blocked_by;
using testing::find;
using testing::fixes;
using testing::healthy_gpu;
using testing::no_gpu_machine;

bool skipped(const Diagnosis& d, Stage stage) {
  return std::any_of(d.skipped.begin(), d.skipped.end(),
                     [&](const SkippedStage& s) { return s.stage == stage; });
}

TEST(Verdict, HealthyGpuIsReady) {
  const Diagnosis d = diagnose(healthy_gpu());
  EXPECT_TRUE(d.gpu_usable) << d.verdict;
  EXPECT_EQ(d.exit_code(), 0);
  EXPECT_EQ(d.first_blocker(), nullptr);
  EXPECT_EQ(d.verdict.rfind("GPU ready: cuda:0 NVIDIA H100 80GB HBM3", 0), 0u) << d.verdict;
  for (const char* code :
       {"nvidia-gpu-present", "kernel-driver-loaded", "libcuda-ok", "nvml-ok", "cuda-build-ok",
        "plugin-ok", "driver-supports-runtime", "devices-visible", "arch-in-binary",
        "cuda-libraries-ok", "live-probes-ok"}) {
    ASSERT_NE(find(d, code), nullptr) << code;
    EXPECT_EQ(find(d, code)->severity, Severity::kOk) << code;
  }
  for (const auto& f : d.findings) EXPECT_EQ(f.severity, Severity::kOk) << f.code << ": " << f.seen;
}

TEST(Verdict, NoNvidiaHardware) {
  const Diagnosis d = diagnose(no_gpu_machine());
  ASSERT_TRUE(blocked_by(d, "no-nvidia-gpu", 2));
  EXPECT_NE(d.verdict.find("Training will run on the CPU"), std::string::npos) << d.verdict;
  EXPECT_NE(d.verdict.find("0x10de"), std::string::npos) << d.verdict;
  // Driver stages are skipped (not reported as more blockers), with the reason.
  for (Stage s : {Stage::kKernelDriver, Stage::kUserDriver, Stage::kNvml, Stage::kVisibility,
                  Stage::kArchitecture}) {
    EXPECT_TRUE(skipped(d, s)) << name(s);
  }
  EXPECT_EQ(find(d, "libcuda-missing"), nullptr);
  EXPECT_EQ(find(d, "no-kernel-driver"), nullptr);
}

TEST(Verdict, NoNvidiaHardwareInContainerSuggestsGpusAll) {
  Facts f = no_gpu_machine();
  f.environment.container = EnvironmentFacts::Container::kDocker;
  f.environment.container_evidence = "/.dockerenv exists";
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "no-nvidia-gpu", 2));
  EXPECT_NE(fixes(*d.first_blocker()).find("--gpus all"), std::string::npos);
  ASSERT_NE(find(d, "container-detected"), nullptr);
}

TEST(Verdict, PciUnreadableFallsBackToTheDriver) {
  Facts f = healthy_gpu();
  f.hardware = {};
  f.driver.devices.clear();
  f.nvml.devices.clear();
  f.driver.init_result = 100;
  const Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "pci-unreadable"), nullptr);
  EXPECT_EQ(find(d, "pci-unreadable")->severity, Severity::kWarning);
  ASSERT_TRUE(blocked_by(d, "no-cuda-device", 3));  // the chain went on to the driver
}

TEST(Verdict, NoKernelDriver) {
  Facts f = healthy_gpu();
  f.kernel = {};
  f.hardware.nvidia[0].driver = "";
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "no-kernel-driver", 3));
  EXPECT_NE(fixes(*d.first_blocker()).find("modprobe nvidia"), std::string::npos);
  EXPECT_TRUE(skipped(d, Stage::kUserDriver));
}

TEST(Verdict, NouveauHoldsTheGpu) {
  Facts f = healthy_gpu();
  f.kernel = {};
  f.kernel.nouveau_loaded = true;
  f.hardware.nvidia[0].driver = "nouveau";
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "nouveau-driver", 3));
  EXPECT_NE(d.first_blocker()->seen.find("0000:65:00.0"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("blacklist nouveau"), std::string::npos);
}

TEST(Verdict, GpuClaimedByVfio) {
  Facts f = healthy_gpu();
  f.kernel = {};
  f.hardware.nvidia[0].driver = "vfio-pci";
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "gpu-claimed-by-other-driver", 4));
  EXPECT_NE(d.first_blocker()->seen.find("vfio-pci"), std::string::npos);
}

TEST(Verdict, DeviceNodesMissing) {
  Facts f = healthy_gpu();
  f.kernel.device_nodes = {"/dev/nvidiactl"};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "device-nodes-missing", 3));
  EXPECT_NE(fixes(*d.first_blocker()).find("nvidia-modprobe"), std::string::npos);
}

TEST(Verdict, ContainerWithoutGpuAccess) {
  // Docker without --gpus: the host's PCI device and /proc/driver/nvidia are visible, /dev/nvidia*
  // and libcuda are not.
  Facts f = healthy_gpu();
  f.environment.container = EnvironmentFacts::Container::kDocker;
  f.environment.container_evidence = "/.dockerenv exists";
  f.kernel.device_nodes.clear();
  f.driver = no_gpu_machine().driver;
  f.nvml = no_gpu_machine().nvml;
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "container-no-gpu-access", 4));
  EXPECT_EQ(d.first_blocker()->stage, Stage::kEnvironment);
  EXPECT_NE(fixes(*d.first_blocker()).find("docker run --gpus all"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("nvidia-ctk"), std::string::npos);
  EXPECT_EQ(find(d, "container-detected"), nullptr);  // said once, as the blocker
}

TEST(Verdict, DevicePermissionDenied) {
  Facts f = healthy_gpu();
  f.kernel.inaccessible_nodes = {"/dev/nvidia0", "/dev/nvidiactl"};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "device-permission-denied", 4));
  EXPECT_NE(d.first_blocker()->seen.find("/dev/nvidia0"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("usermod"), std::string::npos);
}

TEST(Verdict, UvmNodeMissingWarnsAndExplainsCuInitFailure) {
  Facts f = healthy_gpu();
  f.kernel.device_nodes = {"/dev/nvidia0", "/dev/nvidiactl"};
  f.driver.init_result = 999;
  f.driver.devices.clear();
  const Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "uvm-node-missing"), nullptr);
  EXPECT_EQ(find(d, "uvm-node-missing")->severity, Severity::kWarning);
  ASSERT_TRUE(blocked_by(d, "cuinit-failed", 3));
  EXPECT_NE(d.first_blocker()->seen.find("999 (CUDA_ERROR_UNKNOWN)"), std::string::npos)
      << d.first_blocker()->seen;
  EXPECT_NE(fixes(*d.first_blocker()).find("modprobe nvidia-uvm"), std::string::npos);
}

TEST(Verdict, LibcudaMissing) {
  Facts f = healthy_gpu();
  f.driver = no_gpu_machine().driver;
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "libcuda-missing", 3));
  EXPECT_NE(d.first_blocker()->seen.find("cannot open shared object file"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("libnvidia-compute-580"), std::string::npos)
      << fixes(*d.first_blocker());
}

TEST(Verdict, StubLibcudaOnTheLibraryPath) {
  Facts f = healthy_gpu();
  f.environment.ld_library_path = "/opt/tools/lib:/usr/local/cuda/lib64/stubs";
  f.driver = {};
  f.driver.library = {"libcuda.so.1", true, "/usr/local/cuda/lib64/stubs/libcuda.so.1",
                      "/usr/local/cuda-13.0/lib/stubs/libcuda.so", ""};
  f.driver.is_stub = true;
  f.driver.init_result = 34;
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "stub-libcuda", 3));
  EXPECT_NE(d.first_blocker()->seen.find("34 (CUDA_ERROR_STUB_LIBRARY)"), std::string::npos)
      << d.first_blocker()->seen;
  EXPECT_NE(
      fixes(*d.first_blocker()).find("Remove /usr/local/cuda/lib64/stubs from LD_LIBRARY_PATH"),
      std::string::npos);
}

TEST(Verdict, LibcudaFromAnotherDriverVersion) {
  Facts f = healthy_gpu();
  f.driver.library.real_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.580.82.07";
  f.driver.file_version = "580.82.07";
  f.driver.init_result = 803;
  f.driver.devices.clear();
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "driver-version-mismatch", 3));
  EXPECT_NE(d.first_blocker()->seen.find("580.82.07"), std::string::npos);
  EXPECT_NE(d.first_blocker()->seen.find("580.65.06"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("Reboot"), std::string::npos);
}

TEST(Verdict, CuInitReportsNoDevice) {
  Facts f = healthy_gpu();
  f.driver.init_result = 100;
  f.driver.devices.clear();
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "no-cuda-device", 3));
  EXPECT_NE(d.first_blocker()->seen.find("100 (CUDA_ERROR_NO_DEVICE)"), std::string::npos);
}

TEST(Verdict, NvmlDriverLibraryMismatch) {
  Facts f = healthy_gpu();
  f.nvml.init_result = 18;
  f.nvml.init_error = "Driver/library version mismatch";
  f.nvml.devices.clear();
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "nvml-driver-mismatch", 3));
  EXPECT_NE(d.first_blocker()->seen.find("Driver/library version mismatch"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("rmmod"), std::string::npos);
}

TEST(Verdict, NvmlMissingOrFailingOnlyWarns) {
  Facts missing = healthy_gpu();
  missing.nvml = no_gpu_machine().nvml;
  Diagnosis d = diagnose(missing);
  ASSERT_NE(find(d, "nvml-missing"), nullptr);
  EXPECT_TRUE(d.gpu_usable);  // CUDA does not need NVML
  Facts failing = healthy_gpu();
  failing.nvml.init_result = 4;
  failing.nvml.init_error = "Insufficient Permissions";
  failing.nvml.devices.clear();
  d = diagnose(failing);
  ASSERT_NE(find(d, "nvml-failed"), nullptr);
  EXPECT_NE(find(d, "nvml-failed")->seen.find("NVML_ERROR_NO_PERMISSION"), std::string::npos);
  EXPECT_TRUE(d.gpu_usable);
}

TEST(Verdict, DriverOlderThanTheRuntime) {
  // Driver 550 (CUDA 12.4) under a CUDA 13.0 build: cudaErrorInsufficientDriver.
  Facts f = healthy_gpu();
  f.kernel.version = "550.54.14";
  f.driver.library.real_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14";
  f.driver.file_version = "550.54.14";
  f.driver.driver_version = 12040;
  f.nvml.driver_version = "550.54.14";
  f.nvml.cuda_driver_version = 12040;
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "driver-too-old", 3));
  EXPECT_NE(d.first_blocker()->seen.find("supports up to CUDA 12.4"), std::string::npos)
      << d.first_blocker()->seen;
  EXPECT_NE(d.first_blocker()->seen.find("CUDA 13.0 runtime"), std::string::npos);
  EXPECT_NE(d.first_blocker()->seen.find("needs driver >= 580"), std::string::npos);
  EXPECT_NE(fixes(*d.first_blocker()).find("580.65.06"), std::string::npos)
      << fixes(*d.first_blocker());
  EXPECT_NE(fixes(*d.first_blocker()).find("cuda-12.4"), std::string::npos);
}

TEST(Verdict, DriverOfAnOlderMinorRunsUnderMinorCompatibility) {
  Facts f = healthy_gpu();
  f.build.toolkit_version = "13.1.80";  // a newer 13.x runtime than the driver's 13.0
  f.libraries[0].version = "13.1";
  const Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "driver-minor-compat"), nullptr);
  EXPECT_EQ(find(d, "driver-minor-compat")->severity, Severity::kWarning);
  EXPECT_NE(fixes(*find(d, "driver-minor-compat")).find("590.44.01"), std::string::npos);
  EXPECT_TRUE(d.gpu_usable);
}

TEST(Verdict, CudaVisibleDevicesHidesEveryGpu) {
  for (const char* value : {"", "-1", "5"}) {
    Facts f = healthy_gpu();
    f.environment.cuda_visible_devices = value;
    f.driver.init_result = 100;
    f.driver.devices.clear();
    const Diagnosis d = diagnose(f);
    ASSERT_TRUE(blocked_by(d, "cuda-visible-devices-hides-all", 4))
        << "CUDA_VISIBLE_DEVICES=" << value;
    EXPECT_NE(d.first_blocker()->seen.find(std::string("CUDA_VISIBLE_DEVICES=\"") + value + "\""),
              std::string::npos);
    EXPECT_NE(d.first_blocker()->seen.find("0 of 1"), std::string::npos);
    EXPECT_NE(fixes(*d.first_blocker()).find("unset CUDA_VISIBLE_DEVICES"), std::string::npos);
  }
}

/// Two GPUs whose CUDA order (fastest first) is the reverse of nvidia-smi's bus order.
Facts two_gpus_reordered() {
  Facts f = healthy_gpu();
  f.hardware.nvidia = {{"0000:17:00.0", 0x2204, 0x030000, "nvidia"},
                       {"0000:65:00.0", 0x2330, 0x030200, "nvidia"}};
  NvmlDevice slow = f.nvml.devices[0];
  slow.name = "NVIDIA GeForce RTX 3090";
  slow.pci_bus_id = "00000000:17:00.0";
  slow.cc_major = 8;
  slow.cc_minor = 6;
  NvmlDevice fast = f.nvml.devices[0];
  fast.index = 1;
  f.nvml.devices = {slow, fast};
  f.driver.devices = {{0, "NVIDIA H100 80GB HBM3", 9, 0, 85520809984ull, "0000:65:00.0"},
                      {1, "NVIDIA GeForce RTX 3090", 8, 6, 25769803776ull, "0000:17:00.0"}};
  return f;
}

TEST(Verdict, CudaVisibleDevicesWithAnInvalidEntry) {
  Facts f = two_gpus_reordered();
  f.environment.cuda_visible_devices = "0,7,1";
  f.environment.cuda_device_order = "PCI_BUS_ID";
  f.driver.devices.resize(1);
  const Diagnosis d = diagnose(f);
  const Finding* w = find(d, "cuda-visible-devices-invalid-entry");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("entry \"7\""), std::string::npos) << w->seen;
  EXPECT_TRUE(d.gpu_usable);
}

TEST(Verdict, DeviceOrderDiffersFromNvidiaSmi) {
  Facts f = two_gpus_reordered();
  Diagnosis d = diagnose(f);
  const Finding* w = find(d, "device-order-differs");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("nvidia-smi 0 = cuda:1"), std::string::npos) << w->seen;
  EXPECT_NE(fixes(*w).find("CUDA_DEVICE_ORDER=PCI_BUS_ID"), std::string::npos);
  f.environment.cuda_device_order = "PCI_BUS_ID";  // the user already asked for bus order
  d = diagnose(f);
  EXPECT_EQ(find(d, "device-order-differs"), nullptr);
}

TEST(Verdict, ComputeModesMigAndFullMemory) {
  Facts f = healthy_gpu();
  f.nvml.devices[0].compute_mode = NvmlDevice::ComputeMode::kProhibited;
  ASSERT_TRUE(blocked_by(diagnose(f), "compute-mode-prohibited", 4));

  f = healthy_gpu();
  f.nvml.devices[0].compute_mode = NvmlDevice::ComputeMode::kExclusiveProcess;
  f.nvml.devices[0].mig_enabled = true;
  f.nvml.devices[0].memory_used = 80ull << 30;
  f.nvml.devices[0].compute_processes = 3;
  const Diagnosis d = diagnose(f);
  EXPECT_TRUE(d.gpu_usable);
  for (const char* code : {"compute-mode-exclusive", "mig-enabled", "gpu-memory-nearly-full"}) {
    ASSERT_NE(find(d, code), nullptr) << code;
    EXPECT_EQ(find(d, code)->severity, Severity::kWarning) << code;
  }
  EXPECT_NE(find(d, "gpu-memory-nearly-full")->seen.find("3 process(es)"), std::string::npos);
}

TEST(Verdict, WslWithTheWindowsDriver) {
  Facts f = healthy_gpu();
  f.environment.wsl = true;
  f.environment.kernel = "Linux version 5.15.153.1-microsoft-standard-WSL2";
  f.hardware.nvidia.clear();  // WSL shows no PCI device
  f.kernel = {};
  f.kernel.dxg_present = true;
  f.driver.library = {"libcuda.so.1", true, "/usr/lib/wsl/lib/libcuda.so.1",
                      "/usr/lib/wsl/lib/libcuda.so.1", ""};
  f.driver.file_version.clear();
  Diagnosis d = diagnose(f);
  EXPECT_TRUE(d.gpu_usable) << d.verdict;
  ASSERT_NE(find(d, "wsl-ok"), nullptr);
  EXPECT_TRUE(skipped(d, Stage::kKernelDriver));

  Facts linux_driver = f;  // a Linux driver installed inside WSL shadows the Windows one
  linux_driver.driver.library.path = "/usr/lib/x86_64-linux-gnu/libcuda.so.1";
  linux_driver.driver.library.real_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06";
  d = diagnose(linux_driver);
  ASSERT_TRUE(blocked_by(d, "wsl-linux-driver", 3));
  EXPECT_EQ(find(d, "wsl-ok"), nullptr);

  Facts wsl1 = f;
  wsl1.kernel.dxg_present = false;
  d = diagnose(wsl1);
  ASSERT_TRUE(blocked_by(d, "wsl-no-gpu-bridge", 3));
  EXPECT_NE(fixes(*d.first_blocker()).find("wsl --set-version"), std::string::npos);
}

}  // namespace
}  // namespace ignis::diag

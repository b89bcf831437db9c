#pragma once
// Facts of imagined machines for the verdict tests: a healthy one, then each test breaks one link
// of the chain. Values are real-world ones (an H100 on driver 580.65.06, CUDA 13.0 build).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "ignis/diag/findings.hpp"

namespace ignis::testing {

inline diag::Observation seen(const std::string& subject, const std::string& result) {
  return {diag::Observation::Method::kFile, subject, result};
}

/// One H100 on driver 580.65.06 (CUDA 13.0), an ignis build for CUDA 13.0.88 with every
/// architecture, the plugin loaded, every library present, live probes passed. No container.
inline diag::Facts healthy_gpu() {
  using namespace diag;
  Facts f;
  f.hardware.pci_readable = true;
  f.hardware.nvidia = {{"0000:65:00.0", 0x2330, 0x030200, "nvidia"},
                       {"0000:65:00.1", 0x22a3, 0x040300, "snd_hda_intel"}};
  f.kernel.version = "580.65.06";
  f.kernel.version_line =
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build";
  f.kernel.device_nodes = {"/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"};
  f.driver.library = {"libcuda.so.1", true, "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                      "/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06", ""};
  f.driver.file_version = "580.65.06";
  f.driver.init_result = 0;
  f.driver.driver_version = 13000;
  f.driver.device_count_result = 0;
  f.driver.devices = {{0, "NVIDIA H100 80GB HBM3", 9, 0, 85520809984ull, "0000:65:00.0"}};
  f.nvml.library = {"libnvidia-ml.so.1", true, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                    "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.65.06", ""};
  f.nvml.init_result = 0;
  f.nvml.init_error = "Success";
  f.nvml.driver_version = "580.65.06";
  f.nvml.cuda_driver_version = 13000;
  NvmlDevice n;
  n.index = 0;
  n.name = "NVIDIA H100 80GB HBM3";
  n.pci_bus_id = "00000000:65:00.0";
  n.memory_total = 85520809984ull;
  n.memory_used = 1ull << 29;
  n.utilization_gpu = 0;
  n.cc_major = 9;
  n.cc_minor = 0;
  n.compute_mode = NvmlDevice::ComputeMode::kDefault;
  n.compute_processes = 0;
  f.nvml.devices = {n};
  f.build.cuda_built = true;
  f.build.toolkit_version = "13.0.88";
  f.build.architectures = {"75-real", "80-real",  "86-real",  "87-real",  "88-real",  "89-real",
                           "90-real", "100-real", "103-real", "110-real", "120-real", "121"};
  f.build.cudnn_version = "9.19.0";
  f.build.nccl_version = "2.28.9";
  f.build.have_cublas = true;
  f.plugin.state = PluginFacts::State::kLoaded;
  f.plugin.path = "/opt/ignis/lib/libignis_cuda.so";
  const auto lib = [](const std::string& name, const std::string& soname,
                      const std::string& version) {
    CudaLibraryFacts l;
    l.name = name;
    l.library = {soname, true, "/usr/local/cuda/lib64/" + soname,
                 "/usr/local/cuda-13.0/lib/" + soname, ""};
    l.version = version;
    return l;
  };
  f.libraries = {lib("cudart", "libcudart.so.13", "13.0"),
                 lib("cublas", "libcublas.so.13", "13.1.0"),
                 lib("cublasLt", "libcublasLt.so.13", "13.1.0"),
                 lib("cudnn", "libcudnn.so.9", "9.19.0"), lib("nccl", "libnccl.so.2", "2.28.9")};
  f.environment.kernel = "Linux version 6.8.0-45-generic";
  f.live.state = LiveProbeFacts::State::kPassed;
  f.live.device = "cuda:0";
  f.live.kernel_ok = true;
  f.live.gemm_max_error = 2e-6;
  f.live.h2d_gbps = 25.0;
  f.live.d2h_gbps = 26.0;
  f.live.gemm_tflops = 48.0;
  return f;
}

/// This container: no NVIDIA hardware, no driver, the same CUDA 13.0 build whose plugin declines.
inline diag::Facts no_gpu_machine() {
  using namespace diag;
  Facts f = healthy_gpu();
  f.hardware.nvidia.clear();
  f.kernel = {};
  f.driver = {};
  f.driver.library = {"libcuda.so.1", false, "", "",
                      "libcuda.so.1: cannot open shared object file: No such file or directory"};
  f.nvml = {};
  f.nvml.library = {"libnvidia-ml.so.1", false, "", "",
                    "libnvidia-ml.so.1: cannot open shared object file: No such file or directory"};
  f.live = {};
  return f;
}

/// A framework as the check script reports it: checked with a version and, for a CUDA build,
/// the CUDA version (nullopt: a CPU-only build).
inline diag::FrameworkFacts framework(const std::string& name, const std::string& version,
                                      std::optional<std::string> cuda, bool gpu_available) {
  diag::FrameworkFacts fw;
  fw.name = name;
  fw.state = diag::FrameworkFacts::State::kChecked;
  fw.version = version;
  fw.cuda = cuda;
  fw.built_with_cuda = cuda.has_value();
  fw.gpu_available = gpu_available;
  fw.device_count = gpu_available ? 1 : 0;
  return fw;
}

inline diag::FrameworkFacts not_installed(const std::string& name) {
  diag::FrameworkFacts fw;
  fw.name = name;
  fw.state = diag::FrameworkFacts::State::kNotInstalled;
  return fw;
}

/// An interpreter found as `source` with `frameworks` (torch and tensorflow, not installed unless
/// given). `primary` marks the one `python3` on PATH runs.
inline diag::PythonFacts interpreter(const std::string& executable, diag::PythonSource source,
                                     std::vector<diag::FrameworkFacts> frameworks = {},
                                     bool primary = false) {
  diag::PythonFacts py;
  py.command = executable;
  py.executable = executable;
  py.real_executable = executable;
  py.version = "3.11.7";
  py.found_as = {std::move(source)};
  py.primary = primary;
  for (const char* name : {"torch", "tensorflow"}) {
    const auto it = std::find_if(frameworks.begin(), frameworks.end(),
                                 [&](const diag::FrameworkFacts& f) { return f.name == name; });
    py.frameworks.push_back(it == frameworks.end() ? not_installed(name) : *it);
  }
  return py;
}

/// The interpreter `python3` on PATH runs (/usr/bin/python3 unless told), with `frameworks`.
inline diag::PythonFacts python3(std::vector<diag::FrameworkFacts> frameworks = {},
                                 const std::string& executable = "/usr/bin/python3") {
  return interpreter(executable, {diag::PythonSource::Kind::kPath, "python3", ""},
                     std::move(frameworks), true);
}

/// `facts` with --frameworks checked over exactly these interpreters.
inline diag::Facts with_pythons(diag::Facts facts, std::vector<diag::PythonFacts> pythons) {
  facts.python.checked = true;
  facts.python.interpreters = std::move(pythons);
  return facts;
}

inline const diag::Finding* find(const diag::Diagnosis& d, const std::string& code) {
  const auto it = std::find_if(d.findings.begin(), d.findings.end(),
                               [&](const diag::Finding& f) { return f.code == code; });
  return it == d.findings.end() ? nullptr : &*it;
}

/// The first blocker is `code`, with exit code `exit`, a why and a fix; the GPU is not usable.
inline ::testing::AssertionResult blocked_by(const diag::Diagnosis& d, const std::string& code,
                                             int exit) {
  const diag::Finding* b = d.first_blocker();
  if (b == nullptr) return ::testing::AssertionFailure() << "no blocker; verdict: " << d.verdict;
  if (b->code != code)
    return ::testing::AssertionFailure()
           << "first blocker " << b->code << " (" << b->seen << "), expected " << code;
  if (d.gpu_usable) return ::testing::AssertionFailure() << "a blocker but gpu_usable";
  if (d.exit_code() != exit)
    return ::testing::AssertionFailure() << "exit code " << d.exit_code() << ", expected " << exit;
  if (b->fix.empty() || b->why.empty())
    return ::testing::AssertionFailure() << code << " has no why or no fix";
  return ::testing::AssertionSuccess();
}

/// All fix steps of a finding in one string, for "the fix mentions X" checks.
inline std::string fixes(const diag::Finding& f) {
  std::string out;
  for (const auto& s : f.fix) out += s + "\n";
  return out;
}

}  // namespace ignis::testing

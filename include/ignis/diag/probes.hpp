#pragma once
// Probes: gather Facts from this machine. None of them throws; every failure is recorded as a
// fact with how it was observed. File-based probes read below `root`, so tests can point them at
// a fake /proc, /sys and /dev tree. Library probes dlopen by name and call through dlsym: libignis
// never links a CUDA library.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ignis/diag/facts.hpp"

namespace ignis::diag {

struct ProbeOptions {
  /// Prefix of /proc, /sys, /dev and /.dockerenv ("/" on a real machine).
  std::filesystem::path root = "/";
  /// Environment variables to use instead of the process environment (tests).
  std::optional<std::map<std::string, std::string>> environment;
  /// Library names (or paths) to dlopen.
  std::string libcuda = "libcuda.so.1";
  std::string libnvml = "libnvidia-ml.so.1";
};

/// NVIDIA PCI functions: vendor 0x10de under <root>/sys/bus/pci/devices.
HardwareFacts probe_hardware(const ProbeOptions& options = {});
/// <root>/proc/driver/nvidia/version, <root>/dev/nvidia*, <root>/dev/dxg,
/// <root>/sys/module/nouveau.
KernelDriverFacts probe_kernel_driver(const ProbeOptions& options = {});
/// CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER, LD_LIBRARY_PATH, containers, WSL.
EnvironmentFacts probe_environment(const ProbeOptions& options = {});
/// libcuda.so.1: where it came from, stub or not, cuInit, cuDriverGetVersion, devices.
DriverApiFacts probe_driver_api(const ProbeOptions& options = {});
/// libnvidia-ml.so.1: driver version, "CUDA Version", devices with memory and utilisation.
NvmlFacts probe_nvml(const ProbeOptions& options = {});
/// The generated build_info: CUDA built or not, toolkit, architectures.
BuildFacts probe_build();
/// The CUDA backend plugin's load result (loads it on first use, like any CUDA tensor would).
PluginFacts probe_plugin();
/// cudart, cuBLAS, cuBLASLt, cuDNN and NCCL, with the sonames this build expects.
std::vector<CudaLibraryFacts> probe_cuda_libraries(const BuildFacts& build);

/// Every probe above (not the live probes, not the Python frameworks). Fast: no GPU work.
Facts gather_facts(const ProbeOptions& options = {});

/// CUDA's device index for each NVML device (matched by PCI bus id; -1 when CUDA does not show
/// it), so `ignis info` can print both numberings.
std::vector<int> cuda_index_of_nvml_devices(const Facts& facts);

/// "12.4" from 12040 (the CUDA version encoding of cuDriverGetVersion/cudaRuntimeGetVersion).
std::string cuda_version_string(int encoded);

}  // namespace ignis::diag

// NVML (libnvidia-ml.so.1), the library behind nvidia-smi: driver version, the highest CUDA
// version the driver supports, and the devices in nvidia-smi's order. Declared here from the
// stable C ABI of nvml.h, which the CUDA toolkit does not always ship.
#include <fmt/format.h>

#include "dynamic_library.hpp"
#include "error_names.hpp"
#include "ignis/diag/probes.hpp"

namespace ignis::diag {

namespace {

using NvmlDevice_t = void*;
struct NvmlMemory {
  unsigned long long total, free, used;
};
struct NvmlUtilization {
  unsigned gpu, memory;
};
// nvmlPciInfo_t: the integer fields sit at offset 16 in every version of the struct (busIdLegacy
// or busId[16] first); only they are read. Room to spare for the larger versions.
struct NvmlPciInfo {
  char bus_id_legacy[16];
  unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
  char rest[128];
};

using Init = int (*)();
using ErrorString = const char* (*)(int);
using GetDriverVersion = int (*)(char*, unsigned);
using GetCudaDriverVersion = int (*)(int*);
using GetCount = int (*)(unsigned*);
using GetHandle = int (*)(unsigned, NvmlDevice_t*);
using GetName = int (*)(NvmlDevice_t, char*, unsigned);
using GetPci = int (*)(NvmlDevice_t, NvmlPciInfo*);
using GetMemory = int (*)(NvmlDevice_t, NvmlMemory*);
using GetUtilization = int (*)(NvmlDevice_t, NvmlUtilization*);
using GetCc = int (*)(NvmlDevice_t, int*, int*);
using GetComputeMode = int (*)(NvmlDevice_t, int*);
using GetMigMode = int (*)(NvmlDevice_t, unsigned*, unsigned*);
using GetProcesses = int (*)(NvmlDevice_t, unsigned*, void*);

NvmlDevice::ComputeMode compute_mode_of(int mode) {
  switch (mode) {
    case 0:
      return NvmlDevice::ComputeMode::kDefault;
    case 1:
      return NvmlDevice::ComputeMode::kExclusiveThread;
    case 2:
      return NvmlDevice::ComputeMode::kProhibited;
    case 3:
      return NvmlDevice::ComputeMode::kExclusiveProcess;
    default:
      return NvmlDevice::ComputeMode::kUnknown;
  }
}

}  // namespace

NvmlFacts probe_nvml(const ProbeOptions& options) {
  NvmlFacts facts;
  void* lib = detail::load_library(options.libnvml, facts.library, facts.observations);
  if (lib == nullptr) return facts;
  auto init = detail::symbol<Init>(lib, "nvmlInit_v2");
  if (init == nullptr) init = detail::symbol<Init>(lib, "nvmlInit");
  const auto error_string = detail::symbol<ErrorString>(lib, "nvmlErrorString");
  if (init == nullptr) {
    facts.observations.push_back(
        {Observation::Method::kCall, "dlsym(nvmlInit_v2)", "symbol not found"});
    return facts;
  }
  const int rc = init();
  facts.init_result = rc;
  facts.init_error =
      error_string && error_string(rc) ? error_string(rc) : detail::nvml_error_name(rc);
  facts.observations.push_back(
      {Observation::Method::kCall, "nvmlInit_v2",
       fmt::format("{} ({}: {})", rc, detail::nvml_error_name(rc), facts.init_error)});
  if (rc != detail::kNvmlSuccess) return facts;
  // Balances nvmlInit (NVML counts them) on every way out.
  struct Shutdown {
    int (*fn)();
    ~Shutdown() {
      if (fn) fn();
    }
  } shutdown{detail::symbol<Init>(lib, "nvmlShutdown")};

  if (const auto version = detail::symbol<GetDriverVersion>(lib, "nvmlSystemGetDriverVersion")) {
    char text[96] = {};
    if (version(text, sizeof(text)) == 0) facts.driver_version = text;
  }
  auto cuda_version =
      detail::symbol<GetCudaDriverVersion>(lib, "nvmlSystemGetCudaDriverVersion_v2");
  if (cuda_version == nullptr)
    cuda_version = detail::symbol<GetCudaDriverVersion>(lib, "nvmlSystemGetCudaDriverVersion");
  if (cuda_version) {
    int v = 0;
    if (cuda_version(&v) == 0 && v > 0) facts.cuda_driver_version = v;
  }
  facts.observations.push_back(
      {Observation::Method::kCall, "nvmlSystemGetDriverVersion, nvmlSystemGetCudaDriverVersion",
       fmt::format(
           "driver {}, CUDA {}", facts.driver_version.empty() ? "?" : facts.driver_version,
           facts.cuda_driver_version ? cuda_version_string(*facts.cuda_driver_version) : "?")});

  auto count = detail::symbol<GetCount>(lib, "nvmlDeviceGetCount_v2");
  auto handle_of = detail::symbol<GetHandle>(lib, "nvmlDeviceGetHandleByIndex_v2");
  auto pci = detail::symbol<GetPci>(lib, "nvmlDeviceGetPciInfo_v3");
  if (pci == nullptr) pci = detail::symbol<GetPci>(lib, "nvmlDeviceGetPciInfo_v2");
  const auto get_name = detail::symbol<GetName>(lib, "nvmlDeviceGetName");
  const auto memory = detail::symbol<GetMemory>(lib, "nvmlDeviceGetMemoryInfo");
  const auto utilization = detail::symbol<GetUtilization>(lib, "nvmlDeviceGetUtilizationRates");
  const auto cc = detail::symbol<GetCc>(lib, "nvmlDeviceGetCudaComputeCapability");
  const auto mode = detail::symbol<GetComputeMode>(lib, "nvmlDeviceGetComputeMode");
  const auto mig = detail::symbol<GetMigMode>(lib, "nvmlDeviceGetMigMode");
  auto processes = detail::symbol<GetProcesses>(lib, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (processes == nullptr)
    processes = detail::symbol<GetProcesses>(lib, "nvmlDeviceGetComputeRunningProcesses");
  unsigned n = 0;
  if (count == nullptr || handle_of == nullptr || count(&n) != 0) {
    facts.observations.push_back({Observation::Method::kCall, "nvmlDeviceGetCount_v2", "failed"});
    return facts;
  }
  for (unsigned i = 0; i < n; ++i) {
    NvmlDevice_t handle = nullptr;
    if (handle_of(i, &handle) != 0) continue;
    NvmlDevice device;
    device.index = static_cast<int>(i);
    char text[96] = {};
    if (get_name && get_name(handle, text, sizeof(text)) == 0) device.name = text;
    NvmlPciInfo info{};
    if (pci && pci(handle, &info) == 0) {
      device.pci_bus_id = fmt::format("{:08X}:{:02X}:{:02X}.0", info.domain, info.bus, info.device);
    }
    NvmlMemory mem{};
    if (memory && memory(handle, &mem) == 0) {
      device.memory_total = mem.total;
      device.memory_used = mem.used;
    }
    NvmlUtilization use{};
    if (utilization && utilization(handle, &use) == 0) device.utilization_gpu = use.gpu;
    int major = 0, minor = 0;
    if (cc && cc(handle, &major, &minor) == 0) {
      device.cc_major = major;
      device.cc_minor = minor;
    }
    int compute_mode = -1;
    if (mode && mode(handle, &compute_mode) == 0)
      device.compute_mode = compute_mode_of(compute_mode);
    unsigned current = 0, pending = 0;
    device.mig_enabled = mig && mig(handle, &current, &pending) == 0 && current == 1;
    unsigned procs = 0;
    if (processes) {
      const int prc = processes(handle, &procs, nullptr);
      if (prc == detail::kNvmlSuccess || prc == detail::kNvmlErrorInsufficientSize)
        device.compute_processes = procs;
    }
    facts.observations.push_back(
        {Observation::Method::kCall, fmt::format("nvmlDevice*({})", i),
         fmt::format(
             "{}, bus {}, memory {}/{} bytes used, utilisation {}%, compute capability {}.{}",
             device.name, device.pci_bus_id, device.memory_used.value_or(0),
             device.memory_total.value_or(0), device.utilization_gpu.value_or(0),
             device.cc_major.value_or(0), device.cc_minor.value_or(0))});
    facts.devices.push_back(device);
  }
  return facts;
}

}  // namespace ignis::diag

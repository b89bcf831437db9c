// The user-space driver, libcuda.so.1, through dlopen/dlsym only. The call sequence is the one a
// CUDA program makes (cuInit, cuDriverGetVersion, cuDeviceGetCount, per-device queries), so a
// failure here is the failure the CUDA backend would hit, with its code.
#include <fmt/format.h>

#include <cstddef>

#include "dynamic_library.hpp"
#include "error_names.hpp"
#include "ignis/diag/probes.hpp"

namespace ignis::diag {

namespace {

// The driver API's C signatures (cuda.h); CUdevice is an int, CUresult an enum (int).
using CuInit = int (*)(unsigned);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceGetAttribute = int (*)(int*, int, int);
using CuDeviceTotalMem = int (*)(std::size_t*, int);
using CuDeviceGetPciBusId = int (*)(char*, int, int);

constexpr int kAttributeCcMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttributeCcMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

void call(DriverApiFacts& facts, const std::string& what, int result) {
  facts.observations.push_back({Observation::Method::kCall, what, detail::cuda_result(result)});
}

}  // namespace

DriverApiFacts probe_driver_api(const ProbeOptions& options) {
  DriverApiFacts facts;
  void* lib = detail::load_library(options.libcuda, facts.library, facts.observations);
  if (lib == nullptr) return facts;
  facts.file_version = detail::version_from_file_name(facts.library.real_path, "libcuda");
  const bool stub_path = facts.library.path.find("/stubs/") != std::string::npos ||
                         facts.library.real_path.find("/stubs/") != std::string::npos;

  const auto init = detail::symbol<CuInit>(lib, "cuInit");
  if (init == nullptr) {
    facts.observations.push_back({Observation::Method::kCall, "dlsym(cuInit)", "symbol not found"});
    facts.is_stub = stub_path;
    return facts;
  }
  facts.init_result = init(0);
  call(facts, "cuInit(0)", *facts.init_result);
  facts.is_stub = stub_path || *facts.init_result == detail::kCudaErrorStubLibrary;

  if (const auto version = detail::symbol<CuDriverGetVersion>(lib, "cuDriverGetVersion")) {
    int v = 0;
    const int rc = version(&v);
    if (rc == detail::kCudaSuccess && v > 0) facts.driver_version = v;
    facts.observations.push_back({Observation::Method::kCall, "cuDriverGetVersion",
                                  rc == 0 ? fmt::format("{} (CUDA {})", v, cuda_version_string(v))
                                          : detail::cuda_result(rc)});
  }
  if (*facts.init_result != detail::kCudaSuccess) return facts;

  const auto count = detail::symbol<CuDeviceGetCount>(lib, "cuDeviceGetCount");
  const auto get = detail::symbol<CuDeviceGet>(lib, "cuDeviceGet");
  const auto get_name = detail::symbol<CuDeviceGetName>(lib, "cuDeviceGetName");
  const auto attribute = detail::symbol<CuDeviceGetAttribute>(lib, "cuDeviceGetAttribute");
  auto total_mem = detail::symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem_v2");
  const auto bus_id = detail::symbol<CuDeviceGetPciBusId>(lib, "cuDeviceGetPCIBusId");
  if (!count || !get || !get_name || !attribute || !total_mem || !bus_id) {
    facts.observations.push_back({Observation::Method::kCall, "dlsym(cuDevice*)",
                                  "a device query is missing from this libcuda"});
    return facts;
  }
  int n = 0;
  facts.device_count_result = count(&n);
  facts.observations.push_back({Observation::Method::kCall, "cuDeviceGetCount",
                                *facts.device_count_result == 0
                                    ? fmt::format("{} devices", n)
                                    : detail::cuda_result(*facts.device_count_result)});
  if (*facts.device_count_result != detail::kCudaSuccess) return facts;
  for (int i = 0; i < n; ++i) {
    CudaDevice device;
    device.index = i;
    int handle = 0;
    if (get(&handle, i) != detail::kCudaSuccess) continue;
    char text[256] = {};
    if (get_name(text, sizeof(text), handle) == 0) device.name = text;
    attribute(&device.cc_major, kAttributeCcMajor, handle);
    attribute(&device.cc_minor, kAttributeCcMinor, handle);
    std::size_t bytes = 0;
    if (total_mem(&bytes, handle) == 0) device.total_memory = bytes;
    char bus[64] = {};
    if (bus_id(bus, sizeof(bus), handle) == 0) device.pci_bus_id = bus;
    facts.observations.push_back(
        {Observation::Method::kCall, fmt::format("cuDeviceGet*({})", i),
         fmt::format("{}, compute capability {}.{}, {} bytes, bus {}", device.name, device.cc_major,
                     device.cc_minor, device.total_memory, device.pci_bus_id)});
    facts.devices.push_back(device);
  }
  return facts;
}

std::string cuda_version_string(int encoded) {
  return fmt::format("{}.{}", encoded / 1000, (encoded % 1000) / 10);
}

}  // namespace ignis::diag

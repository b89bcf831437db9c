// Facts about this build of ignis, its CUDA plugin and the CUDA libraries it would use, plus
// gather_facts() which runs every probe.
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <sstream>

#include "backend/cuda_plugin.hpp"
#include "dynamic_library.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/diag/compat_tables.hpp"
#include "ignis/diag/probes.hpp"

namespace ignis::diag {

namespace {

/// Tries each soname in turn; keeps the first that loads (or the last failure).
void* load_first(const std::vector<std::string>& names, CudaLibraryFacts& facts) {
  for (const auto& soname : names) {
    void* lib = detail::load_library(soname, facts.library, facts.observations);
    if (lib) return lib;
  }
  return nullptr;
}

std::vector<std::string> sonames(const std::string& stem, const std::vector<int>& majors) {
  std::vector<std::string> out;
  for (int m : majors) out.push_back(fmt::format("lib{}.so.{}", stem, m));
  return out;
}

/// Encoded library versions: "major*10000 + minor*100 + patch" from cuDNN 9 / NCCL 2.9 on,
/// "major*1000 + minor*100 + patch" before.
std::string decode_version(std::size_t v, std::size_t new_scheme_from) {
  const std::size_t major_unit = v >= new_scheme_from ? 10000 : 1000;
  return fmt::format("{}.{}.{}", v / major_unit, (v % major_unit) / 100, v % 100);
}

CudaLibraryFacts probe_library(const std::string& name, const std::vector<std::string>& names) {
  CudaLibraryFacts facts;
  facts.name = name;
  void* lib = load_first(names, facts);
  if (lib == nullptr) return facts;
  auto record = [&](const std::string& call) {
    facts.observations.push_back(
        {Observation::Method::kCall, call, facts.version.empty() ? "no version" : facts.version});
  };
  if (name == "cudart") {
    if (auto fn = detail::symbol<int (*)(int*)>(lib, "cudaRuntimeGetVersion")) {
      int v = 0;
      if (fn(&v) == 0) facts.version = cuda_version_string(v);
      record("cudaRuntimeGetVersion");
    }
  } else if (name == "cublas") {
    if (auto fn = detail::symbol<int (*)(int, int*)>(lib, "cublasGetProperty")) {
      int parts[3] = {};
      bool ok = true;
      for (int i = 0; i < 3; ++i) ok = ok && fn(i, &parts[i]) == 0;  // MAJOR, MINOR, PATCH_LEVEL
      if (ok) facts.version = fmt::format("{}.{}.{}", parts[0], parts[1], parts[2]);
      record("cublasGetProperty");
    }
  } else if (name == "cublasLt") {
    if (auto fn = detail::symbol<std::size_t (*)()>(lib, "cublasLtGetVersion")) {
      facts.version = decode_version(fn(), 0);
      record("cublasLtGetVersion");
    }
  } else if (name == "cudnn") {
    if (auto fn = detail::symbol<std::size_t (*)()>(lib, "cudnnGetVersion")) {
      facts.version = decode_version(fn(), 90000);
      record("cudnnGetVersion");
    }
  } else if (name == "nccl") {
    if (auto fn = detail::symbol<int (*)(int*)>(lib, "ncclGetVersion")) {
      int v = 0;
      if (fn(&v) == 0) facts.version = decode_version(static_cast<std::size_t>(v), 20900);
      record("ncclGetVersion");
    }
  }
  return facts;
}

/// "0000:65:00.0" and "00000000:65:00.0" name the same function.
std::string normalized_bus_id(const std::string& id) {
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  if (std::sscanf(id.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4) return id;
  return fmt::format("{:x}:{:x}:{:x}.{:x}", domain, bus, device, function);
}

}  // namespace

BuildFacts probe_build() {
  BuildFacts facts;
  facts.cuda_built = build_info::kCudaBuilt;
  facts.not_built_reason = build_info::kCudaNotBuiltReason;
  facts.toolkit_version = build_info::kCudaToolkitVersion;
  std::istringstream archs(build_info::kCudaArchitectures);
  for (std::string a; archs >> a;) facts.architectures.push_back(a);
  facts.cudnn_version = build_info::kCudnnVersion;
  facts.nccl_version = build_info::kNcclVersion;
  facts.have_cublas = build_info::kHaveCublas;
  facts.observations.push_back(
      {Observation::Method::kBuild, "ignis/core/build_info.hpp",
       facts.cuda_built
           ? fmt::format("CUDA {} for {}", facts.toolkit_version, build_info::kCudaArchitectures)
           : "built without CUDA: " + facts.not_built_reason});
  return facts;
}

PluginFacts probe_plugin() {
  const auto& status = backend::cuda_plugin_status();
  PluginFacts facts;
  using State = backend::CudaPluginStatus::State;
  switch (status.state) {
    case State::kNotBuilt:
      facts.state = PluginFacts::State::kNotBuilt;
      break;
    case State::kLoadFailed:
      facts.state = PluginFacts::State::kLoadFailed;
      break;
    case State::kCreateFailed:
      facts.state = PluginFacts::State::kDeclined;
      break;
    case State::kLoaded:
      facts.state = PluginFacts::State::kLoaded;
      break;
  }
  facts.path = status.path;
  facts.reason = status.reason;
  facts.observations.push_back(
      {Observation::Method::kDlopen, status.path.empty() ? "(no plugin)" : status.path,
       status.state == State::kLoaded ? "loaded; CUDA backend created" : status.reason});
  return facts;
}

std::vector<CudaLibraryFacts> probe_cuda_libraries(const BuildFacts& build) {
  // The sonames this build's plugin links; without a CUDA build, whatever CUDA is installed.
  std::vector<int> majors = {13, 12, 11};
  if (build.cuda_built) majors = {Version::parse(build.toolkit_version).major()};
  std::vector<int> cudnn_majors = {9, 8};
  if (!build.cudnn_version.empty()) cudnn_majors = {Version::parse(build.cudnn_version).major()};
  return {
      probe_library("cudart", sonames("cudart", majors)),
      probe_library("cublas", sonames("cublas", majors)),
      probe_library("cublasLt", sonames("cublasLt", majors)),
      probe_library("cudnn", sonames("cudnn", cudnn_majors)),
      probe_library("nccl", {"libnccl.so.2"}),
  };
}

Facts gather_facts(const ProbeOptions& options) {
  Facts facts;
  facts.environment = probe_environment(options);
  facts.hardware = probe_hardware(options);
  facts.kernel = probe_kernel_driver(options);
  facts.driver = probe_driver_api(options);
  facts.nvml = probe_nvml(options);
  facts.build = probe_build();
  facts.plugin = probe_plugin();
  // Without a CUDA build no CUDA library would be used: loading them (cuBLASLt alone is 500 MB)
  // would only cost time.
  if (facts.build.cuda_built) facts.libraries = probe_cuda_libraries(facts.build);
  return facts;
}

std::vector<int> cuda_index_of_nvml_devices(const Facts& facts) {
  std::vector<int> out;
  for (const auto& n : facts.nvml.devices) {
    int index = -1;
    for (const auto& c : facts.driver.devices) {
      if (!c.pci_bus_id.empty() &&
          normalized_bus_id(c.pci_bus_id) == normalized_bus_id(n.pci_bus_id))
        index = c.index;
    }
    out.push_back(index);
  }
  return out;
}

}  // namespace ignis::diag

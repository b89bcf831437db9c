#include "ignis/diag/system_info.hpp"

#include <dnnl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "backend/cuda_plugin.hpp"
#include "ignis/backend/cuda.hpp"
#include "ignis/core/build_info.hpp"

namespace ignis::diag {

CpuInfo cpu_info() {
  CpuInfo info;
  info.logical_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && info.model.empty()) info.model = value;
    if (key == "flags" && flags.empty()) {
      std::istringstream words(value);
      for (std::string w; words >> w;) flags.insert(w);
    }
  }
  for (const char* f : {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni",
                        "avx512_bf16", "amx_tile"}) {
    if (flags.count(f)) info.features.emplace_back(f);
  }
  return info;
}

OneDnnInfo onednn_info() {
  OneDnnInfo info;
  const dnnl_version_t* v = dnnl_version();
  info.version = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: info.isa = "sse4.1"; break;
    case dnnl_cpu_isa_avx: info.isa = "avx"; break;
    case dnnl_cpu_isa_avx2: info.isa = "avx2"; break;
    case dnnl_cpu_isa_avx512_core: info.isa = "avx512"; break;
    case dnnl_cpu_isa_avx512_core_vnni: info.isa = "avx512+vnni"; break;
    case dnnl_cpu_isa_avx512_core_bf16: info.isa = "avx512+bf16"; break;
    case dnnl_cpu_isa_avx512_core_amx: info.isa = "avx512+amx"; break;
    default: info.isa = "other"; break;
  }
  return info;
}

CudaBackendStatus cuda_backend_status() {
  const auto& plugin = backend::cuda_plugin_status();
  CudaBackendStatus status;
  status.built = build_info::kCudaBuilt;
  status.available = plugin.backend != nullptr;
  status.plugin_path = plugin.path;
  status.reason = plugin.reason;
  status.reason_kind = cuda::name(cuda::unavailable_reason().kind);
  return status;
}

}  // namespace ignis::diag

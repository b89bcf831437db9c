// `ignis doctor --json`. The shape is data/doctor.schema.json; a test validates this output
// against it. Unknown values are null, never omitted, so consumers can tell "not observed" apart.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ignis/core/build_info.hpp"
#include "ignis/diag/doctor.hpp"

namespace ignis::diag {

namespace {

using nlohmann::json;

template <typename T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json cuda_version_or_null(const std::optional<int>& v) {
  return v ? json(cuda_version_string(*v)) : json(nullptr);
}

json library_json(const LibraryLoad& l) {
  return {{"requested", l.requested},
          {"loaded", l.loaded},
          {"path", l.path},
          {"real_path", l.real_path},
          {"error", l.error}};
}

std::string state_name(PluginFacts::State s) {
  switch (s) {
    case PluginFacts::State::kNotBuilt:
      return "not-built";
    case PluginFacts::State::kLoadFailed:
      return "load-failed";
    case PluginFacts::State::kDeclined:
      return "declined";
    case PluginFacts::State::kLoaded:
      return "loaded";
  }
  return "unknown";
}

std::string state_name(LiveProbeFacts::State s) {
  switch (s) {
    case LiveProbeFacts::State::kNotRun:
      return "not-run";
    case LiveProbeFacts::State::kPassed:
      return "passed";
    case LiveProbeFacts::State::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string state_name(FrameworkFacts::State s) {
  switch (s) {
    case FrameworkFacts::State::kNotChecked:
      return "not-checked";
    case FrameworkFacts::State::kNoPython:
      return "no-python";
    case FrameworkFacts::State::kNotInstalled:
      return "not-installed";
    case FrameworkFacts::State::kImportFailed:
      return "import-failed";
    case FrameworkFacts::State::kTimedOut:
      return "timed-out";
    case FrameworkFacts::State::kChecked:
      return "checked";
  }
  return "unknown";
}

std::string mode_name(NvmlDevice::ComputeMode m) {
  switch (m) {
    case NvmlDevice::ComputeMode::kUnknown:
      return "unknown";
    case NvmlDevice::ComputeMode::kDefault:
      return "default";
    case NvmlDevice::ComputeMode::kExclusiveThread:
      return "exclusive-thread";
    case NvmlDevice::ComputeMode::kProhibited:
      return "prohibited";
    case NvmlDevice::ComputeMode::kExclusiveProcess:
      return "exclusive-process";
  }
  return "unknown";
}

json framework_json(const FrameworkFacts& fw) {
  return {{"name", fw.name},
          {"state", state_name(fw.state)},
          {"version", fw.version},
          {"cuda", or_null(fw.cuda)},
          {"cudnn", fw.cudnn},
          {"built_with_cuda", fw.built_with_cuda},
          {"gpu_available", fw.gpu_available},
          {"device_count", fw.device_count},
          {"arch_list", fw.arch_list},
          {"error", fw.error}};
}

json python_json(const PythonFacts& p) {
  json found = json::array();
  for (const auto& s : p.found_as)
    found.push_back({{"kind", name(s.kind)}, {"name", s.name}, {"path", s.path}});
  json frameworks = json::array();
  for (const auto& fw : p.frameworks) frameworks.push_back(framework_json(fw));
  return {{"command", p.command},
          {"found_as", found},
          {"executable", p.executable},
          {"real_executable", p.real_executable},
          {"prefix", p.prefix},
          {"version", p.version},
          {"externally_managed", p.externally_managed},
          {"primary", p.primary},
          {"frameworks", frameworks}};
}

json facts_json(const Facts& f) {
  json pci = json::array();
  for (const auto& d : f.hardware.nvidia) {
    pci.push_back({{"address", d.address},
                   {"device_id", fmt::format("0x{:04x}", d.device_id)},
                   {"class", fmt::format("0x{:06x}", d.class_code)},
                   {"driver", d.driver},
                   {"is_gpu", d.is_gpu()}});
  }
  json cuda_devices = json::array();
  for (const auto& d : f.driver.devices) {
    cuda_devices.push_back({{"index", d.index},
                            {"name", d.name},
                            {"compute_capability", fmt::format("{}.{}", d.cc_major, d.cc_minor)},
                            {"total_memory", d.total_memory},
                            {"pci_bus_id", d.pci_bus_id}});
  }
  json nvml_devices = json::array();
  const auto cuda_index = cuda_index_of_nvml_devices(f);
  for (std::size_t i = 0; i < f.nvml.devices.size(); ++i) {
    const auto& d = f.nvml.devices[i];
    nvml_devices.push_back(
        {{"index", d.index},
         {"name", d.name},
         {"pci_bus_id", d.pci_bus_id},
         {"memory_total", or_null(d.memory_total)},
         {"memory_used", or_null(d.memory_used)},
         {"utilization_gpu", or_null(d.utilization_gpu)},
         {"compute_capability",
          d.cc_major ? json(fmt::format("{}.{}", *d.cc_major, d.cc_minor.value_or(0)))
                     : json(nullptr)},
         {"compute_mode", mode_name(d.compute_mode)},
         {"mig_enabled", d.mig_enabled},
         {"compute_processes", or_null(d.compute_processes)},
         {"cuda_index", cuda_index[i] >= 0 ? json(cuda_index[i]) : json(nullptr)}});
  }
  json libraries = json::array();
  for (const auto& l : f.libraries)
    libraries.push_back(
        {{"name", l.name}, {"library", library_json(l.library)}, {"version", l.version}});
  // facts.frameworks keeps its schema-1 meaning: the frameworks of the interpreter `python3`
  // runs (or --python's); facts.pythons has every interpreter found.
  json frameworks = json::array();
  if (const PythonFacts* primary = f.python.primary()) {
    for (const auto& fw : primary->frameworks) frameworks.push_back(framework_json(fw));
  }
  json pythons = json::array();
  for (const auto& p : f.python.interpreters) pythons.push_back(python_json(p));
  const auto& e = f.environment;
  const auto& l = f.live;
  return {
      {"hardware", {{"pci_readable", f.hardware.pci_readable}, {"nvidia_devices", pci}}},
      {"kernel_driver",
       {{"version", or_null(f.kernel.version)},
        {"version_line", f.kernel.version_line},
        {"device_nodes", f.kernel.device_nodes},
        {"inaccessible_nodes", f.kernel.inaccessible_nodes},
        {"nouveau_loaded", f.kernel.nouveau_loaded},
        {"dxg_present", f.kernel.dxg_present}}},
      {"user_driver",
       {{"library", library_json(f.driver.library)},
        {"is_stub", f.driver.is_stub},
        {"init_result", or_null(f.driver.init_result)},
        {"driver_cuda_version", cuda_version_or_null(f.driver.driver_version)},
        {"device_count_result", or_null(f.driver.device_count_result)},
        {"file_version", f.driver.file_version},
        {"devices", cuda_devices}}},
      {"nvml",
       {{"library", library_json(f.nvml.library)},
        {"init_result", or_null(f.nvml.init_result)},
        {"init_error", f.nvml.init_error},
        {"driver_version", f.nvml.driver_version},
        {"cuda_driver_version", cuda_version_or_null(f.nvml.cuda_driver_version)},
        {"devices", nvml_devices}}},
      {"build",
       {{"cuda_built", f.build.cuda_built},
        {"not_built_reason", f.build.not_built_reason},
        {"toolkit_version", f.build.toolkit_version},
        {"architectures", f.build.architectures},
        {"cudnn_version", f.build.cudnn_version},
        {"nccl_version", f.build.nccl_version}}},
      {"plugin",
       {{"state", state_name(f.plugin.state)},
        {"path", f.plugin.path},
        {"reason", f.plugin.reason}}},
      {"libraries", libraries},
      {"environment",
       {{"cuda_visible_devices", or_null(e.cuda_visible_devices)},
        {"cuda_device_order", or_null(e.cuda_device_order)},
        {"ld_library_path", or_null(e.ld_library_path)},
        {"container", name(e.container)},
        {"container_evidence", e.container_evidence},
        {"wsl", e.wsl},
        {"kernel", e.kernel}}},
      {"live_probes",
       {{"state", state_name(l.state)},
        {"device", l.device},
        {"reason", l.reason},
        {"kernel_ok", l.kernel_ok},
        {"gemm_max_error", or_null(l.gemm_max_error)},
        {"h2d_gbps", or_null(l.h2d_gbps)},
        {"d2h_gbps", or_null(l.d2h_gbps)},
        {"gemm_tflops", or_null(l.gemm_tflops)}}},
      {"frameworks", frameworks},
      {"pythons", pythons},
  };
}

json observations_json(const Facts& f) {
  json out = json::array();
  auto add = [&](const char* probe, const std::vector<Observation>& list) {
    for (const auto& o : list)
      out.push_back({{"probe", probe},
                     {"method", name(o.method)},
                     {"subject", o.subject},
                     {"result", o.result}});
  };
  add("hardware", f.hardware.observations);
  add("kernel_driver", f.kernel.observations);
  add("user_driver", f.driver.observations);
  add("nvml", f.nvml.observations);
  add("build", f.build.observations);
  add("plugin", f.plugin.observations);
  for (const auto& l : f.libraries) add("libraries", l.observations);
  add("environment", f.environment.observations);
  add("live_probes", f.live.observations);
  add("python_search", f.python.observations);
  for (const auto& p : f.python.interpreters) {
    for (const auto& fw : p.frameworks) add("frameworks", fw.observations);
  }
  return out;
}

}  // namespace

std::string report_json(const DoctorReport& report) {
  const Diagnosis& d = report.diagnosis;
  json findings = json::array();
  for (const auto& f : d.findings) {
    findings.push_back({{"code", f.code},
                        {"severity", name(f.severity)},
                        {"stage", name(f.stage)},
                        {"seen", f.seen},
                        {"why", f.why},
                        {"fix", f.fix},
                        {"scope", f.scope}});
  }
  json stages = json::array();
  for (Stage stage : kAllStages) {
    std::string status = "not-checked", note;
    Severity worst = Severity::kOk;
    bool any = false;
    for (const auto& f : d.findings) {
      if (f.stage != stage) continue;
      any = true;
      worst = std::max(worst, f.severity);
    }
    if (any) status = std::string(name(worst));
    for (const auto& s : d.skipped) {
      if (s.stage == stage) note = s.reason;
    }
    stages.push_back(
        {{"name", name(stage)}, {"title", title(stage)}, {"status", status}, {"note", note}});
  }
  const Finding* blocker = d.first_blocker();
  json doc = {
      {"schema_version", kDoctorSchemaVersion},
      {"ignis_version", build_info::kVersion},
      {"verdict",
       {{"gpu_usable", d.gpu_usable},
        {"summary", d.verdict},
        {"exit_code", d.exit_code()},
        {"first_blocker", blocker ? json(blocker->code) : json(nullptr)}}},
      {"findings", findings},
      {"stages", stages},
      {"facts", facts_json(report.facts)},
      {"observations", observations_json(report.facts)},
      {"sources", compat_tables().sources()},
  };
  return doc.dump(2);
}

}  // namespace ignis::diag

#include "ignis/diag/doctor.hpp"

#include "ignis/diag/live_probes.hpp"

namespace ignis::diag {

DoctorReport run_doctor(const DoctorOptions& options) {
  DoctorReport report;
  report.facts = gather_facts(options.probes);
  Facts& facts = report.facts;
  // Live probes need a backend from the CUDA plugin and a device; otherwise say why they did
  // not run rather than pretend.
  if (options.live == LiveProbeMode::kSkip) {
    facts.live.reason = "skipped on request (--no-live)";
  } else if (facts.plugin.state != PluginFacts::State::kLoaded) {
    facts.live.reason =
        "they need a usable CUDA backend, and the CUDA plugin " +
        std::string(facts.plugin.state == PluginFacts::State::kDeclined ? "declined: "
                                                                        : "is not usable: ") +
        facts.plugin.reason;
  } else if (facts.driver.devices.empty()) {
    facts.live.reason = "no CUDA device is visible";
  } else {
    facts.live = run_live_probes({.device = Device::cuda(0)});
  }
  if (options.frameworks == FrameworkCheck::kRun) {
    // The interpreter search reads fixed paths below the probes' root and their environment.
    FrameworkProbeOptions frameworks = options.framework_options;
    if (!frameworks.search)
      frameworks.search =
          PythonSearch::from_environment(options.probes.root, options.probes.environment);
    facts.python = probe_python_frameworks(frameworks);
  }
  report.diagnosis = diagnose(facts);
  return report;
}

}  // namespace ignis::diag

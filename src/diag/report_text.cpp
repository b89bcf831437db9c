// The human report of `ignis doctor`: verdict first, then one section per stage, then what to do.
#include <fmt/format.h>

#include <sstream>

#include "ignis/diag/doctor.hpp"

namespace ignis::diag {

namespace {

std::string_view mark(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "✓";
    case Severity::kWarning:
      return "!";
    case Severity::kBlocker:
      return "✗";
  }
  return "?";
}

/// The probe observations behind a stage, shown when the stage itself was skipped.
std::vector<const Observation*> observations_of(const Facts& f, Stage stage) {
  const std::vector<Observation>* list = nullptr;
  switch (stage) {
    case Stage::kKernelDriver:
      list = &f.kernel.observations;
      break;
    case Stage::kUserDriver:
      list = &f.driver.observations;
      break;
    case Stage::kNvml:
      list = &f.nvml.observations;
      break;
    default:
      break;
  }
  std::vector<const Observation*> out;
  if (list) {
    for (const auto& o : *list) out.push_back(&o);
  }
  return out;
}

std::string quoted_or_unset(const std::optional<std::string>& v) {
  return v ? "\"" + *v + "\"" : "unset";
}

void print_finding(std::ostringstream& out, const Finding& finding, std::string_view indent) {
  out << indent << mark(finding.severity) << " " << finding.seen << "  [" << finding.code << "]\n";
}

/// "/usr/bin/python3 (Python 3.11.2; found as /usr/bin/python3, `python3` on PATH)", with
/// "`python3` runs " in front of the interpreter that PATH's python3 runs.
std::string python_heading(const PythonFacts& p) {
  std::vector<std::string> found;
  for (const auto& s : p.found_as) found.push_back(describe(s));
  std::string ways;
  for (const auto& w : found) ways += (ways.empty() ? "" : ", ") + w;
  return fmt::format("{}{} (Python {}; found as {}{})",
                     p.label() == "`python3`" ? "`python3` runs " : "", p.path(),
                     p.version.empty() ? "?" : p.version, ways,
                     p.externally_managed ? "; managed by the system's package manager" : "");
}

/// The frameworks stage, grouped by interpreter: each interpreter with findings of its own under
/// a heading (the one `python3` runs first), the others in a short list, then the findings that
/// compare interpreters.
void print_pythons(std::ostringstream& out, const Diagnosis& d, const Facts& f) {
  std::vector<const PythonFacts*> without;
  for (const auto& p : f.python.interpreters) {
    std::vector<const Finding*> own;
    for (const auto& finding : d.findings) {
      if (finding.stage == Stage::kFrameworks && finding.scope == p.path()) own.push_back(&finding);
    }
    if (own.empty()) {
      without.push_back(&p);
      continue;
    }
    out << "  " << python_heading(p) << "\n";
    for (const Finding* finding : own) print_finding(out, *finding, "    ");
  }
  // Interpreters without findings have neither framework, or could not be started.
  for (const bool started : {true, false}) {
    bool heading = false;
    for (const PythonFacts* p : without) {
      const FrameworkFacts* torch = p->framework("torch");
      const bool no_python = torch && torch->state == FrameworkFacts::State::kNoPython;
      if (no_python == started) continue;
      if (!heading)
        out << (started ? "  · neither PyTorch nor TensorFlow in:\n" : "  · cannot be started:\n");
      heading = true;
      out << "    " << python_heading(*p) << (no_python ? ": " + torch->error : "") << "\n";
    }
  }
  for (const auto& finding : d.findings) {
    if (finding.stage == Stage::kFrameworks && finding.scope.empty())
      print_finding(out, finding, "  ");
  }
}

}  // namespace

std::string render_report(const DoctorReport& report) {
  const Diagnosis& d = report.diagnosis;
  const Facts& f = report.facts;
  std::ostringstream out;
  out << (d.gpu_usable ? "✓ " : "✗ ") << d.verdict << "\n";
  for (Stage stage : kAllStages) {
    out << "\n" << title(stage) << "\n";
    if (stage == Stage::kFrameworks && f.python.checked) {
      print_pythons(out, d, f);
      continue;
    }
    bool any = false;
    for (const auto& finding : d.findings) {
      if (finding.stage != stage) continue;
      any = true;
      print_finding(out, finding, "  ");
    }
    for (const auto& s : d.skipped) {
      if (s.stage != stage || any) continue;
      out << "  – " << s.reason << "\n";
      // Report everything observed, even where no verdict depends on it.
      for (const Observation* o : observations_of(f, stage))
        out << "    · " << o->subject << ": " << o->result << "\n";
    }
    if (stage == Stage::kEnvironment) {
      out << fmt::format("  · CUDA_VISIBLE_DEVICES {}, CUDA_DEVICE_ORDER {}, LD_LIBRARY_PATH {}\n",
                         quoted_or_unset(f.environment.cuda_visible_devices),
                         quoted_or_unset(f.environment.cuda_device_order),
                         quoted_or_unset(f.environment.ld_library_path));
      if (f.environment.container == EnvironmentFacts::Container::kNone && !f.environment.wsl)
        out << "  · not in a container, not WSL\n";
    }
  }
  // The fix list: blockers first (the first one is the verdict), then warnings.
  std::vector<const Finding*> problems;
  for (Severity s : {Severity::kBlocker, Severity::kWarning}) {
    for (const auto& finding : d.findings) {
      if (finding.severity == s) problems.push_back(&finding);
    }
  }
  out << "\n";
  if (problems.empty()) {
    out << "Nothing to fix.\n";
  } else {
    out << "What to do\n";
    int n = 0;
    for (const Finding* p : problems) {
      out << fmt::format("  {}. [{}] {}\n", ++n, p->code, p->why);
      char step = 'a';
      for (const auto& fix : p->fix) out << fmt::format("     {}. {}\n", step++, fix);
    }
  }
  out << fmt::format(
      "\nExit code {}. `ignis doctor --json` gives every fact with how it was observed; "
      "docs/doctor.md explains each [code].\n",
      d.exit_code());
  return out.str();
}

}  // namespace ignis::diag

#pragma once
// Findings: the doctor's verdicts, from a pure function of the facts.
//
// The chain of checks follows ../shared/design/DOCTOR.md: hardware, kernel driver, user-space
// driver, NVML, this build, driver vs runtime, visibility, architecture, libraries, live probes,
// environment, Python frameworks. Every stage reports what it saw; the verdict is the first
// blocker. A stage whose prerequisite is missing (no driver checks without a GPU) is skipped, and
// says why. docs/doctor.md lists every code with its meaning, its fix and its test.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ignis/diag/compat_tables.hpp"
#include "ignis/diag/facts.hpp"

namespace ignis::diag {

enum class Severity { kOk, kWarning, kBlocker };
std::string_view name(Severity severity);  // "ok", "warning", "blocker"

enum class Stage {
  kHardware,
  kKernelDriver,
  kUserDriver,
  kNvml,
  kBuild,
  kDriverRuntime,
  kVisibility,
  kArchitecture,
  kLibraries,
  kLiveProbes,
  kEnvironment,
  kFrameworks,
};
inline constexpr Stage kAllStages[] = {
    Stage::kHardware,  Stage::kKernelDriver,  Stage::kUserDriver,  Stage::kNvml,
    Stage::kBuild,     Stage::kDriverRuntime, Stage::kVisibility,  Stage::kArchitecture,
    Stage::kLibraries, Stage::kLiveProbes,    Stage::kEnvironment, Stage::kFrameworks};
std::string_view name(Stage stage);   // "hardware", "kernel-driver", ...
std::string_view title(Stage stage);  // "Hardware", "Kernel driver", ...

/// What kind of problem a blocker is; it decides the exit code of `ignis doctor`.
enum class ExitClass {
  kNone,           // 0: not a blocker
  kNoGpu,          // 2: no NVIDIA GPU on this machine
  kDriver,         // 3: the NVIDIA driver stack is missing, broken or too old
  kConfiguration,  // 4: a GPU exists but is hidden or unavailable (environment, container, mode)
  kBuild,          // 5: this ignis build cannot use the GPU (no CUDA build, plugin, architecture)
  kLiveProbe,      // 6: the GPU ran work and got it wrong
};
int exit_code(ExitClass exit_class);
std::string_view name(ExitClass exit_class);

/// The fixed part of a finding: one entry per code, in the catalogue.
struct FindingSpec {
  std::string_view code;  // stable: scripts and docs/doctor.md rely on it
  Severity severity;
  Stage stage;
  ExitClass exit_class;  // kNone unless severity is kBlocker
  std::string_view meaning;
};
/// Every finding the doctor can report.
std::span<const FindingSpec> finding_catalogue();
/// The spec of a code; throws ValueError for an unknown code.
const FindingSpec& finding_spec(std::string_view code);

struct Finding {
  std::string code;
  Severity severity = Severity::kOk;
  Stage stage = Stage::kHardware;
  std::string seen;              // what was observed, with the values
  std::string why;               // why it matters (empty for ok findings)
  std::vector<std::string> fix;  // concrete steps, in order (empty for ok findings)
  /// What the finding is about when a stage checks several things of one kind: the Python
  /// interpreter's label for a framework finding. Empty for machine-wide findings.
  std::string scope;
};

/// A stage skipped because an earlier stage failed, or because it was not asked for.
struct SkippedStage {
  Stage stage;
  std::string reason;
};

struct Diagnosis {
  std::vector<Finding> findings;  // in chain order
  std::vector<SkippedStage> skipped;
  bool gpu_usable = false;
  std::string verdict;  // one line: "GPU ready: cuda:0 ..." / "Training will run on the CPU: ..."
  const Finding* first_blocker() const;
  int exit_code() const;  // 0 when gpu_usable, else by the first blocker's class
};

/// The pure verdict function: facts in, findings out. Never throws on odd facts.
Diagnosis diagnose(const Facts& facts, const CompatTables& tables = compat_tables());

}  // namespace ignis::diag

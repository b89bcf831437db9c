#pragma once
// Python frameworks (`ignis doctor --frameworks`): PyTorch and TensorFlow as installed for every
// interpreter the search finds (python_discovery.hpp), or for the one named by --python. Each
// check runs in a child process with a deadline, so a hanging or crashing import cannot take the
// doctor with it; interpreters are checked a few at a time.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "ignis/diag/facts.hpp"
#include "ignis/diag/python_discovery.hpp"

namespace ignis::diag {

struct FrameworkProbeOptions {
  /// Check only this interpreter (looked up on PATH unless it contains a '/'); empty: every
  /// interpreter the search finds.
  std::string python;
  /// Per framework and interpreter: TensorFlow's import alone takes seconds.
  std::chrono::milliseconds timeout{60000};
  /// Interpreters checked at the same time. Each check is one Python process importing a
  /// framework (hundreds of MiB for TensorFlow), so a few, not one per core.
  int parallel = 4;
  /// The search stops adding interpreters here (a conda with a hundred environments), so the
  /// whole check takes at most ceil(max_pythons / parallel) x 2 x timeout.
  std::size_t max_pythons = 24;
  /// Where to search; nullopt: this process's environment, fixed paths below "/".
  std::optional<PythonSearch> search;
};

/// Checks "torch" and "tensorflow" for one interpreter: installed or not (without importing
/// when absent), version, the CUDA version it was built with (none for CPU-only builds), whether
/// it sees a GPU, and the interpreter's own sys.executable, sys.prefix and version.
PythonFacts probe_python(const PythonCandidate& candidate, std::chrono::milliseconds timeout);

/// The search (or options.python alone), every interpreter checked, and interpreters that turn
/// out to be the same one (a pyenv shim and the version it runs: same resolved sys.executable
/// and sys.prefix) merged, keeping every way each was found. The primary interpreter comes first.
PythonFrameworkFacts probe_python_frameworks(const FrameworkProbeOptions& options = {});

/// Parses the JSON line the checking script prints (exposed for tests).
FrameworkFacts parse_framework_report(const std::string& name, const std::string& json_text);

}  // namespace ignis::diag

#pragma once
// Python frameworks (`ignis doctor --frameworks`): PyTorch and TensorFlow as installed for
// python3, checked in a child process with a timeout, so a hanging or crashing import cannot take
// the doctor with it.
#include <chrono>
#include <string>
#include <vector>

#include "ignis/diag/facts.hpp"

namespace ignis::diag {

struct FrameworkProbeOptions {
  std::string python = "python3";  // looked up on PATH unless it contains a '/'
  std::chrono::milliseconds timeout{
      60000};  // per framework; TensorFlow's import alone takes seconds
};

/// Checks "torch" and "tensorflow": installed or not (without importing when absent), version,
/// the CUDA version it was built with (none for CPU-only builds), whether it sees a GPU.
std::vector<FrameworkFacts> probe_frameworks(const FrameworkProbeOptions& options = {});

/// Parses the JSON line the checking script prints (exposed for tests).
FrameworkFacts parse_framework_report(const std::string& name, const std::string& json_text);

}  // namespace ignis::diag

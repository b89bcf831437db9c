#pragma once
// Stand-in Python interpreters for the framework checks: shell scripts, called as
// `<script> -c <check script> <framework>`, that print what the real check script prints under a
// real interpreter (one marker line with a JSON report). Header-only: the diag and tools tests
// both use it.
#include <filesystem>
#include <fstream>
#include <string>

namespace ignis::testing {

/// The report members of a framework as the check script prints them.
inline constexpr const char* kCudaTorch =
    R"("version": "2.9.0+cu130", "cuda": "13.0", "built_with_cuda": true, "cudnn": "91300", )"
    R"("gpu_available": true, "device_count": 1, "arch_list": ["sm_80", "sm_90"])";
inline constexpr const char* kCpuTorch =  // Debian's python3-torch
    R"("version": "1.13.0a0", "cuda": null, "built_with_cuda": false, "cudnn": "", )"
    R"("gpu_available": false, "device_count": 0, "arch_list": [])";

struct FakePythonReport {
  std::string torch;       // report members (kCudaTorch, ...); empty: not installed
  std::string tensorflow;  // likewise
  /// The sys.executable it reports (a pyenv shim reports the version it runs); empty: its own
  /// path.
  std::string executable;
  std::string prefix = "/usr";
  std::string version = "3.11.7";
  bool externally_managed = false;
};

/// Writes an executable stand-in interpreter at `path` (folders created).
inline void write_fake_python(const std::filesystem::path& path, const FakePythonReport& r) {
  std::filesystem::create_directories(path.parent_path());
  const std::string exe = r.executable.empty() ? path.string() : r.executable;
  const std::string python = R"("python": {"executable": ")" + exe + R"(", "real_executable": ")" +
                             exe + R"(", "prefix": ")" + r.prefix + R"(", "version": ")" +
                             r.version + R"(", "externally_managed": )" +
                             (r.externally_managed ? "true" : "false") + "}";
  const auto line = [&](const std::string& name, const std::string& members) {
    return "IGNIS_FRAMEWORK_REPORT {\"name\": \"" + name + "\", " + python + ", " +
           (members.empty() ? std::string("\"installed\": false")
                            : "\"installed\": true, " + members) +
           "}";
  };
  std::ofstream(path) << "#!/bin/sh\necho 'some import chatter'\nif [ \"$3\" = torch ]; then\n"
                      << "  echo '" << line("torch", r.torch) << "'\nelse\n  echo '"
                      << line("tensorflow", r.tensorflow) << "'\nfi\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

}  // namespace ignis::testing

#pragma once
// Runs the ignis executable built by CMake (IGNIS_CLI_PATH) for the CLI tests.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace ignis::testing {

struct CliResult {
  int status;
  std::string output;
};

/// Runs the ignis executable with `args` (and environment assignments `env`, e.g. "X=1"); the
/// output is stdout and stderr together.
inline CliResult run(const std::string& args, const std::string& env = "") {
  const std::string command = "env " + env + " " + std::string(IGNIS_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  const int status = pipe ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace ignis::testing

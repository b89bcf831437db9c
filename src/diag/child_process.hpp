#pragma once
// A child process with its output captured and a deadline: how the doctor asks a Python
// interpreter (or conda) a question without letting a hanging or crashing answer take the doctor
// down with it. Internal to the diag layer.
#include <chrono>
#include <string>
#include <vector>

namespace ignis::diag::detail {

struct ChildResult {
  enum class Outcome { kExited, kSpawnFailed, kTimedOut };
  Outcome outcome = Outcome::kExited;
  int status = 0;   // waitpid's status when it exited or was killed; errno when spawning failed
  std::string out;  // stdout, at most 1 MiB kept
  std::string err;  // stderr (at most 1 MiB), or strerror when spawning failed
};

/// Runs argv (argv[0] looked up on PATH unless it contains a '/') with stdin from /dev/null and
/// stdout/stderr captured, and kills it (SIGKILL, by its pid) at the deadline. The environment is
/// this process's, with TF_CPP_MIN_LOG_LEVEL=3 so TensorFlow does not log its library search.
/// Thread-safe: the pipes are close-on-exec, so children started at the same time from other
/// threads do not inherit them (a kept write end would hold a reader open until the deadline).
ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// The last non-empty line of `text` (a traceback's error line).
std::string last_line(const std::string& text);

}  // namespace ignis::diag::detail

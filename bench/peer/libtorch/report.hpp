#pragma once
// The libtorch peer's output: Google Benchmark JSON, as bench/peer/train_step_peer.py writes it
// (one "median" aggregate row per benchmark, times in µs, counters as extra numbers), so that
// bench/summarize.py reads all three sides alike. Standard library only.
#include <string>
#include <utility>
#include <vector>

#include "timing.hpp"

namespace libtorch_peer {

/// One benchmark row: a name, its measurement and its counters (name, value).
struct Row {
  std::string name;
  Measurement time;
  std::vector<std::pair<std::string, double>> counters;
};

/// The run's description (key, string value) and its rows -> the JSON text.
std::string to_json(const std::vector<std::pair<std::string, std::string>>& context,
                    const std::vector<double>& load_avg, const std::vector<Row>& rows);

/// A memory figure of this process from /proc/self/status in MiB ("VmRSS:", "VmHWM:"); -1 if
/// missing.
double status_mib(const std::string& field);

/// Resets VmHWM to the current resident size ("5" into /proc/self/clear_refs); false if refused.
bool reset_peak_rss();

}  // namespace libtorch_peer

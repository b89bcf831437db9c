#pragma once
// Keras's progress bar. On a terminal: one line redrawn in place (at most every 50 ms), e.g.
//   12/469 [>.............................] - ETA: 3s - loss: 0.4512 - accuracy: 0.8712
// and when the epoch ends
//   469/469 [==============================] - 3s 6ms/step - loss: 0.4512 - accuracy: 0.8712 - 35012 samples/s
// Elsewhere (logs, CI): only the final line. Values above 1e-3 print as %.4f, smaller as %.4e.
#include <chrono>
#include <cstdint>
#include <ostream>

#include "ignis/train/logs.hpp"

namespace ignis::train {

enum class ProgressStyle { kBar, kLine, kSilent };

class ProgressBar {
 public:
  /// steps: batches in the epoch. kBar redraws in place; kLine prints the final line only.
  ProgressBar(std::int64_t steps, ProgressStyle style, std::ostream& out);
  /// After batch `step` (1-based) with `samples` processed so far in the epoch.
  void update(std::int64_t step, std::int64_t samples, const Logs& logs);
  /// Prints the epoch's final line.
  void finish(std::int64_t samples, const Logs& logs);

  /// "loss: 0.4512" / "lr: 1.0000e-04".
  static std::string format_value(const std::string& name, double value);
  /// "3s", "1:05", "850ms".
  static std::string format_duration(double seconds);

 private:
  std::string line(std::int64_t step, bool final, std::int64_t samples, const Logs& logs) const;

  std::int64_t steps_;
  ProgressStyle style_;
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drew_ = false;
  std::size_t last_width_ = 0;
};

/// True when the stream is a terminal (stdout or stderr on a TTY).
bool is_terminal(const std::ostream& out);

}  // namespace ignis::train

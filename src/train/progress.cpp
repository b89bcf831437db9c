#include "ignis/train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <iostream>

namespace ignis::train {

ProgressBar::ProgressBar(std::int64_t steps, ProgressStyle style, std::ostream& out)
    : steps_(steps), style_(style), out_(out), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

std::string ProgressBar::format_value(const std::string& name, double value) {
  if (std::abs(value) > 1e-3 || value == 0 || !std::isfinite(value)) return fmt::format("{}: {:.4f}", name, value);
  return fmt::format("{}: {:.4e}", name, value);
}

std::string ProgressBar::format_duration(double seconds) {
  if (seconds < 1) return fmt::format("{:.0f}ms", seconds * 1000);
  if (seconds < 60) return fmt::format("{:.0f}s", seconds);
  const auto s = static_cast<std::int64_t>(seconds);
  if (s < 3600) return fmt::format("{}:{:02d}", s / 60, s % 60);
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s % 3600) / 60, s % 60);
}

std::string ProgressBar::line(std::int64_t step, bool final, std::int64_t samples, const Logs& logs) const {
  const int digits = static_cast<int>(std::to_string(steps_).size());
  constexpr int kWidth = 30;
  const double fraction = steps_ > 0 ? static_cast<double>(step) / static_cast<double>(steps_) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += step > 0 && !final ? ">" : ".";
  bar.resize(kWidth, '.');
  std::string s = fmt::format("{:>{}}/{} [{}]", step, digits, steps_, bar);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (final) {
    const double per_step = step > 0 ? elapsed / static_cast<double>(step) : 0;
    s += fmt::format(" - {} {}/step", format_duration(elapsed),
                     per_step >= 1 ? fmt::format("{:.0f}s", per_step)
                                   : per_step >= 1e-3 ? fmt::format("{:.0f}ms", per_step * 1e3)
                                                      : fmt::format("{:.0f}us", per_step * 1e6));
  } else if (step > 0) {
    s += " - ETA: " + format_duration(elapsed / static_cast<double>(step) * static_cast<double>(steps_ - step));
  }
  for (const auto& [name, value] : logs) s += " - " + format_value(name, value);
  if (final && elapsed > 0) s += fmt::format(" - {:.0f} samples/s", static_cast<double>(samples) / elapsed);
  return s;
}

void ProgressBar::update(std::int64_t step, std::int64_t samples, const Logs& logs) {
  if (style_ != ProgressStyle::kBar) return;
  const auto now = std::chrono::steady_clock::now();
  if (drew_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  const std::string s = line(step, false, samples, logs);
  out_ << '\r' << s;
  if (s.size() < last_width_) out_ << std::string(last_width_ - s.size(), ' ');
  out_.flush();
  last_width_ = s.size();
  last_draw_ = now;
  drew_ = true;
}

void ProgressBar::finish(std::int64_t samples, const Logs& logs) {
  if (style_ == ProgressStyle::kSilent) return;
  const std::string s = line(steps_, true, samples, logs);
  if (style_ == ProgressStyle::kBar) {
    out_ << '\r' << s;
    if (s.size() < last_width_) out_ << std::string(last_width_ - s.size(), ' ');
  } else {
    out_ << s;
  }
  out_ << '\n';
  out_.flush();
}

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return isatty(STDOUT_FILENO) != 0;
  if (&out == &std::cerr) return isatty(STDERR_FILENO) != 0;
  return false;
}

}  // namespace ignis::train

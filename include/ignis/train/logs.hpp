#pragma once
// Named values of one batch or epoch ("loss", "accuracy", "val_loss", ...), in display order.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ignis::train {

using Logs = std::vector<std::pair<std::string, double>>;

inline std::optional<double> find(const Logs& logs, const std::string& name) {
  for (const auto& [key, value] : logs) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace ignis::train

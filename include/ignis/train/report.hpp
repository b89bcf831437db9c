#pragma once
// A self-contained HTML report of a training run: loss and metric curves per epoch as inline
// SVG, the model summary, device and timing. No external resource of any kind (no scripts,
// fonts or styles fetched), so it opens in any browser without a network.
#include <string>
#include <utility>
#include <vector>

#include "ignis/train/fit.hpp"

namespace ignis::train {

struct ReportInfo {
  std::string title = "ignis training report";
  std::string model_summary;  // shown preformatted (keras::Sequential::summary())
  std::string device;         // "cpu"
  std::string device_reason;  // why that device
  /// Shown as a table, in order: ("optimizer", "adam"), ("test accuracy", "88.86%"), ...
  std::vector<std::pair<std::string, std::string>> facts;
};

/// The report as one HTML document. Charts: one per log family ("loss" with "val_loss",
/// "accuracy" with "val_accuracy", ..., "lr"), one point per epoch; non-finite values are
/// left out of the lines. Every text is HTML-escaped.
std::string render_report_html(const History& history, const ReportInfo& info);

}  // namespace ignis::train

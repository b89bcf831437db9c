#include "ignis/train/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ignis::train {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr int kWidth = 560, kHeight = 260, kLeft = 64, kRight = 16, kTop = 16, kBottom = 40;
constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};

/// One chart: the series (name, values per epoch) on shared axes.
std::string chart(const std::string& title, const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::size_t epochs = 0;
  for (const auto& [name, values] : series) {
    epochs = std::max(epochs, values.size());
    for (const double v : values) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) return "";  // nothing to draw
  if (hi == lo) {
    hi += std::max(std::abs(hi) * 0.05, 1e-12);
    lo -= std::max(std::abs(lo) * 0.05, 1e-12);
  }
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x_of = [&](std::size_t i) { return kLeft + (epochs > 1 ? plot_w * static_cast<double>(i) / static_cast<double>(epochs - 1) : plot_w / 2); };
  auto y_of = [&](double v) { return kTop + plot_h * (hi - v) / (hi - lo); };

  std::string svg = fmt::format(
      "<figure><figcaption>{}</figcaption>\n<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{} per epoch\">\n",
      escape(title), kWidth, kHeight, kWidth, kHeight, escape(title));
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", kLeft, kTop,
                     plot_w, plot_h);
  for (int k = 0; k <= 4; ++k) {  // horizontal grid with value labels
    const double v = lo + (hi - lo) * k / 4.0;
    const double y = y_of(v);
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>", kLeft, kLeft + plot_w, y, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.4g}</text>\n", kLeft - 4, y + 4, v);
  }
  const std::size_t step = std::max<std::size_t>(1, (epochs + 9) / 10);
  for (std::size_t i = 0; i < epochs; i += step) {  // epoch ticks, 1-based like the progress output
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", x_of(i),
                       kTop + plot_h + 16, i + 1);
  }
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">epoch</text>\n", kLeft + plot_w / 2,
                     kHeight - 4);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const auto& [name, values] = series[s];
    const char* color = kColors[s % std::size(kColors)];
    std::string points;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) points += fmt::format("{:.1f},{:.1f} ", x_of(i), y_of(values[i]));
    }
    svg += fmt::format("<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                       "points=\"{}\"/>\n",
                       escape(name), color, points);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) {
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{} epoch {}: {:.6g}</title></circle>",
                           x_of(i), y_of(values[i]), color, escape(name), i + 1, values[i]);
      }
    }
    svg += fmt::format("\n<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{}\">— {}</text>\n", kLeft + 8 + 130 * s, kTop + 14,
                       color, escape(name));
  }
  return svg + "</svg></figure>\n";
}

}  // namespace

std::string render_report_html(const History& history, const ReportInfo& info) {
  std::string html = fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }}
figure {{ display: inline-block; margin: 0 1em 1em 0; }}
figcaption {{ font-weight: bold; margin-bottom: .3em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2em .6em; text-align: left; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>{0}</h1>
<p>Device: <b>{1}</b> — {2}</p>
)",
                                 escape(info.title), escape(info.device), escape(info.device_reason));
  if (!info.facts.empty()) {
    html += "<table>\n";
    for (const auto& [k, v] : info.facts) html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v));
    html += "</table>\n";
  }
  html += fmt::format("<h2>Training curves ({} epochs)</h2>\n", history.epochs());
  // One chart per family: a log and its "val_" twin share axes; "lr" gets its own.
  for (const auto& [name, values] : history.values()) {
    if (name.rfind("val_", 0) == 0 && history.contains(name.substr(4))) continue;
    std::vector<std::pair<std::string, std::vector<double>>> series{{name, values}};
    if (history.contains("val_" + name)) series.emplace_back("val_" + name, history["val_" + name]);
    html += chart(name == "lr" ? "learning rate" : name, series);
  }
  if (!info.model_summary.empty()) html += fmt::format("<h2>Model</h2>\n<pre>{}</pre>\n", escape(info.model_summary));
  if (!history.stop_reason.empty()) html += fmt::format("<p>Stopped early: {}</p>\n", escape(history.stop_reason));
  html += "<p><small>Written by ignis. Self-contained: no network needed.</small></p>\n</body></html>\n";
  return html;
}

}  // namespace ignis::train

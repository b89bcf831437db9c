// report.html of `ignis train --model gpt`.
#include "ignis/models/gpt_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ignis::models {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += (c >= 0x20 || c == '\n' || c == '\t') && c < 0x7f ? static_cast<char>(c) : '?';
    }
  }
  return out;
}

/// Training loss per step (a line) and validation evaluations (points), on shared axes.
std::string loss_chart(const GptJobResult& r) {
  constexpr double kW = 720, kH = 300, kLeft = 50, kBottom = 30, kTop = 10, kRight = 10;
  if (r.history.empty()) return "";
  double lo = INFINITY, hi = -INFINITY;
  for (const GptStep& s : r.history) {
    lo = std::min(lo, s.loss);
    hi = std::max(hi, s.loss);
  }
  for (const auto& e : r.evaluations) {
    lo = std::min(lo, e.second);
    hi = std::max(hi, e.second);
  }
  if (hi <= lo) hi = lo + 1;
  const double steps = static_cast<double>(r.history.back().step);
  const auto x = [&](double step) { return kLeft + (kW - kLeft - kRight) * step / steps; };
  const auto y = [&](double loss) { return kTop + (kH - kTop - kBottom) * (hi - loss) / (hi - lo); };
  std::string line;
  for (const GptStep& s : r.history) line += fmt::format("{:.1f},{:.1f} ", x(static_cast<double>(s.step)), y(s.loss));
  std::string svg = fmt::format(R"(<svg width="{}" height="{}" role="img" aria-label="loss per step">)", kW, kH);
  svg += fmt::format(R"(<polyline fill="none" stroke="#4477aa" stroke-width="1" points="{}"/>)", line);
  for (const auto& [step, loss] : r.evaluations) {
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="#cc6677"><title>step {}: validation {:.4f}</title></circle>)",
                       x(static_cast<double>(step)), y(loss), step, loss);
  }
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4;
    svg += fmt::format(R"(<text x="4" y="{:.1f}" font-size="11">{:.2f}</text>)", y(v) + 4, v);
  }
  svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11">step {}</text></svg>)", kW - 90, kH - 8,
                     r.history.back().step);
  return svg;
}

}  // namespace

std::string gpt_report_html(const GptJobOptions& o, const GptJobResult& r) {
  const GptConfig& c = o.model;
  std::string html = R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ignis: GPT training</title>
<style>body{font-family:sans-serif;max-width:800px;margin:2em auto}td{padding:2px 12px}pre{background:#f4f4f4;padding:1em;white-space:pre-wrap}</style>
</head><body><h1>GPT training</h1>)";
  html += fmt::format("<p><b>Validation loss {:.4f}</b> nats/byte ({:.3f} bits/byte) over all {} windows of {} bytes "
                      "of the last 10% of {}.</p>",
                      r.validation_loss, r.validation_loss / std::log(2.0), r.validation_windows, c.block_size,
                      escape(o.data.empty() ? "the King James Bible" : o.data));
  html += "<table>";
  const auto row = [&](const std::string& k, const std::string& v) {
    html += fmt::format("<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
  };
  row("model", fmt::format("{} layers, {} heads, {} channels, block {}, dropout {}, {} parameters", c.n_layer,
                           c.n_head, c.n_embd, c.block_size, c.dropout, r.parameters));
  row("training", fmt::format("{} steps × {} windows, AdamW lr {} (warm-up {}, cosine to {}), weight decay {}, clip {}",
                              o.steps, o.batch_size, o.lr, o.warmup_steps, o.min_lr, o.weight_decay, o.grad_clip));
  row("device", o.device.str());
  row("final training loss", fmt::format("{:.4f}", r.train_loss));
  row("time", fmt::format("{:.1f} s, {:.0f} tokens/s", r.seconds, r.tokens_per_second));
  html += "</table><h2>Loss</h2>" + loss_chart(r);
  html += "<p>Line: training loss per step. Points: validation loss (during training on the first windows only; the "
          "last point on all of them).</p>";
  html += "<h2>Sample</h2><pre>" + escape(r.sample) + "</pre></body></html>\n";
  return html;
}

}  // namespace ignis::models

// The HTML report: its charts and text from a known history, nothing fetched from outside, and
// that a real browser (Debian's chromium, headless) lays the charts out.
#include "ignis/train/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/reference.hpp"

namespace ignis::train {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

History known_history() {
  History h;
  h.append({{"loss", 1.0}, {"accuracy", 0.5}, {"val_loss", 1.2}, {"val_accuracy", 0.4}, {"lr", 0.1}});
  h.append({{"loss", 0.5}, {"accuracy", 0.7}, {"val_loss", 0.6}, {"val_accuracy", 0.6}, {"lr", 0.1}});
  h.append({{"loss", 0.25}, {"accuracy", 0.9}, {"val_loss", NAN}, {"val_accuracy", 0.8}, {"lr", 0.05}});
  return h;
}

ReportInfo known_info() {
  return {.title = "run <1>",
          .model_summary = "Model: \"mlp\" <b>not bold</b>",
          .device = "cpu",
          .device_reason = "CUDA not available: no driver",
          .facts = {{"test accuracy", "88.86%"}}};
}

TEST(Report, ChartsAndTextFromTheHistory) {
  const std::string html = render_report_html(known_history(), known_info());
  EXPECT_EQ(count(html, "<svg"), 3u);  // loss + val_loss, accuracy + val_accuracy, learning rate
  EXPECT_EQ(count(html, "<polyline class=\"series\""), 5u);
  EXPECT_EQ(count(html, "<circle"), 14u);  // 15 values, one NaN left out
  EXPECT_NE(html.find("data-name=\"val_loss\""), std::string::npos);
  EXPECT_NE(html.find("learning rate"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;not bold&lt;/b&gt;"), std::string::npos);  // escaped, not markup
  EXPECT_EQ(html.find("<b>not bold"), std::string::npos);
  EXPECT_NE(html.find("run &lt;1&gt;"), std::string::npos);
  EXPECT_NE(html.find("88.86%"), std::string::npos);
  EXPECT_NE(html.find("CUDA not available: no driver"), std::string::npos);
  // Self-contained: no scripts, links, imports or fetched resources (the SVG namespace is a name).
  for (const char* outside : {"<script", "src=", "href=", "@import", "url(", "<link"}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  EXPECT_EQ(count(html, "http"), count(html, "http://www.w3.org/2000/svg"));
}

TEST(Report, EmptyAndFlatHistories) {
  EXPECT_EQ(count(render_report_html(History{}, {}), "<svg"), 0u);
  History flat;
  flat.append({{"loss", 2.0}});
  const std::string html = render_report_html(flat, {});
  EXPECT_EQ(count(html, "<svg"), 1u);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf"), std::string::npos);
}

std::string run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  if (pipe) pclose(pipe);
  return out;
}

TEST(Report, HeadlessChromiumLaysOutEveryChart) {
  const char* chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium)) GTEST_SKIP() << "Debian's chromium is not installed (scripts/setup installs it)";
  const auto dir = std::filesystem::temp_directory_path() / ("ignis_report_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  // (timeout: a browser that hangs fails the test instead of stalling the suite.)
  // The report has no script; this test copy adds one that records, in the DOM, how many chart
  // lines the browser laid out with a non-zero size.
  std::string html = render_report_html(known_history(), known_info());
  html.replace(html.find("</body>"), 7,
               "<script>const s=[...document.querySelectorAll('polyline.series')];"
               "document.body.setAttribute('data-rendered',"
               "s.filter(p=>p.getBBox().width>0&&p.getBoundingClientRect().width>0).length+'/'+s.length);"
               "</script></body>");
  const auto page = dir / "report.html";
  std::ofstream(page) << html;
  const std::string flags = " --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=" + (dir / "profile").string();
  const std::string dom = run_command("timeout 120 " + std::string(chromium) + flags + " --dump-dom file://" + page.string() + " 2>/dev/null");
  EXPECT_NE(dom.find("data-rendered=\"5/5\""), std::string::npos) << dom.substr(0, 2000);
  run_command("timeout 120 " + std::string(chromium) + flags + " --window-size=1200,1600 --screenshot=" + (dir / "shot.png").string() + " file://" +
              page.string() + " 2>/dev/null");
  ASSERT_TRUE(std::filesystem::exists(dir / "shot.png"));
  EXPECT_GT(std::filesystem::file_size(dir / "shot.png"), 10'000u);  // a blank page compresses to far less
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ignis::train

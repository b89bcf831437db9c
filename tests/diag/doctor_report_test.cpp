// The doctor's reports: JSON against data/doctor.schema.json, the human text, the catalogue
// against docs/doctor.md, and the real doctor on this machine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "diag/fake_facts.hpp"
#include "diag/json_schema.hpp"
#include "diag/this_machine.hpp"
#include "ignis/core/error.hpp"
#include "ignis/diag/doctor.hpp"
#include "support/reference.hpp"

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

testing::JsonSchema doctor_schema() {
  return testing::JsonSchema(
      nlohmann::json::parse(read(fs::path(IGNIS_SOURCE_DIR) / "data/doctor.schema.json")));
}

DoctorReport report_of(const Facts& facts) { return {facts, diagnose(facts)}; }

::testing::AssertionResult valid(const std::string& json_text) {
  const auto errors = doctor_schema().validate(nlohmann::json::parse(json_text));
  if (errors.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  for (const auto& e : errors) failure << e << "\n";
  return failure;
}

TEST(DoctorReport, JsonFollowsTheSchema) {
  FrameworkFacts torch = testing::framework("torch", "2.9.0+cu130", "13.0", true);
  torch.arch_list = {"sm_90"};
  Facts healthy = testing::with_pythons(
      testing::healthy_gpu(),
      {testing::python3({torch}),
       testing::interpreter("/opt/conda/envs/ml/bin/python",
                            {PythonSource::Kind::kConda, "ml", "/opt/conda/envs/ml"})});
  healthy.python.observations = {testing::seen("/root/.pyenv/versions", "not found")};
  healthy.hardware.observations = {testing::seen("/sys/bus/pci/devices", "6 PCI functions")};
  EXPECT_TRUE(valid(report_json(report_of(healthy))));
  EXPECT_TRUE(valid(report_json(report_of(testing::no_gpu_machine()))));
  EXPECT_TRUE(valid(report_json(report_of(Facts{}))));
}

TEST(DoctorReport, JsonCarriesVerdictFindingsAndObservations) {
  Facts f = testing::no_gpu_machine();
  f.hardware.observations = {
      testing::seen("/sys/bus/pci/devices", "6 PCI functions, 0 with vendor 0x10de")};
  const auto j = nlohmann::json::parse(report_json(report_of(f)));
  EXPECT_EQ(j["schema_version"], kDoctorSchemaVersion);
  EXPECT_EQ(j["verdict"]["gpu_usable"], false);
  EXPECT_EQ(j["verdict"]["exit_code"], 2);
  EXPECT_EQ(j["verdict"]["first_blocker"], "no-nvidia-gpu");
  EXPECT_EQ(j["findings"][0]["code"], "no-nvidia-gpu");
  EXPECT_EQ(j["stages"][1]["status"], "not-checked");
  EXPECT_EQ(j["facts"]["kernel_driver"]["version"], nullptr);  // not observed: null, not omitted
  EXPECT_EQ(j["observations"][0]["result"], "6 PCI functions, 0 with vendor 0x10de");
  EXPECT_EQ(j["sources"].size(), 6u);
}

TEST(DoctorReport, TextStartsWithTheVerdictAndNumbersTheFixes) {
  const std::string text = render_report(report_of(testing::no_gpu_machine()));
  EXPECT_EQ(text.rfind("✗ Training will run on the CPU: no NVIDIA GPU", 0), 0u) << text;
  for (Stage s : kAllStages) {
    std::string heading(title(s));
    EXPECT_NE(text.find(heading.insert(0, 1, '\n').append(1, '\n')), std::string::npos) << title(s);
  }
  EXPECT_NE(text.find("✗ no NVIDIA GPU on this machine"), std::string::npos);
  EXPECT_NE(text.find("– not checked: needs an NVIDIA GPU (no-nvidia-gpu)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("What to do\n  1. [no-nvidia-gpu]"), std::string::npos) << text;
  EXPECT_NE(text.find("Exit code 2."), std::string::npos);

  const std::string ready = render_report(report_of(testing::healthy_gpu()));
  EXPECT_EQ(ready.rfind("✓ GPU ready: cuda:0 NVIDIA H100 80GB HBM3", 0), 0u) << ready;
  EXPECT_NE(ready.find("Nothing to fix."), std::string::npos);
  EXPECT_NE(ready.find("Exit code 0."), std::string::npos);
}

/// `python3` a pyenv Python without frameworks, /usr/bin/python3 with a CPU-only torch, and two
/// more pyenv versions with nothing.
Facts two_pythons() {
  PythonFacts system = testing::interpreter(
      "/usr/bin/python3", {PythonSource::Kind::kSystem, "/usr/bin/python3", ""},
      {testing::framework("torch", "1.13.0a0", std::nullopt, false)});
  system.version = "3.11.2";
  PythonFacts python3 = testing::python3({}, "/root/.pyenv/versions/3.11.7/bin/python3");
  python3.found_as.push_back(
      {PythonSource::Kind::kPyenv, "3.11.7", "/root/.pyenv/versions/3.11.7"});
  std::vector<PythonFacts> pythons = {python3, system};
  for (const char* v : {"3.12.1", "3.13.0"}) {
    pythons.push_back(
        testing::interpreter(std::string("/root/.pyenv/versions/") + v + "/bin/python3",
                             {PythonSource::Kind::kPyenv, v, ""}));
    pythons.back().version = v;
  }
  return testing::with_pythons(testing::no_gpu_machine(), pythons);
}

TEST(DoctorReport, TextGroupsTheFrameworksByInterpreter) {
  const std::string text = render_report(report_of(two_pythons()));
  const auto at = [&](const std::string& s) { return text.find(s); };
  const std::string python3 =
      "  `python3` runs /root/.pyenv/versions/3.11.7/bin/python3 (Python 3.11.7; found as "
      "`python3` on PATH, pyenv 3.11.7)\n"
      "    ✓ PyTorch is not installed for `python3`  [framework-not-installed]\n";
  const std::string system =
      "  /usr/bin/python3 (Python 3.11.2; found as /usr/bin/python3)\n"
      "    ! torch 1.13.0a0 for /usr/bin/python3: torch.version.cuda is None, a CPU-only build  "
      "[torch-cpu-build]\n";
  const std::string rest =
      "  · neither PyTorch nor TensorFlow in:\n"
      "    /root/.pyenv/versions/3.12.1/bin/python3 (Python 3.12.1; found as pyenv 3.12.1)\n";
  ASSERT_NE(at("Python frameworks\n" + python3), std::string::npos) << text;
  ASSERT_NE(at(system), std::string::npos) << text;
  ASSERT_NE(at(rest), std::string::npos) << text;
  EXPECT_LT(at(python3), at(system));
  EXPECT_LT(at(system), at(rest));
  // The finding across interpreters comes after the groups, unindented.
  EXPECT_GT(at("\n  ! PyTorch is installed only for /usr/bin/python3"), at(rest)) << text;
  EXPECT_NE(at("[cpu-framework-in-other-python] "), std::string::npos);  // in "What to do"
}

TEST(DoctorReport, JsonCarriesEveryInterpreter) {
  const std::string text = report_json(report_of(two_pythons()));
  EXPECT_TRUE(valid(text));
  const auto j = nlohmann::json::parse(text);
  const auto& pythons = j["facts"]["pythons"];
  ASSERT_EQ(pythons.size(), 4u);
  EXPECT_EQ(pythons[0]["primary"], true);
  EXPECT_EQ(pythons[0]["found_as"][1]["kind"], "pyenv");
  EXPECT_EQ(pythons[1]["executable"], "/usr/bin/python3");
  EXPECT_EQ(pythons[1]["frameworks"][0]["version"], "1.13.0a0");
  EXPECT_EQ(pythons[1]["frameworks"][0]["cuda"], nullptr);
  // Schema 1's facts.frameworks: the frameworks of the interpreter `python3` runs.
  ASSERT_EQ(j["facts"]["frameworks"].size(), 2u);
  EXPECT_EQ(j["facts"]["frameworks"][0]["state"], "not-installed");
  bool scoped = false;
  for (const auto& f : j["findings"]) {
    if (f["code"] == "torch-cpu-build") scoped = f["scope"] == "/usr/bin/python3";
  }
  EXPECT_TRUE(scoped) << j["findings"].dump(1);
}

TEST(DoctorReport, TheRealDoctorAgreesWithThisMachine) {
  const DoctorReport r = run_doctor({.live = LiveProbeMode::kSkip});
  EXPECT_TRUE(valid(report_json(r)));
  if (testing::nvidia_gpus_on_this_machine() == 0 && !r.facts.environment.wsl) {
    ASSERT_NE(r.diagnosis.first_blocker(), nullptr);
    EXPECT_EQ(r.diagnosis.first_blocker()->code, "no-nvidia-gpu") << r.diagnosis.verdict;
    EXPECT_EQ(r.diagnosis.exit_code(), 2);
    EXPECT_FALSE(r.diagnosis.gpu_usable);
  } else {
    // With a GPU, it is usable exactly when the CUDA backend is, and the verdict says which.
    EXPECT_EQ(r.diagnosis.gpu_usable, r.diagnosis.first_blocker() == nullptr);
    if (r.facts.plugin.state != PluginFacts::State::kLoaded) {
      EXPECT_NE(r.diagnosis.exit_code(), 0);
    }
  }
  EXPECT_EQ(r.facts.live.state, LiveProbeFacts::State::kNotRun);
  EXPECT_FALSE(r.facts.live.reason.empty());
}

TEST(DoctorReport, LiveProbesSayWhyTheyDidNotRun) {
  const DoctorReport r = run_doctor();
  if (r.facts.plugin.state == PluginFacts::State::kLoaded)
    GTEST_SKIP() << "the CUDA backend is usable here";
  EXPECT_EQ(r.facts.live.state, LiveProbeFacts::State::kNotRun);
  EXPECT_NE(r.facts.live.reason.find("CUDA backend"), std::string::npos) << r.facts.live.reason;
  EXPECT_NE(render_report(r).find("Live probes\n  – not run: "), std::string::npos);
}

bool kebab_case(std::string_view code) {
  if (code.empty() || code.front() == '-' || code.back() == '-') return false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && code[i - 1] != '-');
    if (!ok) return false;
  }
  return true;
}

TEST(FindingCatalogue, CodesAreUniqueAndBlockersHaveAnExitClass) {
  std::set<std::string_view> codes;
  for (const auto& spec : finding_catalogue()) {
    EXPECT_TRUE(codes.insert(spec.code).second) << "duplicate " << spec.code;
    EXPECT_TRUE(kebab_case(spec.code)) << spec.code;
    EXPECT_EQ(spec.severity == Severity::kBlocker, spec.exit_class != ExitClass::kNone)
        << spec.code;
    EXPECT_FALSE(spec.meaning.empty()) << spec.code;
  }
  IGNIS_EXPECT_THROW_MSG(finding_spec("no-such-code"), ValueError, "unknown finding code",
                         "no-such-code");
}

/// The cells of a markdown table row, split at '|' but not at an escaped "\\|".
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) {
      cells.emplace_back();
    } else {
      cells.back() += line[i];
    }
  }
  for (auto& c : cells) {
    while (!c.empty() && c.front() == ' ') c.erase(c.begin());
    while (!c.empty() && c.back() == ' ') c.pop_back();
  }
  return cells;
}

/// docs/doctor.md's catalogue rows: "| `code` | severity | stage | exit | meaning | fix |
/// Suite.Test |".
TEST(FindingCatalogue, EveryCodeIsDocumentedWithATestThatUsesIt) {
  const std::string doc = read(fs::path(IGNIS_SOURCE_DIR) / "docs/doctor.md");
  ASSERT_FALSE(doc.empty()) << "docs/doctor.md";
  std::string tests;
  for (const char* dir : {"tests/diag", "tests/tools"}) {
    for (const auto& e : fs::directory_iterator(fs::path(IGNIS_SOURCE_DIR) / dir)) {
      if (e.path().extension() == ".cpp") tests += read(e.path());
    }
  }
  std::set<std::string> documented;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto cells = cells_of(line);  // "", `code`, severity, stage, exit, meaning, fix, test, ""
    if (cells.size() != 9)
      continue;  // another table (options, exit codes); a broken catalogue
                 // row shows up below as an undocumented code
    const std::string code = cells[1].substr(1, cells[1].size() - 2);
    documented.insert(code);
    const FindingSpec* spec = nullptr;
    for (const auto& s : finding_catalogue()) {
      if (s.code == code) spec = &s;
    }
    if (spec == nullptr) {
      ADD_FAILURE() << "docs/doctor.md documents " << code << ", which the catalogue does not have";
      continue;
    }
    EXPECT_EQ(cells[2], name(spec->severity)) << code;
    EXPECT_EQ(cells[3], name(spec->stage)) << code;
    const std::string exit =
        spec->exit_class == ExitClass::kNone ? "—" : std::to_string(exit_code(spec->exit_class));
    EXPECT_EQ(cells[4], exit) << code;
    // The named test exists and its body uses the code.
    const std::string test = cells[7];
    const std::size_t dot = test.find('.');
    ASSERT_NE(dot, std::string::npos) << code << ": \"" << test << "\" is not Suite.Name";
    const std::string head = "(" + test.substr(0, dot) + ", " + test.substr(dot + 1) + ")";
    std::size_t start = tests.find("TEST" + head);
    if (start == std::string::npos) start = tests.find("TEST_F" + head);
    if (start == std::string::npos) {
      ADD_FAILURE() << code << ": test " << test << " not found";
      continue;
    }
    const std::string body = tests.substr(start, tests.find("\nTEST", start + 1) - start);
    std::string quoted = "\"";
    quoted += code;
    quoted += '"';
    EXPECT_NE(body.find(quoted), std::string::npos) << code << " is not used by " << test;
  }
  for (const auto& spec : finding_catalogue()) {
    EXPECT_TRUE(documented.count(std::string(spec.code)))
        << spec.code << " is missing from docs/doctor.md";
  }
}

}  // namespace
}  // namespace ignis::diag

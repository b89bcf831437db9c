// The Python framework probe: its report parser, and the child process with stand-in
// interpreters (shell scripts) for the installed, crashing, hanging and missing cases.
#include "ignis/diag/frameworks.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;

TEST(FrameworkReport, ParsesACudaBuild) {
  const FrameworkFacts fw = parse_framework_report(
      "torch",
      R"({"name": "torch", "installed": true, "version": "2.5.1+cu124", "cuda": "12.4", "built_with_cuda": true,
                   "cudnn": "90100", "gpu_available": true, "device_count": 2, "arch_list": ["sm_80", "sm_90"]})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kChecked);
  EXPECT_EQ(fw.version, "2.5.1+cu124");
  EXPECT_EQ(fw.cuda.value_or(""), "12.4");
  EXPECT_TRUE(fw.gpu_available);
  EXPECT_EQ(fw.device_count, 2);
  EXPECT_EQ(fw.arch_list, (std::vector<std::string>{"sm_80", "sm_90"}));
}

TEST(FrameworkReport, CpuBuildNotInstalledAndGarbage) {
  FrameworkFacts fw = parse_framework_report(
      "torch",
      R"({"installed": true, "version": "2.5.1+cpu", "cuda": null, "built_with_cuda": false})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kChecked);
  EXPECT_FALSE(fw.cuda.has_value());
  fw = parse_framework_report("tensorflow", R"({"installed": false})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kNotInstalled);
  fw = parse_framework_report(
      "torch",
      R"({"installed": true, "error": "ImportError: libcudnn.so.9: cannot open shared object file"})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kImportFailed);
  EXPECT_NE(fw.error.find("libcudnn.so.9"), std::string::npos);
  fw = parse_framework_report("torch", "not json");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kImportFailed);
}

/// Stand-in interpreters: shell scripts called as `<script> -c <code> <framework>`.
class FakePython : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ignis-fake-python-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string script(const std::string& name, const std::string& body) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }
  fs::path dir_;
};

TEST_F(FakePython, ReportsEachFrameworkAndIgnoresNoise) {
  const std::string python = script("python", R"(echo "some import chatter"
if [ "$3" = torch ]; then
  echo 'IGNIS_FRAMEWORK_REPORT {"installed": true, "version": "2.9.0+cu130", "cuda": "13.0", "built_with_cuda": true, "gpu_available": false, "device_count": 0}'
else
  echo 'IGNIS_FRAMEWORK_REPORT {"installed": false}'
fi
)");
  const auto fws = probe_frameworks({.python = python});
  ASSERT_EQ(fws.size(), 2u);
  EXPECT_EQ(fws[0].name, "torch");
  EXPECT_EQ(fws[0].state, FrameworkFacts::State::kChecked);
  EXPECT_EQ(fws[0].version, "2.9.0+cu130");
  EXPECT_EQ(fws[1].name, "tensorflow");
  EXPECT_EQ(fws[1].state, FrameworkFacts::State::kNotInstalled);
  ASSERT_FALSE(fws[0].observations.empty());
  EXPECT_EQ(fws[0].observations[0].method, Observation::Method::kSubprocess);
}

TEST_F(FakePython, ACrashingImportKeepsItsLastErrorLine) {
  const std::string python =
      script("python",
             "echo 'Traceback (most recent call last):' >&2\n"
             "echo 'ImportError: libcudnn.so.9: cannot open shared object file' >&2\nexit 1\n");
  const auto fws = probe_frameworks({.python = python});
  ASSERT_EQ(fws.size(), 2u);
  EXPECT_EQ(fws[0].state, FrameworkFacts::State::kImportFailed);
  EXPECT_NE(fws[0].error.find("libcudnn.so.9"), std::string::npos) << fws[0].error;
}

TEST_F(FakePython, AHangingImportIsKilledAtTheDeadline) {
  const std::string python = script("python", "exec sleep 30\n");
  const auto fws = probe_frameworks({.python = python, .timeout = std::chrono::milliseconds(200)});
  ASSERT_EQ(fws.size(), 2u);
  EXPECT_EQ(fws[0].state, FrameworkFacts::State::kTimedOut);
  EXPECT_NE(fws[0].error.find("killed"), std::string::npos);
}

TEST_F(FakePython, NoInterpreter) {
  const auto fws = probe_frameworks({.python = (dir_ / "no-such-python").string()});
  ASSERT_EQ(fws.size(), 2u);
  EXPECT_EQ(fws[0].state, FrameworkFacts::State::kNoPython);
  EXPECT_EQ(fws[1].state, FrameworkFacts::State::kNoPython);
  EXPECT_NE(fws[0].error.find("no-such-python"), std::string::npos) << fws[0].error;
}

TEST(Frameworks, TheRealPython3AnswersForBoth) {
  const auto fws = probe_frameworks({.timeout = std::chrono::seconds(120)});
  ASSERT_EQ(fws.size(), 2u);
  if (fws[0].state == FrameworkFacts::State::kNoPython)
    GTEST_SKIP() << "no python3 here: " << fws[0].error;
  for (const auto& fw : fws) {
    EXPECT_NE(fw.state, FrameworkFacts::State::kTimedOut) << fw.name;
    if (fw.state == FrameworkFacts::State::kChecked) {
      EXPECT_FALSE(fw.version.empty()) << fw.name;
    }
  }
}

}  // namespace
}  // namespace ignis::diag

// The Python framework probe: its report parser, one interpreter checked through stand-in
// interpreters (shell scripts) that report, crash, hang and are missing, and the whole search
// over a fake tree of interpreters, through to the findings that compare them.
#include "ignis/diag/frameworks.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "diag/fake_facts.hpp"
#include "diag/fake_python.hpp"
#include "ignis/diag/findings.hpp"

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;
using testing::FakePythonReport;
using testing::find;
using testing::fixes;
using testing::kCpuTorch;
using testing::kCudaTorch;
using testing::write_fake_python;
using Kind = PythonSource::Kind;

TEST(FrameworkReport, ParsesACudaBuild) {
  const FrameworkFacts fw = parse_framework_report(
      "torch",
      R"({"name": "torch", "installed": true, "version": "2.5.1+cu124", "cuda": "12.4", "built_with_cuda": true,
                   "cudnn": "90100", "gpu_available": true, "device_count": 2, "arch_list": ["sm_80", "sm_90"]})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kChecked);
  EXPECT_EQ(fw.version, "2.5.1+cu124");
  EXPECT_EQ(fw.cuda.value_or(""), "12.4");
  EXPECT_TRUE(fw.gpu_available);
  EXPECT_TRUE(fw.is_cuda_build());
  EXPECT_EQ(fw.device_count, 2);
  EXPECT_EQ(fw.arch_list, (std::vector<std::string>{"sm_80", "sm_90"}));
}

TEST(FrameworkReport, CpuBuildNotInstalledAndGarbage) {
  FrameworkFacts fw = parse_framework_report(
      "torch",
      R"({"installed": true, "version": "2.5.1+cpu", "cuda": null, "built_with_cuda": false})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kChecked);
  EXPECT_FALSE(fw.cuda.has_value());
  EXPECT_FALSE(fw.is_cuda_build());
  EXPECT_TRUE(fw.is_installed());
  fw = parse_framework_report("tensorflow", R"({"installed": false})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kNotInstalled);
  EXPECT_FALSE(fw.is_installed());
  fw = parse_framework_report(
      "torch",
      R"({"installed": true, "error": "ImportError: libcudnn.so.9: cannot open shared object file"})");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kImportFailed);
  EXPECT_NE(fw.error.find("libcudnn.so.9"), std::string::npos);
  fw = parse_framework_report("torch", "not json");
  EXPECT_EQ(fw.state, FrameworkFacts::State::kImportFailed);
}

/// A temporary folder for stand-in interpreters and the trees they live in.
class FakePython : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ignis-fake-python-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string script(const std::string& name, const std::string& body) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }
  static PythonCandidate chosen(const std::string& path) {
    return {path, {{Kind::kChosen, path, ""}}, true};
  }
  /// A search that sees only this tree: PATH is <dir>/bin, the system python is
  /// <dir>/usr/bin/python3, HOME is <dir>/home (nothing there unless a test puts it there).
  PythonSearch search() const {
    PythonSearch s;
    s.path = (dir_ / "bin").string();
    s.home = (dir_ / "home").string();
    s.system_pythons = {(dir_ / "usr/bin/python3").string()};
    return s;
  }
  fs::path dir_;
};

TEST_F(FakePython, ReportsEachFrameworkAndIgnoresNoise) {
  write_fake_python(dir_ / "python", {.torch = R"("version": "2.9.0+cu130", "cuda": "13.0", )"
                                               R"("built_with_cuda": true, "gpu_available": false)",
                                      .prefix = "/opt/py",
                                      .version = "3.12.1"});
  const PythonFacts py = probe_python(chosen((dir_ / "python").string()), std::chrono::seconds(60));
  ASSERT_EQ(py.frameworks.size(), 2u);
  EXPECT_EQ(py.frameworks[0].name, "torch");
  EXPECT_EQ(py.frameworks[0].state, FrameworkFacts::State::kChecked);
  EXPECT_EQ(py.frameworks[0].version, "2.9.0+cu130");
  EXPECT_EQ(py.frameworks[1].name, "tensorflow");
  EXPECT_EQ(py.frameworks[1].state, FrameworkFacts::State::kNotInstalled);
  // The interpreter as it described itself.
  EXPECT_EQ(py.executable, (dir_ / "python").string());
  EXPECT_EQ(py.prefix, "/opt/py");
  EXPECT_EQ(py.version, "3.12.1");
  ASSERT_FALSE(py.frameworks[0].observations.empty());
  EXPECT_EQ(py.frameworks[0].observations[0].method, Observation::Method::kSubprocess);
}

TEST_F(FakePython, ACrashingImportKeepsItsLastErrorLine) {
  const std::string python =
      script("python",
             "echo 'Traceback (most recent call last):' >&2\n"
             "echo 'ImportError: libcudnn.so.9: cannot open shared object file' >&2\nexit 1\n");
  const PythonFacts py = probe_python(chosen(python), std::chrono::seconds(60));
  ASSERT_EQ(py.frameworks.size(), 2u);
  EXPECT_EQ(py.frameworks[0].state, FrameworkFacts::State::kImportFailed);
  EXPECT_NE(py.frameworks[0].error.find("libcudnn.so.9"), std::string::npos)
      << py.frameworks[0].error;
}

TEST_F(FakePython, AHangingImportIsKilledAtTheDeadline) {
  const std::string python = script("python", "exec sleep 30\n");
  const PythonFacts py = probe_python(chosen(python), std::chrono::milliseconds(200));
  ASSERT_EQ(py.frameworks.size(), 2u);
  EXPECT_EQ(py.frameworks[0].state, FrameworkFacts::State::kTimedOut);
  EXPECT_NE(py.frameworks[0].error.find("killed"), std::string::npos);
}

TEST_F(FakePython, NoInterpreter) {
  const PythonFacts py =
      probe_python(chosen((dir_ / "no-such-python").string()), std::chrono::seconds(60));
  ASSERT_EQ(py.frameworks.size(), 2u);
  EXPECT_EQ(py.frameworks[0].state, FrameworkFacts::State::kNoPython);
  EXPECT_EQ(py.frameworks[1].state, FrameworkFacts::State::kNoPython);
  EXPECT_NE(py.frameworks[0].error.find("no-such-python"), std::string::npos)
      << py.frameworks[0].error;
}

TEST_F(FakePython, PythonOptionChecksOnlyThatInterpreter) {
  write_fake_python(dir_ / "bin/python3", {.torch = kCudaTorch});
  write_fake_python(dir_ / "usr/bin/python3", {.torch = kCpuTorch});
  const std::string chosen = (dir_ / "usr/bin/python3").string();
  const PythonFrameworkFacts facts =
      probe_python_frameworks({.python = chosen, .search = search()});
  ASSERT_EQ(facts.interpreters.size(), 1u);
  const PythonFacts& py = facts.interpreters[0];
  EXPECT_TRUE(py.primary);
  EXPECT_EQ(py.found_as[0].kind, Kind::kChosen);
  EXPECT_EQ(py.frameworks[0].version, "1.13.0a0");
  const Diagnosis d = diagnose(testing::with_pythons(testing::healthy_gpu(), facts.interpreters));
  ASSERT_NE(find(d, "framework-not-installed"), nullptr);
  EXPECT_EQ(find(d, "framework-not-installed")->seen, "TensorFlow is not installed for " + chosen);
}

// The machine of issue 18: `python3` on PATH is a pyenv shim that runs a Python without PyTorch,
// and the system's /usr/bin/python3 has Debian's CPU-only torch 1.13. No GPU.
TEST_F(FakePython, ThisMachineAShimPython3AndACpuTorchInTheSystemPython) {
  const fs::path version = dir_ / "home/.pyenv/versions/3.11.7";
  write_fake_python(version / "bin/python3", {.prefix = version.string()});
  // The shim is another file, but the interpreter it runs reports the same sys.executable.
  write_fake_python(dir_ / "bin/python3",
                    {.executable = (version / "bin/python3").string(), .prefix = version.string()});
  write_fake_python(dir_ / "usr/bin/python3",
                    {.torch = kCpuTorch, .version = "3.11.2", .externally_managed = true});
  const PythonFrameworkFacts facts = probe_python_frameworks({.search = search()});
  ASSERT_EQ(facts.interpreters.size(), 2u);  // the shim and its version are one interpreter
  const PythonFacts& python3 = facts.interpreters[0];
  EXPECT_TRUE(python3.primary);
  EXPECT_EQ(python3.path(), (version / "bin/python3").string());
  ASSERT_EQ(python3.found_as.size(), 2u);
  EXPECT_EQ(python3.found_as[0].kind, Kind::kPath);
  EXPECT_EQ(python3.found_as[1].kind, Kind::kPyenv);
  EXPECT_EQ(python3.found_as[1].name, "3.11.7");
  EXPECT_TRUE(facts.interpreters[1].externally_managed);

  const Diagnosis d =
      diagnose(testing::with_pythons(testing::no_gpu_machine(), facts.interpreters));
  const Finding* w = find(d, "cpu-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("PyTorch is installed only for " + (dir_ / "usr/bin/python3").string() +
                         ", and it is a CPU-only build (torch 1.13.0a0); `python3` runs " +
                         (version / "bin/python3").string() + ", which has no PyTorch"),
            std::string::npos)
      << w->seen;
  EXPECT_NE(
      fixes(*w).find((version / "bin/python3").string() + " -m pip install torch --index-url "
                                                          "https://download.pytorch.org/whl/cpu"),
      std::string::npos)
      << fixes(*w);
  ASSERT_NE(find(d, "torch-cpu-build"), nullptr);
  EXPECT_EQ(find(d, "torch-cpu-build")->scope, (dir_ / "usr/bin/python3").string());
}

TEST_F(FakePython, CudaTorchInACondaEnvWhilePython3HasNone) {
  write_fake_python(dir_ / "bin/python3", {});
  const fs::path env = dir_ / "home/miniconda3/envs/ml";
  write_fake_python(env / "bin/python", {.torch = kCudaTorch, .prefix = env.string()});
  PythonSearch s = search();
  s.conda_roots = {(dir_ / "home/miniconda3").string()};
  const PythonFrameworkFacts facts = probe_python_frameworks({.search = s});
  ASSERT_EQ(facts.interpreters.size(), 2u);
  EXPECT_EQ(facts.interpreters[1].found_as[0].kind, Kind::kConda);
  EXPECT_EQ(facts.interpreters[1].found_as[0].name, "ml");

  const Diagnosis d = diagnose(testing::with_pythons(testing::healthy_gpu(), facts.interpreters));
  const Finding* w = find(d, "cuda-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("PyTorch 2.9.0+cu130 with CUDA 13.0 is installed for " +
                         (env / "bin/python").string() + ", but `python3` runs " +
                         (dir_ / "bin/python3").string() + ", which has no PyTorch"),
            std::string::npos)
      << w->seen;
  EXPECT_NE(fixes(*w).find("`conda activate ml`"), std::string::npos) << fixes(*w);
  EXPECT_NE(
      fixes(*w).find((dir_ / "bin/python3").string() + " -m pip install torch --index-url "
                                                       "https://download.pytorch.org/whl/cu130"),
      std::string::npos)
      << fixes(*w);
  EXPECT_NE(find(d, "torch-ok"), nullptr);  // the conda env's own check
}

TEST_F(FakePython, EveryInterpreterIsCheckedUpToTheLimit) {
  write_fake_python(dir_ / "bin/python3", {});
  for (int i = 0; i < 7; ++i) {
    const fs::path v = dir_ / "home/.pyenv/versions" / ("3.1" + std::to_string(i) + ".0");
    write_fake_python(v / "bin/python3", {.torch = i == 5 ? kCudaTorch : "", .prefix = v.string()});
  }
  PythonFrameworkFacts facts = probe_python_frameworks({.parallel = 3, .search = search()});
  ASSERT_EQ(facts.interpreters.size(), 8u);
  EXPECT_TRUE(facts.interpreters[0].primary);
  for (std::size_t i = 1; i < facts.interpreters.size(); ++i) {
    const auto& py = facts.interpreters[i];
    EXPECT_EQ(py.found_as[0].name, "3.1" + std::to_string(i - 1) + ".0");  // search order kept
    EXPECT_EQ(py.frameworks[0].state,
              i == 6 ? FrameworkFacts::State::kChecked : FrameworkFacts::State::kNotInstalled);
  }
  facts = probe_python_frameworks({.max_pythons = 3, .search = search()});
  EXPECT_EQ(facts.interpreters.size(), 3u);
  EXPECT_TRUE(
      std::any_of(facts.observations.begin(), facts.observations.end(), [](const Observation& o) {
        return o.result == "8 interpreters found; the first 3 checked";
      }));
}

TEST(Frameworks, TheRealInterpretersAnswer) {
  const PythonFrameworkFacts facts =
      probe_python_frameworks({.timeout = std::chrono::seconds(120)});
  if (facts.interpreters.empty()) GTEST_SKIP() << "no Python interpreter here";
  for (const auto& py : facts.interpreters) {
    ASSERT_EQ(py.frameworks.size(), 2u) << py.command;
    if (py.frameworks[0].state == FrameworkFacts::State::kNoPython) continue;
    // The check script ran under it (Python 2.7 included) and described the interpreter.
    EXPECT_FALSE(py.version.empty()) << py.command << ": " << py.frameworks[0].error;
    EXPECT_FALSE(py.real_executable.empty()) << py.command;
    for (const auto& fw : py.frameworks) {
      EXPECT_NE(fw.state, FrameworkFacts::State::kTimedOut) << py.command << " " << fw.name;
      if (fw.state == FrameworkFacts::State::kChecked) {
        EXPECT_FALSE(fw.version.empty()) << py.command << " " << fw.name;
      }
    }
  }
  // The interpreter `python3` runs, when there is one, comes first and is the only primary one.
  EXPECT_LE(std::count_if(facts.interpreters.begin(), facts.interpreters.end(),
                          [](const PythonFacts& p) { return p.primary; }),
            1);
  if (facts.primary() != nullptr) {
    EXPECT_TRUE(facts.interpreters[0].primary);
  }
}

}  // namespace
}  // namespace ignis::diag

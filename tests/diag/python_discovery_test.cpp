// The interpreter search over fake trees: PATH, system paths, active environments, pyenv, conda
// (folders, environments.txt, `conda env list --json` from a stand-in conda) and Jupyter kernels;
// deduplication by resolved path, with virtual environments kept apart.
#include "ignis/diag/python_discovery.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace ignis::diag {
namespace {

namespace fs = std::filesystem;
using Kind = PythonSource::Kind;

class Discovery : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ignis-discovery-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    search_.path = (root_ / "bin").string() + ":" + (root_ / "usr/bin").string();
    search_.home = (root_ / "home").string();
    search_.system_pythons = {(root_ / "usr/bin/python3").string()};
  }
  void TearDown() override { fs::remove_all(root_); }
  /// An executable file (its content does not matter: the search never runs interpreters).
  fs::path exe(const std::string& path, const std::string& body = "#!/bin/sh\n") {
    const fs::path p = root_ / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << body;
    fs::permissions(p, fs::perms::owner_all);
    return p;
  }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  std::vector<PythonCandidate> run() {
    observations_.clear();
    return discover_pythons(search_, observations_);
  }
  static const PythonCandidate* with(const std::vector<PythonCandidate>& found, Kind kind,
                                     const std::string& name) {
    for (const auto& c : found) {
      for (const auto& s : c.found_as) {
        if (s.kind == kind && s.name == name) return &c;
      }
    }
    return nullptr;
  }
  bool observed(const std::string& subject_part, const std::string& result_part) const {
    return std::any_of(observations_.begin(), observations_.end(), [&](const Observation& o) {
      return o.subject.find(subject_part) != std::string::npos &&
             o.result.find(result_part) != std::string::npos;
    });
  }
  fs::path root_;
  PythonSearch search_;
  std::vector<Observation> observations_;
};

TEST_F(Discovery, PathPythonsComeFirstAndTheSystemPythonIsMerged) {
  exe("usr/bin/python3.11");
  fs::create_symlink("python3.11", root_ / "usr/bin/python3");
  exe("bin/python");  // `python` on PATH: another interpreter
  const auto found = run();
  ASSERT_EQ(found.size(), 2u);
  // `python3` on PATH is /usr/bin/python3, which is also the system python: one candidate.
  EXPECT_EQ(found[0].command, (root_ / "usr/bin/python3").string());
  EXPECT_TRUE(found[0].primary);
  ASSERT_EQ(found[0].found_as.size(), 2u);
  EXPECT_EQ(found[0].found_as[0].kind, Kind::kPath);
  EXPECT_EQ(found[0].found_as[0].name, "python3");
  EXPECT_EQ(found[0].found_as[1].kind, Kind::kSystem);
  EXPECT_EQ(found[1].command, (root_ / "bin/python").string());
  EXPECT_FALSE(found[1].primary);
  EXPECT_TRUE(observed("`python3` on PATH", (root_ / "usr/bin/python3").string()));
}

TEST_F(Discovery, NothingFoundWithoutPythonsAndANonExecutableIsNoPython) {
  write("bin/python3", "not executable");
  EXPECT_TRUE(run().empty());
  EXPECT_TRUE(observed("`python3` on PATH", "not found"));
}

TEST_F(Discovery, AVirtualEnvStaysApartFromItsBaseInterpreter) {
  exe("usr/bin/python3");
  fs::create_directories(root_ / "venv/bin");
  fs::create_symlink(root_ / "usr/bin/python3", root_ / "venv/bin/python");
  write("venv/pyvenv.cfg", "home = /usr/bin\n");
  search_.virtual_env = (root_ / "venv").string();
  auto found = run();
  ASSERT_EQ(found.size(), 2u);  // same binary, different packages
  const PythonCandidate* venv = with(found, Kind::kVirtualEnv, "venv");
  ASSERT_NE(venv, nullptr);
  EXPECT_EQ(venv->command, (root_ / "venv/bin/python").string());
  EXPECT_EQ(venv->found_as[0].path, (root_ / "venv").string());

  // A plain symlink (no pyvenv.cfg) to the same binary is the same interpreter.
  fs::remove(root_ / "venv/pyvenv.cfg");
  found = run();
  EXPECT_EQ(found.size(), 1u);
}

TEST_F(Discovery, CondaPrefixPyenvVersionsInVersionOrder) {
  exe("conda/envs/active/bin/python");
  search_.conda_prefix = (root_ / "conda/envs/active").string();
  for (const char* v : {"3.10.13", "2.7.18", "3.9.18", "miniconda3-latest"}) {
    // Python 2 installs have only bin/python.
    exe(std::string("home/.pyenv/versions/") + v +
        (std::string(v) == "2.7.18" ? "/bin/python" : "/bin/python3"));
  }
  fs::create_directories(root_ / "home/.pyenv/versions/empty");  // no interpreter in it
  const auto found = run();
  ASSERT_EQ(found.size(), 5u);
  EXPECT_EQ(found[0].found_as[0].kind, Kind::kCondaPrefix);
  EXPECT_EQ(found[0].found_as[0].name, "active");
  std::vector<std::string> pyenv;
  for (const auto& c : found) {
    if (c.found_as[0].kind == Kind::kPyenv) pyenv.push_back(c.found_as[0].name);
  }
  EXPECT_EQ(pyenv, (std::vector<std::string>{"2.7.18", "3.9.18", "3.10.13", "miniconda3-latest"}));
  EXPECT_EQ(with(found, Kind::kPyenv, "2.7.18")->command,
            (root_ / "home/.pyenv/versions/2.7.18/bin/python").string());

  search_.pyenv_root = (root_ / "elsewhere").string();  // PYENV_ROOT wins over ~/.pyenv
  EXPECT_EQ(run().size(), 1u);
}

TEST_F(Discovery, CondaEnvironmentsFromFoldersTheirListAndCondaItself) {
  exe("home/miniconda3/bin/python");
  exe("home/miniconda3/envs/ml/bin/python");
  fs::create_directories(root_ / "home/miniconda3/condabin");
  exe("projects/env-p/bin/python");  // created with `conda create -p`, listed by conda
  write("home/.conda/environments.txt", (root_ / "projects/env-p").string() + "\n");
  search_.conda_roots = {(root_ / "home/miniconda3").string(), (root_ / "opt/conda").string()};
  auto found = run();
  ASSERT_EQ(found.size(), 3u);
  EXPECT_NE(with(found, Kind::kConda, "base"), nullptr);
  EXPECT_NE(with(found, Kind::kConda, "ml"), nullptr);
  EXPECT_NE(with(found, Kind::kConda, (root_ / "projects/env-p").string()), nullptr);

  // A conda that lists one more environment; the others it lists are already known.
  exe("data/envs/big/bin/python3");
  exe("bin/conda", "#!/bin/sh\necho '{\"envs\": [\"" + (root_ / "home/miniconda3").string() +
                       "\", \"" + (root_ / "data/envs/big").string() + "\"]}'\n");
  found = run();
  ASSERT_EQ(found.size(), 4u);
  EXPECT_NE(with(found, Kind::kConda, "big"), nullptr);
  EXPECT_TRUE(observed("conda env list --json", "2 environment(s)"));

  // A conda that hangs is killed at its deadline; the folders still count.
  exe("bin/conda", "#!/bin/sh\nexec sleep 30\n");
  search_.conda_timeout = std::chrono::milliseconds(200);
  found = run();
  EXPECT_EQ(found.size(), 3u);
  EXPECT_TRUE(observed("conda env list --json", "killed"));
}

TEST_F(Discovery, JupyterKernelsWithAnInterpreterPath) {
  const fs::path python = exe("envs/kernel-env/bin/python");
  const auto kernel = [&](const std::string& dir, const std::string& json) {
    write("home/.local/share/jupyter/kernels/" + dir + "/kernel.json", json);
  };
  kernel("ml", R"({"argv": [")" + python.string() +
                   R"j(", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "Python (ml)", "language": "python"})j");
  kernel("default", R"({"argv": ["python3", "-m", "ipykernel_launcher"], "language": "python"})");
  kernel("julia", R"({"argv": [")" + python.string() + R"("], "language": "julia"})");
  kernel("gone", R"({"argv": ["/nowhere/bin/python"], "language": "python"})");
  kernel("broken", "{ not json");
  write("share/jupyter/kernels/sys/kernel.json",
        R"({"argv": [")" + python.string() +
            R"("], "display_name": "System", "language": "python"})");
  search_.jupyter_system_dirs = {(root_ / "share/jupyter").string()};
  const auto found = run();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].command, python.string());
  ASSERT_EQ(found[0].found_as.size(), 2u);  // two kernels, one interpreter
  EXPECT_EQ(found[0].found_as[0].kind, Kind::kJupyter);
  EXPECT_EQ(found[0].found_as[0].name, "Python (ml)");
  EXPECT_EQ(found[0].found_as[1].name, "System");
  EXPECT_TRUE(observed("default/kernel.json", "is not a path"));
  EXPECT_TRUE(observed("julia/kernel.json", "language julia"));
  EXPECT_TRUE(observed("gone/kernel.json", "does not exist"));
  EXPECT_TRUE(observed("broken/kernel.json", "not JSON"));
}

TEST(PythonSearchEnvironment, ReadsTheVariablesAndPutsFixedPathsBelowTheRoot) {
  const PythonSearch s = PythonSearch::from_environment(
      "/tmp/tree", std::map<std::string, std::string>{{"PATH", "/a:/b"},
                                                      {"HOME", "/home/u"},
                                                      {"VIRTUAL_ENV", "/home/u/venv"},
                                                      {"PYENV_ROOT", "/p"},
                                                      {"CONDA_EXE", "/c/bin/conda"}});
  EXPECT_EQ(s.path, "/a:/b");
  EXPECT_EQ(s.virtual_env, "/home/u/venv");
  EXPECT_EQ(s.pyenv_root, "/p");
  EXPECT_EQ(s.conda_exe, "/c/bin/conda");
  EXPECT_TRUE(s.conda_prefix.empty());
  EXPECT_EQ(s.system_pythons.front(), "/tmp/tree/usr/bin/python3");
  EXPECT_NE(std::find(s.conda_roots.begin(), s.conda_roots.end(), "/home/u/miniconda3"),
            s.conda_roots.end());
  EXPECT_NE(std::find(s.conda_roots.begin(), s.conda_roots.end(), "/tmp/tree/opt/conda"),
            s.conda_roots.end());
  EXPECT_EQ(PythonSearch::from_environment().system_pythons.front(), "/usr/bin/python3");
}

}  // namespace
}  // namespace ignis::diag

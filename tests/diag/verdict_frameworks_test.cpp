// The verdict function on injected facts, Python frameworks stage: each interpreter's PyTorch and
// TensorFlow, and the same framework compared across interpreters (installed for another one
// than `python3` runs). The end-to-end versions with stand-in interpreters are in
// frameworks_test.cpp.
#include <gtest/gtest.h>

#include "diag/fake_facts.hpp"

namespace ignis::diag {
namespace {

using testing::find;
using testing::fixes;
using testing::framework;
using testing::healthy_gpu;
using testing::interpreter;
using testing::no_gpu_machine;
using testing::python3;
using testing::with_pythons;
using Kind = PythonSource::Kind;

int count(const Diagnosis& d, const std::string& code) {
  return static_cast<int>(std::count_if(d.findings.begin(), d.findings.end(),
                                        [&](const Finding& x) { return x.code == code; }));
}

/// A conda environment "ml" whose python has `frameworks`.
PythonFacts conda_ml(std::vector<FrameworkFacts> frameworks) {
  return interpreter("/opt/conda/envs/ml/bin/python", {Kind::kConda, "ml", "/opt/conda/envs/ml"},
                     std::move(frameworks));
}

TEST(Verdict, FrameworksNotInstalledOrNoPython) {
  Diagnosis d = diagnose(with_pythons(healthy_gpu(), {python3()}));
  ASSERT_NE(find(d, "framework-not-installed"), nullptr);
  EXPECT_EQ(find(d, "framework-not-installed")->seen, "PyTorch is not installed for `python3`");
  EXPECT_EQ(find(d, "framework-not-installed")->scope, "/usr/bin/python3");
  EXPECT_EQ(count(d, "framework-not-installed"), 2);  // PyTorch and TensorFlow

  // The interpreter named by --python is named in the message, not "python3".
  PythonFacts chosen =
      interpreter("/opt/py/bin/python3", {Kind::kChosen, "/opt/py/bin/python3"}, {}, true);
  d = diagnose(with_pythons(healthy_gpu(), {chosen}));
  EXPECT_EQ(find(d, "framework-not-installed")->seen,
            "PyTorch is not installed for /opt/py/bin/python3");

  PythonFacts gone = python3();
  for (auto& fw : gone.frameworks) {
    fw.state = FrameworkFacts::State::kNoPython;
    fw.error = "could not start python3: No such file or directory";
  }
  d = diagnose(with_pythons(healthy_gpu(), {gone}));
  EXPECT_EQ(count(d, "python-not-found"), 1);
  EXPECT_EQ(count(d, "framework-not-installed"), 0);

  d = diagnose(with_pythons(healthy_gpu(), {}));  // searched, nothing found
  ASSERT_NE(find(d, "python-not-found"), nullptr);
  EXPECT_NE(find(d, "python-not-found")->seen.find("no Python interpreter found"),
            std::string::npos);

  PythonFacts slow = python3();
  slow.frameworks[0].state = FrameworkFacts::State::kTimedOut;
  slow.frameworks[0].error = "no answer within 60 s (killed)";
  d = diagnose(with_pythons(healthy_gpu(), {slow}));
  ASSERT_NE(find(d, "framework-check-failed"), nullptr);
  EXPECT_NE(fixes(*find(d, "framework-check-failed")).find("/usr/bin/python3 -c 'import torch'"),
            std::string::npos);
  EXPECT_TRUE(d.gpu_usable);  // frameworks never change ignis's verdict
}

TEST(Verdict, TorchCpuOnlyBuildGetsTheFittingInstallCommand) {
  const Diagnosis d = diagnose(with_pythons(
      healthy_gpu(), {python3({framework("torch", "2.9.0+cpu", std::nullopt, false)})}));
  const Finding* w = find(d, "torch-cpu-build");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->severity, Severity::kWarning);
  EXPECT_NE(w->seen.find("torch.version.cuda is None"), std::string::npos);
  // Driver 580 (CUDA 13.0) and an H100: the CUDA 13.0 wheels fit, installed into exactly the
  // interpreter that has the CPU build.
  EXPECT_NE(fixes(*w).find("`/usr/bin/python3 -m pip install torch --index-url "
                           "https://download.pytorch.org/whl/cu130`"),
            std::string::npos)
      << fixes(*w);
  EXPECT_TRUE(d.gpu_usable);

  // Without a GPU there is nothing to match a CUDA build to, and nothing to replace.
  const Diagnosis none = diagnose(with_pythons(
      no_gpu_machine(), {python3({framework("torch", "2.9.0+cpu", std::nullopt, false)})}));
  ASSERT_NE(find(none, "torch-cpu-build"), nullptr);
  EXPECT_NE(fixes(*find(none, "torch-cpu-build")).find("Nothing to change here"),
            std::string::npos);
}

TEST(Verdict, TorchBuiltForANewerCudaThanTheDriver) {
  Facts f = healthy_gpu();
  f.kernel.version = "550.54.14";
  f.driver.file_version = "550.54.14";
  f.driver.library.real_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14";
  f.driver.driver_version = 12040;
  f.nvml.cuda_driver_version = 12040;
  const Diagnosis d =
      diagnose(with_pythons(f, {python3({framework("torch", "2.9.0+cu130", "13.0", false)})}));
  const Finding* w = find(d, "torch-cuda-too-new");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("built for CUDA 13.0, but the driver supports only CUDA 12.4"),
            std::string::npos)
      << w->seen;
  EXPECT_NE(fixes(*w).find("whl/cu128"), std::string::npos)
      << fixes(*w);  // 12.x wheels run on driver 550
}

TEST(Verdict, TorchWithoutTheGpusArchitecture) {
  Facts f = healthy_gpu();
  f.driver.devices = {{0, "NVIDIA GeForce GTX 1080", 6, 1, 8589934592ull, "0000:65:00.0"}};
  FrameworkFacts torch = framework("torch", "2.9.0+cu128", "12.8", true);
  torch.arch_list = {"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"};
  const Diagnosis d = diagnose(with_pythons(f, {python3({torch})}));
  const Finding* w = find(d, "torch-arch-missing");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("6.1"), std::string::npos);
  EXPECT_NE(fixes(*w).find("whl/cu126"), std::string::npos) << fixes(*w);
}

TEST(Verdict, TorchCudaBuildWithoutGpuAndTorchOk) {
  Diagnosis d = diagnose(
      with_pythons(healthy_gpu(), {python3({framework("torch", "2.9.0+cu130", "13.0", false)})}));
  ASSERT_NE(find(d, "torch-no-gpu"), nullptr);
  FrameworkFacts torch = framework("torch", "2.9.0+cu130", "13.0", true);
  torch.cudnn = "91300";
  d = diagnose(with_pythons(healthy_gpu(), {python3({torch})}));
  ASSERT_NE(find(d, "torch-ok"), nullptr);
  EXPECT_EQ(find(d, "torch-ok")->severity, Severity::kOk);
}

TEST(Verdict, TensorFlowBuilds) {
  FrameworkFacts tf = framework("tensorflow", "2.18.0", std::nullopt, false);
  Diagnosis d = diagnose(with_pythons(healthy_gpu(), {python3({tf})}));
  ASSERT_NE(find(d, "tensorflow-cpu-build"), nullptr);
  EXPECT_NE(fixes(*find(d, "tensorflow-cpu-build"))
                .find("/usr/bin/python3 -m pip install 'tensorflow[and-cuda]'"),
            std::string::npos)
      << fixes(*find(d, "tensorflow-cpu-build"));

  tf = framework("tensorflow", "2.18.0", "12.5.1", false);
  tf.cudnn = "9";
  Facts f = healthy_gpu();
  f.kernel.version = "470.256.02";  // older than TensorFlow's CUDA 12 build needs
  d = diagnose(with_pythons(f, {python3({tf})}));
  ASSERT_NE(find(d, "tensorflow-no-gpu"), nullptr);
  EXPECT_NE(fixes(*find(d, "tensorflow-no-gpu")).find("525.60.13"), std::string::npos)
      << fixes(*find(d, "tensorflow-no-gpu"));

  tf.gpu_available = true;
  tf.device_count = 1;
  d = diagnose(with_pythons(healthy_gpu(), {python3({tf})}));
  ASSERT_NE(find(d, "tensorflow-ok"), nullptr);
}

TEST(Verdict, OtherInterpretersReportOnlyTheFrameworksTheyHave) {
  // A dozen pyenv versions without frameworks must not bury the report in "not installed".
  std::vector<PythonFacts> pythons = {python3()};
  for (const char* v : {"3.8.18", "3.9.18", "3.10.13", "3.12.1"})
    pythons.push_back(interpreter(std::string("/root/.pyenv/versions/") + v + "/bin/python3",
                                  {Kind::kPyenv, v, ""}));
  pythons.push_back(conda_ml({framework("tensorflow", "2.18.0", "12.5.1", true)}));
  const Diagnosis d = diagnose(with_pythons(healthy_gpu(), pythons));
  EXPECT_EQ(count(d, "framework-not-installed"), 2);  // python3's two, nobody else's
  const Finding* tf = find(d, "tensorflow-ok");
  ASSERT_NE(tf, nullptr);
  EXPECT_EQ(tf->scope, "/opt/conda/envs/ml/bin/python");
  EXPECT_NE(tf->seen.find("for /opt/conda/envs/ml/bin/python"), std::string::npos) << tf->seen;
}

TEST(Verdict, CudaTorchInAnotherPythonThanPython3) {
  const FrameworkFacts cuda_torch = framework("torch", "2.9.0+cu130", "13.0", true);
  Diagnosis d = diagnose(with_pythons(healthy_gpu(), {python3(), conda_ml({cuda_torch})}));
  const Finding* w = find(d, "cuda-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->severity, Severity::kWarning);
  EXPECT_EQ(w->seen,
            "PyTorch 2.9.0+cu130 with CUDA 13.0 is installed for /opt/conda/envs/ml/bin/python, "
            "but `python3` runs /usr/bin/python3, which has no PyTorch");
  ASSERT_EQ(w->fix.size(), 2u);
  EXPECT_NE(w->fix[0].find("Run your program with /opt/conda/envs/ml/bin/python"),
            std::string::npos);
  EXPECT_NE(w->fix[0].find("`conda activate ml`"), std::string::npos) << w->fix[0];
  EXPECT_NE(w->fix[1].find("`/usr/bin/python3 -m pip install torch --index-url "
                           "https://download.pytorch.org/whl/cu130`"),
            std::string::npos)
      << w->fix[1];
  EXPECT_EQ(find(d, "cpu-framework-in-other-python"), nullptr);
  EXPECT_TRUE(d.gpu_usable);

  // python3 has a CPU-only build: said so, and the install is matched to an older driver
  // (CUDA 12.4 runs the CUDA 12.8 wheels).
  Facts old_driver = healthy_gpu();
  old_driver.kernel.version = "550.54.14";
  old_driver.driver.driver_version = 12040;
  old_driver.nvml.cuda_driver_version = 12040;
  d = diagnose(
      with_pythons(old_driver, {python3({framework("torch", "2.9.0+cpu", std::nullopt, false)}),
                                conda_ml({framework("torch", "2.9.0+cu128", "12.8", true)})}));
  w = find(d, "cuda-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("whose PyTorch 2.9.0+cpu is a CPU-only build"), std::string::npos)
      << w->seen;
  EXPECT_NE(fixes(*w).find("whl/cu128"), std::string::npos) << fixes(*w);

  // An interpreter owned by the system's package manager gets a virtual environment.
  PythonFacts managed = python3();
  managed.externally_managed = true;
  d = diagnose(with_pythons(healthy_gpu(), {managed, conda_ml({cuda_torch})}));
  w = find(d, "cuda-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(fixes(*w).find("/usr/bin/python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/python "
                           "-m pip install torch"),
            std::string::npos)
      << fixes(*w);

  // python3's own CUDA build: nothing to compare.
  d = diagnose(with_pythons(healthy_gpu(), {python3({cuda_torch}), conda_ml({cuda_torch})}));
  EXPECT_EQ(find(d, "cuda-framework-in-other-python"), nullptr);
  // No `python3` on PATH: nothing to compare against, but the conda env is still reported.
  d = diagnose(with_pythons(healthy_gpu(), {conda_ml({cuda_torch})}));
  EXPECT_EQ(find(d, "cuda-framework-in-other-python"), nullptr);
  ASSERT_NE(find(d, "python-not-found"), nullptr);
  EXPECT_NE(find(d, "python-not-found")->seen.find("`python3` is not on PATH"), std::string::npos);
  EXPECT_NE(find(d, "torch-ok"), nullptr);
}

TEST(Verdict, CudaTensorFlowInAPyenvVersion) {
  const PythonFacts pyenv = interpreter("/root/.pyenv/versions/3.12.1/bin/python3",
                                        {Kind::kPyenv, "3.12.1", "/root/.pyenv/versions/3.12.1"},
                                        {framework("tensorflow", "2.18.0", "12.5.1", true)});
  const Diagnosis d = diagnose(with_pythons(healthy_gpu(), {python3(), pyenv}));
  const Finding* w = find(d, "cuda-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("TensorFlow 2.18.0 with CUDA 12.5.1 is installed for "
                         "/root/.pyenv/versions/3.12.1/bin/python3"),
            std::string::npos)
      << w->seen;
  EXPECT_NE(fixes(*w).find("`pyenv shell 3.12.1`"), std::string::npos) << fixes(*w);
  EXPECT_NE(fixes(*w).find("`/usr/bin/python3 -m pip install 'tensorflow[and-cuda]'`"),
            std::string::npos)
      << fixes(*w);
}

TEST(Verdict, OnlyACpuTorchInAnotherPython) {
  // This machine: `python3` is a pyenv Python without PyTorch, Debian's /usr/bin/python3 has
  // torch 1.13 built without CUDA, and there is no GPU.
  const PythonFacts pyenv = python3({}, "/root/.pyenv/versions/3.11.7/bin/python3");
  PythonFacts system = interpreter("/usr/bin/python3", {Kind::kSystem, "/usr/bin/python3", ""},
                                   {framework("torch", "1.13.0a0", std::nullopt, false)});
  system.externally_managed = true;
  Diagnosis d = diagnose(with_pythons(no_gpu_machine(), {pyenv, system}));
  const Finding* w = find(d, "cpu-framework-in-other-python");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->seen,
            "PyTorch is installed only for /usr/bin/python3, and it is a CPU-only build (torch "
            "1.13.0a0); `python3` runs /root/.pyenv/versions/3.11.7/bin/python3, which has no "
            "PyTorch");
  EXPECT_NE(fixes(*w).find("`/root/.pyenv/versions/3.11.7/bin/python3 -m pip install torch "
                           "--index-url https://download.pytorch.org/whl/cpu`"),
            std::string::npos)
      << fixes(*w);
  EXPECT_NE(fixes(*w).find("Run your program with /usr/bin/python3"), std::string::npos);
  const Finding* cpu = find(d, "torch-cpu-build");  // and the CPU build itself, where it is
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->scope, "/usr/bin/python3");
  EXPECT_EQ(find(d, "cuda-framework-in-other-python"), nullptr);

  // With a GPU, the install for `python3` is the CUDA build that fits the driver.
  d = diagnose(with_pythons(healthy_gpu(), {pyenv, system}));
  ASSERT_NE(find(d, "cpu-framework-in-other-python"), nullptr);
  EXPECT_NE(fixes(*find(d, "cpu-framework-in-other-python")).find("whl/cu130"), std::string::npos);

  // `python3` with its own CPU build: nothing better elsewhere, nothing to say across.
  d = diagnose(with_pythons(
      no_gpu_machine(), {python3({framework("torch", "2.9.0+cpu", std::nullopt, false)}), system}));
  EXPECT_EQ(find(d, "cpu-framework-in-other-python"), nullptr);
}

}  // namespace
}  // namespace ignis::diag

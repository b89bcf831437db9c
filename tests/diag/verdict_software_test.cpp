// The verdict function on injected facts: this build and its plugin, GPU architectures, CUDA
// libraries, live probes and the Python frameworks.
#include <gtest/gtest.h>

#include "diag/fake_facts.hpp"

namespace ignis::diag {
namespace {

using testing::blocked_by;
using testing::find;
using testing::fixes;
using testing::healthy_gpu;
using testing::no_gpu_machine;

const Finding& blocker(const Diagnosis& d) { return *d.first_blocker(); }  // after blocked_by

TEST(Verdict, NoCudaBuild) {
  Facts f = healthy_gpu();
  f.build = {};
  f.build.not_built_reason = "no CUDA compiler (nvcc) found at configure time";
  f.plugin = {};
  f.plugin.reason =
      "ignis was built without CUDA (no CUDA compiler (nvcc) found at configure time)";
  f.live = {};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "no-cuda-build", 5));
  EXPECT_NE(blocker(d).seen.find("no CUDA compiler"), std::string::npos);
  EXPECT_NE(fixes(blocker(d)).find("-DIGNIS_CUDA=ON"), std::string::npos);
  EXPECT_EQ(find(d, "cudart-missing"), nullptr);  // no library noise without a CUDA build
}

TEST(Verdict, PluginLoadFailure) {
  Facts f = healthy_gpu();
  f.plugin.state = PluginFacts::State::kLoadFailed;
  f.plugin.reason =
      "could not load the CUDA plugin /opt/ignis/lib/libignis_cuda.so: libcudart.so.13: cannot "
      "open shared object file: No such file or directory";
  f.live = {};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "plugin-load-failed", 5));
  EXPECT_NE(blocker(d).seen.find("libcudart.so.13"), std::string::npos);
  EXPECT_NE(fixes(blocker(d)).find("ldconfig"), std::string::npos);
}

TEST(Verdict, PluginDeclines) {
  Facts f = healthy_gpu();
  f.plugin.state = PluginFacts::State::kDeclined;
  f.plugin.reason =
      "the CUDA backend is not built yet: this plugin (CUDA runtime 13.0) carries no kernels; "
      "ignis runs on the CPU";
  f.live = {};
  f.live.reason = "they need a usable CUDA backend";
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "plugin-declined", 5));
  EXPECT_NE(blocker(d).seen.find("not built yet"), std::string::npos);
  EXPECT_NE(d.verdict.find("Training will run on the CPU"), std::string::npos);
}

TEST(Verdict, Gtx1080UnderCuda13IsNotInTheBinary) {
  Facts f = healthy_gpu();
  f.hardware.nvidia[0].device_id = 0x1b80;
  f.driver.devices = {{0, "NVIDIA GeForce GTX 1080", 6, 1, 8589934592ull, "0000:65:00.0"}};
  f.nvml.devices[0].name = "NVIDIA GeForce GTX 1080";
  f.nvml.devices[0].cc_major = 6;
  f.nvml.devices[0].cc_minor = 1;
  f.live = {};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "arch-not-in-binary", 5));
  EXPECT_NE(blocker(d).seen.find("sm_61"), std::string::npos) << blocker(d).seen;
  EXPECT_NE(blocker(d).seen.find("Pascal"), std::string::npos) << blocker(d).seen;
  const std::string fix = fixes(blocker(d));
  EXPECT_NE(fix.find("CUDA 13.0 cannot build for sm_61"), std::string::npos) << fix;
  EXPECT_NE(fix.find("install CUDA 12.9"), std::string::npos) << fix;
  EXPECT_NE(fix.find("-DCMAKE_CUDA_ARCHITECTURES=61"), std::string::npos) << fix;
  EXPECT_NE(fix.find("whl/cu126"), std::string::npos) << fix;
}

TEST(Verdict, NarrowedBuildMissesASupportedArchitecture) {
  Facts f = healthy_gpu();
  f.build.architectures = {"90-real"};  // -DCMAKE_CUDA_ARCHITECTURES=90-real, run on an RTX 3090
  f.driver.devices = {{0, "NVIDIA GeForce RTX 3090", 8, 6, 25769803776ull, "0000:65:00.0"}};
  const Diagnosis d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "arch-not-in-binary", 5));
  EXPECT_NE(fixes(blocker(d)).find("-DCMAKE_CUDA_ARCHITECTURES=\"86;...\""), std::string::npos)
      << fixes(blocker(d));
}

TEST(Verdict, ArchitectureByPtxOrByCompatibleSass) {
  Facts f = healthy_gpu();
  f.build.architectures = {"80-real", "90"};  // SASS 8.0, SASS + PTX 9.0
  f.driver.devices = {{0, "NVIDIA B200", 10, 0, 191102976000ull, "0000:65:00.0"}};
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "arch-ptx-jit"), nullptr);
  EXPECT_TRUE(d.gpu_usable);
  f.driver.devices = {
      {0, "NVIDIA A10", 8, 6, 25769803776ull, "0000:65:00.0"}};  // sm_80 SASS runs on 8.6
  d = diagnose(f);
  ASSERT_NE(find(d, "arch-in-binary"), nullptr);
  EXPECT_NE(find(d, "arch-in-binary")->seen.find("Ampere"), std::string::npos);
}

TEST(Verdict, CudaLibrariesMissing) {
  Facts f = healthy_gpu();
  const auto drop = [&](const char* name) {
    for (auto& l : f.libraries) {
      if (l.name == name)
        l.library = {
            l.library.requested, false, "", "",
            l.library.requested + ": cannot open shared object file: No such file or directory"};
    }
  };
  drop("cudnn");
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "cudnn-missing"), nullptr);
  EXPECT_EQ(find(d, "cudnn-missing")->severity, Severity::kWarning);
  EXPECT_NE(find(d, "cudnn-missing")->seen.find("libcudnn.so.9"), std::string::npos);
  EXPECT_NE(fixes(*find(d, "cudnn-missing")).find("cudnn9-cuda-13"), std::string::npos);
  EXPECT_EQ(find(d, "cuda-libraries-ok"), nullptr);
  EXPECT_TRUE(d.gpu_usable);  // convolutions need cuDNN, training an MLP does not

  drop("nccl");
  d = diagnose(f);
  ASSERT_NE(find(d, "nccl-missing"), nullptr);

  drop("cublasLt");
  d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "cublas-missing", 5));

  drop("cudart");
  d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "cudart-missing", 5));
}

TEST(Verdict, LibraryOfAnotherMajorVersion) {
  Facts f = healthy_gpu();
  f.libraries[3].version = "8.9.7";
  f.libraries[3].library.real_path = "/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7";
  const Diagnosis d = diagnose(f);
  const Finding* w = find(d, "library-version-mismatch");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("cudnn 8.9.7 loaded, 9.19.0 expected"), std::string::npos) << w->seen;
}

TEST(Verdict, LiveProbes) {
  Facts f = healthy_gpu();
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "live-probes-ok"), nullptr);
  EXPECT_NE(find(d, "live-probes-ok")->seen.find("48.00 TFLOP/s"), std::string::npos)
      << find(d, "live-probes-ok")->seen;
  EXPECT_NE(d.verdict.find("live probes passed"), std::string::npos);
  f.live.state = LiveProbeFacts::State::kFailed;
  f.live.reason = "a 128x128 GEMM differs from the float64 reference by 3.2e+01 (tolerance 1e-03)";
  d = diagnose(f);
  ASSERT_TRUE(blocked_by(d, "live-probe-failed", 6));
  EXPECT_NE(blocker(d).seen.find("float64 reference"), std::string::npos);
  f.live = {};
  f.live.reason = "skipped on request (--no-live)";
  d = diagnose(f);
  EXPECT_EQ(find(d, "live-probes-ok"), nullptr);
  EXPECT_TRUE(d.gpu_usable);  // not running them is not a failure
}

FrameworkFacts torch(const std::string& version, std::optional<std::string> cuda, bool available) {
  FrameworkFacts fw;
  fw.name = "torch";
  fw.state = FrameworkFacts::State::kChecked;
  fw.version = version;
  fw.cuda = cuda;
  fw.built_with_cuda = cuda.has_value();
  fw.gpu_available = available;
  fw.device_count = available ? 1 : 0;
  return fw;
}

TEST(Verdict, FrameworksNotInstalledOrNoPython) {
  Facts f = healthy_gpu();
  FrameworkFacts none;
  none.name = "torch";
  none.state = FrameworkFacts::State::kNotInstalled;
  f.frameworks = {none};
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "framework-not-installed"), nullptr);
  EXPECT_NE(find(d, "framework-not-installed")->seen.find("PyTorch is not installed"),
            std::string::npos);
  none.state = FrameworkFacts::State::kNoPython;
  none.error = "could not start python3: No such file or directory";
  FrameworkFacts tf = none;
  tf.name = "tensorflow";
  f.frameworks = {none, tf};
  d = diagnose(f);
  EXPECT_EQ(std::count_if(d.findings.begin(), d.findings.end(),
                          [](const Finding& x) { return x.code == "python-not-found"; }),
            1);
  none.state = FrameworkFacts::State::kTimedOut;
  none.error = "no answer within 60 s (killed)";
  f.frameworks = {none};
  d = diagnose(f);
  ASSERT_NE(find(d, "framework-check-failed"), nullptr);
  EXPECT_TRUE(d.gpu_usable);  // frameworks never change ignis's verdict
}

TEST(Verdict, TorchCpuOnlyBuildGetsTheFittingInstallCommand) {
  Facts f = healthy_gpu();
  f.frameworks = {torch("2.9.0+cpu", std::nullopt, false)};
  const Diagnosis d = diagnose(f);
  const Finding* w = find(d, "torch-cpu-build");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->severity, Severity::kWarning);
  EXPECT_NE(w->seen.find("torch.version.cuda is None"), std::string::npos);
  // Driver 580 (CUDA 13.0) and an H100: the CUDA 13.0 wheels fit.
  EXPECT_NE(fixes(*w).find("--index-url https://download.pytorch.org/whl/cu130"), std::string::npos)
      << fixes(*w);
  EXPECT_TRUE(d.gpu_usable);
}

TEST(Verdict, TorchBuiltForANewerCudaThanTheDriver) {
  Facts f = healthy_gpu();
  f.kernel.version = "550.54.14";
  f.driver.file_version = "550.54.14";
  f.driver.library.real_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14";
  f.driver.driver_version = 12040;
  f.nvml.cuda_driver_version = 12040;
  f.frameworks = {torch("2.9.0+cu130", "13.0", false)};
  const Diagnosis d = diagnose(f);
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
  f.frameworks = {torch("2.9.0+cu128", "12.8", true)};
  f.frameworks[0].arch_list = {"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"};
  const Diagnosis d = diagnose(f);
  const Finding* w = find(d, "torch-arch-missing");
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w->seen.find("6.1"), std::string::npos);
  EXPECT_NE(fixes(*w).find("whl/cu126"), std::string::npos) << fixes(*w);
}

TEST(Verdict, TorchCudaBuildWithoutGpuAndTorchOk) {
  Facts f = healthy_gpu();
  f.frameworks = {torch("2.9.0+cu130", "13.0", false)};
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "torch-no-gpu"), nullptr);
  f.frameworks = {torch("2.9.0+cu130", "13.0", true)};
  f.frameworks[0].cudnn = "91300";
  d = diagnose(f);
  ASSERT_NE(find(d, "torch-ok"), nullptr);
  EXPECT_EQ(find(d, "torch-ok")->severity, Severity::kOk);
}

TEST(Verdict, TensorFlowBuilds) {
  Facts f = healthy_gpu();
  FrameworkFacts tf;
  tf.name = "tensorflow";
  tf.state = FrameworkFacts::State::kChecked;
  tf.version = "2.18.0";
  f.frameworks = {tf};
  Diagnosis d = diagnose(f);
  ASSERT_NE(find(d, "tensorflow-cpu-build"), nullptr);
  EXPECT_NE(fixes(*find(d, "tensorflow-cpu-build")).find("tensorflow[and-cuda]"),
            std::string::npos);

  tf.built_with_cuda = true;
  tf.cuda = "12.5.1";
  tf.cudnn = "9";
  f.frameworks = {tf};
  f.kernel.version = "470.256.02";  // older than TensorFlow's CUDA 12 build needs
  d = diagnose(f);
  ASSERT_NE(find(d, "tensorflow-no-gpu"), nullptr);
  EXPECT_NE(fixes(*find(d, "tensorflow-no-gpu")).find("525.60.13"), std::string::npos)
      << fixes(*find(d, "tensorflow-no-gpu"));

  tf.gpu_available = true;
  tf.device_count = 1;
  f = healthy_gpu();
  f.frameworks = {tf};
  d = diagnose(f);
  ASSERT_NE(find(d, "tensorflow-ok"), nullptr);
}

TEST(Verdict, NeverThrowsOnEmptyOrOddFacts) {
  Facts empty;
  EXPECT_NO_THROW(diagnose(empty));
  Facts odd = healthy_gpu();
  odd.build.toolkit_version = "garbage";
  odd.build.architectures = {"sm_xx", "", "-real"};
  odd.driver.driver_version = 0;
  odd.nvml.devices[0].memory_total = 0;
  odd.environment.cuda_visible_devices = ",,,";
  const Diagnosis d = diagnose(odd);
  EXPECT_FALSE(d.verdict.empty());
  EXPECT_FALSE(diagnose(no_gpu_machine()).verdict.empty());
}

}  // namespace
}  // namespace ignis::diag

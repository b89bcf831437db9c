// The verdict function on injected facts: this build and its plugin, GPU architectures, CUDA
// libraries and live probes. (The Python frameworks: verdict_frameworks_test.cpp.)
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

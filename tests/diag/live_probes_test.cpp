// The live probes run on any device; on the CPU they exercise the same code the doctor runs on
// cuda:0 once the CUDA backend exists.
#include "ignis/diag/live_probes.hpp"

#include <gtest/gtest.h>

namespace ignis::diag {
namespace {

TEST(LiveProbes, PassOnTheCpuAgainstTheFloat64Reference) {
  const LiveProbeFacts l = run_live_probes(
      {.device = Device::cpu(), .check_size = 64, .rate_size = 128, .copy_bytes = 0});
  EXPECT_EQ(l.state, LiveProbeFacts::State::kPassed) << l.reason;
  EXPECT_EQ(l.device, "cpu");
  EXPECT_TRUE(l.kernel_ok);
  ASSERT_TRUE(l.gemm_max_error.has_value());
  EXPECT_LT(*l.gemm_max_error, 1e-5);
  ASSERT_TRUE(l.gemm_tflops.has_value());
  EXPECT_GT(*l.gemm_tflops, 0.0);
  EXPECT_FALSE(l.h2d_gbps.has_value());  // no copies between distinct memories on the CPU
  EXPECT_GE(l.observations.size(), 3u);
}

TEST(LiveProbes, AWrongResultIsAFailureWithTheNumbers) {
  // A tolerance no float32 GEMM can meet stands in for a device that computes wrongly.
  const LiveProbeFacts l = run_live_probes(
      {.device = Device::cpu(), .check_size = 32, .rate_size = 0, .gemm_tolerance = -1.0});
  EXPECT_EQ(l.state, LiveProbeFacts::State::kFailed);
  EXPECT_NE(l.reason.find("32x32 GEMM differs from the float64 reference"), std::string::npos)
      << l.reason;
}

TEST(LiveProbes, AnUnusableDeviceIsAFailureNotAnException) {
  LiveProbeFacts l;
  EXPECT_NO_THROW(
      l = run_live_probes(
          {.device = Device::cuda(0), .check_size = 8, .rate_size = 0, .copy_bytes = 0}));
  if (l.state == LiveProbeFacts::State::kFailed) {
    EXPECT_NE(l.reason.find("CUDA"), std::string::npos) << l.reason;
  } else {
    EXPECT_EQ(l.state, LiveProbeFacts::State::kPassed);  // a machine with a working CUDA backend
  }
}

}  // namespace
}  // namespace ignis::diag

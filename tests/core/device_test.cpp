#include <gtest/gtest.h>

#include <sstream>

#include "ignis/core/device.hpp"
#include "ignis/core/error.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

TEST(Device, ParsesCpuCudaAndIndexedCuda) {
  EXPECT_TRUE(Device("cpu").is_cpu());
  EXPECT_FALSE(Device("cpu").has_index());
  const Device cuda("cuda");
  EXPECT_TRUE(cuda.is_cuda());
  EXPECT_EQ(cuda.index(), -1);
  const Device cuda1("cuda:1");
  EXPECT_TRUE(cuda1.is_cuda());
  EXPECT_EQ(cuda1.index(), 1);
  EXPECT_EQ(Device("cuda:12").index(), 12);
}

TEST(Device, PrintsWhatItParses) {
  for (const char* spec : {"cpu", "cuda", "cuda:0", "cuda:7"}) {
    EXPECT_EQ(Device(spec).str(), spec);
    std::ostringstream os;
    os << Device(spec);
    EXPECT_EQ(os.str(), spec);
  }
}

TEST(Device, Equality) {
  EXPECT_EQ(Device("cuda:0"), Device::cuda(0));
  EXPECT_NE(Device("cuda:0"), Device::cuda(1));
  EXPECT_NE(Device("cuda"), Device::cuda(0));
  EXPECT_EQ(Device("cpu"), Device::cpu());
  EXPECT_EQ(Device(DeviceType::kCPU, 3), Device::cpu());  // the CPU has no index
}

TEST(Device, RejectsMalformedSpecsWithTheExpectedForms) {
  for (const char* spec : {"", "gpu", "CUDA", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "cpu:0", "cuda0", " cpu"}) {
    IGNIS_EXPECT_THROW_MSG(Device{spec}, DeviceError, "cannot parse device", "cuda:N");
  }
}

}  // namespace
}  // namespace ignis

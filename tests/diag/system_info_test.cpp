#include <gtest/gtest.h>

#include "ignis/diag/system_info.hpp"

namespace ignis::diag {
namespace {

TEST(SystemInfo, CpuFactsComeFromThisMachine) {
  const CpuInfo cpu = cpu_info();
  EXPECT_GE(cpu.logical_cores, 1);
  EXPECT_FALSE(cpu.model.empty());
}

TEST(SystemInfo, OneDnnReportsItsVersionAndIsa) {
  const OneDnnInfo info = onednn_info();
  EXPECT_FALSE(info.version.empty());
  EXPECT_FALSE(info.isa.empty());
}

}  // namespace
}  // namespace ignis::diag

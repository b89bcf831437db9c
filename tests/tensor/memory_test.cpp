// Memory budgets, the tagging of allocations by category, and the out-of-memory report of the
// CPU allocator.
#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>

#include "ignis/tensor/memory.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

constexpr std::size_t kKiB = 1024, kMiB = 1024 * 1024;

/// Sets the CPU budget for a scope and removes it after.
struct CpuBudget {
  explicit CpuBudget(std::size_t bytes) { set_memory_limit(Device::cpu(), bytes); }
  ~CpuBudget() { set_memory_limit(Device::cpu(), 0); }
};

std::size_t category_sum(const CpuMemoryStats& s) {
  return std::accumulate(s.category_bytes.begin(), s.category_bytes.end(), std::size_t{0});
}

TEST(MemorySize, ParsesBytesAndBinaryUnits) {
  EXPECT_EQ(parse_memory_size("1048576"), 1048576u);
  EXPECT_EQ(parse_memory_size("512K"), 512 * kKiB);
  EXPECT_EQ(parse_memory_size("64MiB"), 64 * kMiB);
  EXPECT_EQ(parse_memory_size(" 1.5GB "), 3 * 512 * kMiB);
  EXPECT_EQ(parse_memory_size("2g"), 2048 * kMiB);
  for (const char* bad : {"", "MiB", "12 apples", "-5M", "1.2.3K", "99999999T"}) {
    IGNIS_EXPECT_THROW_MSG(parse_memory_size(bad), ValueError, "is not a size in bytes", "64MiB");
  }
}

TEST(MemoryBudget, IsPerDeviceAndRemovable) {
  set_memory_limit(Device::cuda(1), 8 * kMiB);
  EXPECT_EQ(memory_limit(Device::cuda(1)), 8 * kMiB);
  EXPECT_EQ(memory_limit(Device::cuda(0)), 0u);
  EXPECT_EQ(memory_limit(Device::cpu()), 0u);
  set_memory_limit(Device::cuda(1), 0);
  EXPECT_EQ(memory_limit(Device::cuda(1)), 0u);
}

TEST(MemoryBudget, CpuAllocatorThrowsAnAttributedReportBeyondTheBudget) {
  empty_cpu_cache();
  const std::size_t base = cpu_memory_stats().allocated_bytes;
  CpuBudget budget(base + 2 * kMiB);
  const Tensor kept = full({256 * 1024}, 3.0f);  // 1 MiB, fits
  try {
    const Tensor too_much = empty({512 * 1024});  // 2 MiB more: over the budget
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string what = e.what();
    for (const char* fragment : {"[cpu allocator] out of memory on cpu", "tried to allocate 2.0 MiB",
                                 "memory budget of", "parameters", "gradients", "optimizer state", "activations",
                                 "workspace", "cached (free)", "largest free block", "Fixes:", "raise the budget"}) {
      EXPECT_NE(what.find(fragment), std::string::npos) << what << "\nlacks: " << fragment;
    }
    ASSERT_NE(e.report(), nullptr);
    const MemoryReport& r = *e.report();
    EXPECT_EQ(r.requested_bytes, 2 * kMiB);
    EXPECT_EQ(r.limit_bytes, base + 2 * kMiB);
    EXPECT_GT(r.total_bytes, 0u);
    // The report's figures are the allocator's: the categories add up to the live bytes.
    const CpuMemoryStats s = cpu_memory_stats();
    EXPECT_EQ(r.allocated_bytes, s.allocated_bytes);
    EXPECT_EQ(r.cached_bytes, s.cached_bytes);
    EXPECT_EQ(r.category_bytes, s.category_bytes);
    EXPECT_EQ(std::accumulate(r.category_bytes.begin(), r.category_bytes.end(), std::size_t{0}), r.allocated_bytes);
  }
  // Nothing was corrupted: the kept tensor is intact and a request within the budget succeeds.
  EXPECT_TRUE(testing::all_close(kept.sum(), {}, {3.0 * 256 * 1024}, 0, 0));
  const Tensor fits = full({128 * 1024}, 1.0f);
  EXPECT_EQ(fits.sum().item<float>(), 128.0f * 1024);
}

TEST(MemoryBudget, DropsTheCacheBeforeGivingUp) {
  empty_cpu_cache();
  const std::size_t base = cpu_memory_stats().allocated_bytes;
  CpuBudget budget(base + 3 * kMiB);
  { const Tensor a = empty({512 * 1024}); }  // 2 MiB, cached when freed (if the cache is on)
  const Tensor b = empty({640 * 1024});      // 2.5 MiB, another size class: needs the cache's room
  EXPECT_EQ(cpu_memory_stats().cached_bytes, 0u);
  EXPECT_LE(cpu_memory_stats().allocated_bytes + cpu_memory_stats().cached_bytes, base + 3 * kMiB);
}

TEST(MemoryCategories, ScopesTagAndRetagMovesTheBytes) {
  const CpuMemoryStats before = cpu_memory_stats();
  auto bytes = [](const CpuMemoryStats& s, MemoryCategory c) { return s.category_bytes[static_cast<std::size_t>(c)]; };
  Tensor t;
  {
    MemoryCategoryScope scope(MemoryCategory::kOptimizerState);
    EXPECT_EQ(current_memory_category(), MemoryCategory::kOptimizerState);
    t = empty({1000});  // 4000 bytes, class 4096
    EXPECT_EQ(t.storage()->memory_category(), MemoryCategory::kOptimizerState);
  }
  EXPECT_EQ(current_memory_category(), MemoryCategory::kWorkspace);
  const CpuMemoryStats tagged = cpu_memory_stats();
  EXPECT_EQ(bytes(tagged, MemoryCategory::kOptimizerState), bytes(before, MemoryCategory::kOptimizerState) + 4096);
  EXPECT_EQ(category_sum(tagged), tagged.allocated_bytes);

  set_memory_category(t.view({10, 100}), MemoryCategory::kGradients);  // a view retags its storage
  const CpuMemoryStats moved = cpu_memory_stats();
  EXPECT_EQ(bytes(moved, MemoryCategory::kOptimizerState), bytes(before, MemoryCategory::kOptimizerState));
  EXPECT_EQ(bytes(moved, MemoryCategory::kGradients), bytes(before, MemoryCategory::kGradients) + 4096);
  set_memory_category(t, MemoryCategory::kActivations, Retag::kOnlyUntagged);  // already tagged: stays
  EXPECT_EQ(t.storage()->memory_category(), MemoryCategory::kGradients);
  t = Tensor();
  const CpuMemoryStats freed = cpu_memory_stats();
  EXPECT_EQ(bytes(freed, MemoryCategory::kGradients), bytes(before, MemoryCategory::kGradients));
  EXPECT_EQ(category_sum(freed), freed.allocated_bytes);
}

TEST(MemoryBudgetDeathTest, ReadsTheEnvironmentVariable) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: the variable is read once
  EXPECT_EXIT(
      {
        setenv("IGNIS_MEMORY_LIMIT", "cpu=3MiB,cuda:1=1G", 1);
        const bool ok = memory_limit(Device::cpu()) == 3 * kMiB && memory_limit(Device::cuda(1)) == 1024 * kMiB &&
                        memory_limit(Device::cuda(0)) == 0;
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        setenv("IGNIS_MEMORY_LIMIT", "256M", 1);
        std::exit(memory_limit(Device::cpu()) == 256 * kMiB && memory_limit(Device::cuda(3)) == 256 * kMiB ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        setenv("IGNIS_MEMORY_LIMIT", "cpu:lots", 1);
        try {
          memory_limit(Device::cpu());
        } catch (const ValueError& e) {
          std::exit(std::string(e.what()).find("IGNIS_MEMORY_LIMIT") != std::string::npos ? 0 : 2);
        }
        std::exit(1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace ignis

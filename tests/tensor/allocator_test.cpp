// The CPU allocator's cache of large blocks.
#include <gtest/gtest.h>

#include <cstdint>

#include "support/reference.hpp"

namespace ignis {
namespace {

/// The cache tests need room for a few 16 MiB blocks; the sanitizer job turns the cache off.
#define IGNIS_SKIP_WITHOUT_CACHE()                                                          \
  if (cpu_memory_stats().cache_limit_bytes < (std::size_t{64} << 20)) {                     \
    GTEST_SKIP() << "the CPU block cache is off or small (IGNIS_CPU_CACHE_BYTES="           \
                 << cpu_memory_stats().cache_limit_bytes << ")";                            \
  }

TEST(CpuAllocator, ReusesAFreedLargeBlockForASimilarRequest) {
  IGNIS_SKIP_WITHOUT_CACHE();
  empty_cpu_cache();
  void* first = nullptr;
  {
    const Tensor big = empty({1 << 21});  // 8 MiB
    first = big.data_ptr();
    EXPECT_GE(cpu_memory_stats().allocated_bytes, std::size_t{8} << 20);
  }
  const CpuMemoryStats after_free = cpu_memory_stats();
  EXPECT_EQ(after_free.cached_bytes, std::size_t{8} << 20);
  EXPECT_EQ(after_free.cached_blocks, 1u);
  const std::size_t hits = after_free.cache_hits;
  const Tensor again = empty({(1 << 21) - 1000});  // slightly smaller: same block
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(cpu_memory_stats().cache_hits, hits + 1);
  EXPECT_EQ(cpu_memory_stats().cached_bytes, 0u);
}

TEST(CpuAllocator, DoesNotHandOutBlocksMuchLargerThanAsked) {
  IGNIS_SKIP_WITHOUT_CACHE();
  empty_cpu_cache();
  { const Tensor big = empty({1 << 22}); }  // 16 MiB cached
  const Tensor small = empty({1 << 20});     // 4 MiB: a fresh block, the 16 MiB stays cached
  EXPECT_EQ(cpu_memory_stats().cached_bytes, std::size_t{16} << 20);
  empty_cpu_cache();
  EXPECT_EQ(cpu_memory_stats().cached_bytes, 0u);
  EXPECT_EQ(cpu_memory_stats().cached_blocks, 0u);
}

TEST(CpuAllocator, NothingIsCachedWhenTheCacheIsOff) {
  if (cpu_memory_stats().cache_limit_bytes != 0) GTEST_SKIP() << "the cache is on";
  { const Tensor big = empty({1 << 22}); }
  EXPECT_EQ(cpu_memory_stats().cached_bytes, 0u);
}

TEST(CpuAllocator, SmallBlocksAreReusedByClass) {
  IGNIS_SKIP_WITHOUT_CACHE();
  empty_cpu_cache();
  void* first = nullptr;
  {
    const Tensor small = empty({1000});  // 4000 bytes: class 4096
    first = small.data_ptr();
  }
  EXPECT_EQ(cpu_memory_stats().cached_bytes, 4096u);
  const Tensor again = empty({1010});  // 4040 bytes: the same class
  EXPECT_EQ(again.data_ptr(), first);
  const Tensor other = empty({3});  // 12 bytes: class 64, a new block
  EXPECT_NE(other.data_ptr(), first);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(other.data_ptr()) % kCpuAlignment, 0u);
}

TEST(CpuAllocator, ReusedMemoryIsStillCorrectlyInitialisedByFactories) {
  empty_cpu_cache();
  { Tensor junk = full({1 << 20}, 7.0f); }
  const Tensor z = zeros({1 << 20});
  EXPECT_EQ(sum(z).item<double>(), 0.0);
}

}  // namespace
}  // namespace ignis

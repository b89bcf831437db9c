// The CPU loop engine: dimension merging and row walking over any linear range.
#include <gtest/gtest.h>

#include <set>

#include "backend/cpu/parallel.hpp"
#include "backend/cpu/strided_loop.hpp"
#include "support/reference.hpp"

namespace ignis::backend::cpu {
namespace {

TEST(StridedLoop, MergesContiguousDimensionsIntoOneRow) {
  const Tensor x = zeros({2, 3, 4});
  const auto loop = make_loop<1>({&x});
  EXPECT_EQ(loop.ndim, 1);
  EXPECT_EQ(loop.sizes[0], 24);
  EXPECT_EQ(loop.strides[0][0], 4);  // bytes
}

TEST(StridedLoop, KeepsDimensionsThatCannotMerge) {
  const Tensor x = zeros({3, 4});
  const Tensor t = x.t();
  const Tensor c = zeros({4, 3});
  const auto loop = make_loop<2>({&c, &t});
  EXPECT_EQ(loop.ndim, 2);
  const Tensor e = zeros({3, 1}).expand({3, 5});
  const auto eloop = make_loop<1>({&e});
  EXPECT_EQ(eloop.ndim, 2);
  EXPECT_EQ(eloop.strides[1][0], 0);
  const Tensor s = zeros({1, 1});
  EXPECT_EQ(make_loop<1>({&s}).ndim, 1);
}

TEST(StridedLoop, EveryLinearRangeVisitsEachElementOnce) {
  const Tensor base = zeros({5, 6, 7});
  const Tensor x = base.permute({2, 0, 1}).slice(2, 0, 6, 2);  // shape (7, 5, 3)
  const auto loop = make_loop<1>({&x});
  const std::int64_t n = x.numel();
  for (std::int64_t begin : {0L, 1L, 2L, 14L, 50L}) {
    for (std::int64_t end : {begin, begin + 1, n - 3, n}) {
      if (end < begin) continue;
      std::multiset<const char*> seen;
      std::int64_t visited = 0;
      for_each_row(loop, loop.base, begin, end, [&](char* const* p, const std::int64_t* s, std::int64_t count) {
        for (std::int64_t k = 0; k < count; ++k) seen.insert(p[0] + k * s[0]);
        visited += count;
      });
      EXPECT_EQ(visited, end - begin);
      EXPECT_EQ(static_cast<std::int64_t>(std::set<const char*>(seen.begin(), seen.end()).size()), end - begin);
    }
  }
}

TEST(ParallelFor, CoversTheRangeAndRethrowsErrors) {
  std::vector<int> hits(100000, 0);
  parallel_for(0, 100000, 1000, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
  });
  for (int h : hits) ASSERT_EQ(h, 1);
  EXPECT_THROW(parallel_for(0, 100000, 1000,
                            [](std::int64_t b, std::int64_t) {
                              if (b > 0) throw IndexError("from a worker");
                            }),
               IndexError);
}

}  // namespace
}  // namespace ignis::backend::cpu

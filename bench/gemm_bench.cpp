// W6 (docs/benchmarks.md): SGEMM C = A·B, float32, row-major, M = N = K = n for n = 1024, 4096.
//
//   W6/ignis_matmul/n  ignis::matmul(a, b): everything a caller pays per call — argument checks,
//                      shape/broadcast logic, allocating the n×n output (aligned_alloc; at 4096
//                      that is 64 MiB, which glibc always serves with a fresh mmap, so the output
//                      pages are also first-touch faulted by the GEMM), freeing the previous
//                      output, and dnnl_sgemm itself.
//   W6/onednn_sgemm/n  dnnl_sgemm('N', 'N', ...) called directly on the same A and B, into a
//                      C that is allocated and touched once, before timing: the library's own
//                      rate, i.e. the ceiling for ignis.
//   W6/onednn_sgemm_fresh/n  the same call into a C from std::aligned_alloc, freed after each
//                      call (diagnostic): what the fresh output alone costs, without ignis.
//
// Both sides run on the same OpenMP runtime (libgomp) with the same thread count
// (OMP_NUM_THREADS, reported as context "omp_threads"). Each reports counter "FLOP" = 2·n³ per
// iteration as a rate, i.e. FLOP/s, and "faults", the minor page faults per call. Time is
// wall-clock (UseRealTime), as the work is multi-threaded.
// The two sides are interleaved per size so that drift of the shared machine hits both alike.
#include <benchmark/benchmark.h>
#include <dnnl.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "ignis/ignis.hpp"

namespace {

struct Inputs {
  ignis::Tensor a, b;
};

/// Random n×n inputs, made once per size and shared by both sides.
const Inputs& inputs(std::int64_t n) {
  static std::map<std::int64_t, Inputs> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    ignis::Generator gen(42);
    Inputs in{ignis::rand({n, n}, {}, &gen), ignis::rand({n, n}, {}, &gen)};
    it = cache.emplace(n, std::move(in)).first;
  }
  return it->second;
}

void sgemm(std::int64_t n, const float* a, const float* b, float* c) {
  if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n) != dnnl_success) {
    throw std::runtime_error("dnnl_sgemm failed");
  }
}

void set_flop_counter(benchmark::State& state, std::int64_t n) {
  state.counters["FLOP"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void bm_ignis_matmul(benchmark::State& state, std::int64_t n) {
  const Inputs& in = inputs(n);
  benchmark::DoNotOptimize(ignis::matmul(in.a, in.b));  // warm-up: oneDNN JIT, allocator
  const ignis_bench::FaultCounter faults;
  for (auto _ : state) {
    ignis::Tensor c = ignis::matmul(in.a, in.b);  // output allocated (and freed) every call
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_flop_counter(state, n);
  faults.report(state);
}

void bm_onednn_sgemm(benchmark::State& state, std::int64_t n) {
  const Inputs& in = inputs(n);
  std::vector<float> c(static_cast<std::size_t>(n * n), 0.0f);  // allocated and touched once
  const float* a = in.a.data_ptr<float>();
  const float* b = in.b.data_ptr<float>();
  sgemm(n, a, b, c.data());  // warm-up
  const ignis_bench::FaultCounter faults;
  for (auto _ : state) {
    sgemm(n, a, b, c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flop_counter(state, n);
  faults.report(state);
}

void bm_onednn_sgemm_fresh(benchmark::State& state, std::int64_t n) {
  const Inputs& in = inputs(n);
  const float* a = in.a.data_ptr<float>();
  const float* b = in.b.data_ptr<float>();
  const auto bytes = static_cast<std::size_t>(n * n) * sizeof(float);
  const ignis_bench::FaultCounter faults;
  for (auto _ : state) {
    auto* c = static_cast<float*>(std::aligned_alloc(64, bytes));  // as ignis's allocator does
    sgemm(n, a, b, c);
    benchmark::DoNotOptimize(c);
    std::free(c);
  }
  set_flop_counter(state, n);
  faults.report(state);
}

/// Sanity check before timing: both paths compute the same product.
bool results_agree(std::int64_t n) {
  const Inputs& in = inputs(n);
  const ignis::Tensor ours = ignis::matmul(in.a, in.b);
  std::vector<float> ref(static_cast<std::size_t>(n * n));
  sgemm(n, in.a.data_ptr<float>(), in.b.data_ptr<float>(), ref.data());
  const float* p = ours.data_ptr<float>();
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (std::abs(p[i] - ref[i]) > 1e-3f * std::abs(ref[i]) + 1e-3f) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!results_agree(256)) {
    std::fprintf(stderr, "gemm_bench: ignis::matmul and dnnl_sgemm disagree\n");
    return 1;
  }
  benchmark::AddCustomContext("omp_threads", std::to_string(ignis::get_num_threads()));
  benchmark::AddCustomContext("ignis_version", ignis::build_info::kVersion);
  benchmark::AddCustomContext("onednn_version", ignis::build_info::kOneDnnVersion);

  for (const std::int64_t n : {1024, 4096}) {
    // (std::string{...}.append: GCC 12 gives a false -Wrestrict for "literal" + std::string.)
    const std::string size = std::to_string(n);
    const std::string ours_name = std::string("W6/ignis_matmul/").append(size);
    const std::string peer_name = std::string("W6/onednn_sgemm/").append(size);
    const std::string fresh_name = std::string("W6/onednn_sgemm_fresh/").append(size);
    auto* ours = benchmark::RegisterBenchmark(ours_name.c_str(), bm_ignis_matmul, n);
    auto* peer = benchmark::RegisterBenchmark(peer_name.c_str(), bm_onednn_sgemm, n);
    auto* fresh = benchmark::RegisterBenchmark(fresh_name.c_str(), bm_onednn_sgemm_fresh, n);
    for (auto* b : {ours, peer, fresh}) {
      b->UseRealTime()->Unit(benchmark::kMillisecond);
      // 4096³ is 0.25-1.5 s per call on these machines: a fixed, small count keeps the run short.
      if (n >= 4096) {
        b->Iterations(5);
      } else {
        b->MinTime(1.0);
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

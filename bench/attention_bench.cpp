// Attention alone (issue #20): ignis::scaled_dot_product_attention, causal, forward + backward,
// batch 4, 8 heads, head dim 64, sequence lengths 128 to 1024, float32. The peer is
// bench/peer/attention_peer.py (torch.nn.functional.scaled_dot_product_attention), same shapes.
//   ATT/ignis/L    one forward + backward (the gradient of out.sum() w.r.t. q, k, v);
//                  items_per_second counts query rows (B·H·L per iteration).
// With IGNIS_BENCH_DEVICE=cuda the same on the GPU (each iteration ends with a synchronisation).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench_common.hpp"
#include "ignis/ignis.hpp"

namespace {

using ignis::Tensor;

constexpr std::int64_t kBatch = 4, kHeads = 8, kHeadDim = 64;

void BM_Attention(benchmark::State& state) {
  const std::int64_t len = state.range(0);
  const ignis::Device device = ignis_bench::bench_device();
  ignis::Generator gen(1);
  auto input = [&] { return ignis::randn({kBatch, kHeads, len, kHeadDim}, {}, &gen).to(device).requires_grad_(); };
  Tensor q = input(), k = input(), v = input();
  auto step = [&] {
    const Tensor out = ignis::scaled_dot_product_attention(q, k, v, {.is_causal = true});
    out.sum().backward();
    q.set_grad(Tensor());
    k.set_grad(Tensor());
    v.set_grad(Tensor());
    ignis_bench::sync_device(device);
  };
  step();  // warm-up
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * kBatch * kHeads * len);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) {
    ignis::set_num_threads(std::atoi(env));
  }
  benchmark::RegisterBenchmark("ATT/ignis", BM_Attention)
      ->Arg(128)->Arg(256)->Arg(512)->Arg(1024)
      ->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.3)->Repetitions(3)->ReportAggregatesOnly(true);
  benchmark::AddCustomContext("omp_threads", std::to_string(ignis::get_num_threads()));
  benchmark::AddCustomContext("device", ignis_bench::bench_device().str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

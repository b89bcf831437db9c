// W1, W2, W3, W4 and W8 (docs/benchmarks.md): one training step of the tutorials' two small models, of
// a 784-512-512-10 MLP, of a small CNN and of nanoGPT's GPT (W8, struct W8 below), float32 on the CPU (or on the GPU with IGNIS_BENCH_DEVICE=cuda: every
// timed iteration then ends with a device synchronisation, as the peer's). The peer, PyTorch eager, runs the same workloads in
// bench/peer/train_step_peer.py.
//
//   W1/ignis/step  the tutorial's PyTorch example: Linear(10, 2), MSE loss, SGD (lr 0.01),
//                  batch 100. One iteration is one whole step: zero_grad, forward, loss,
//                  backward, optimizer step. items_per_second counts steps (the metric: steps/s).
//   W2/ignis/step  the tutorial's Keras example, Dense(64, relu), Dense(1): Linear(8, 64), ReLU,
//                  Linear(64, 1), MSE, Adam (lr 1e-3), batch 32. The example leaves the input
//                  width open; it is 8 features here and in the peer. items_per_second counts
//                  samples, 32 per step (the metric: samples/s).
//   W3/ignis/step  MLP Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10),
//                  cross-entropy on logits with class-index targets, Adam (lr 1e-3), batch 128.
//                  items_per_second counts samples; counter "FLOP" is the model's arithmetic as
//                  a rate (FLOP/s): 3 GEMMs forward and 6 backward, 2·M·N·K each, 513.6 MFLOP
//                  per step (the first layer's input gradient, 102.8 MFLOP of it, is counted
//                  though neither library computes it: the input needs no gradient).
//   W3/ignis/sgemm1024  the reference rate of W3's goal: ignis::matmul of two 1024×1024 float32
//                  matrices (output allocated per call), as W6/ignis_matmul/1024; counter FLOP.
//   W3/ignis/gemms_only  diagnostic: the 8 GEMMs a W3 step runs (3 forward, 5 backward), at
//                  their shapes and transposes, through ignis::matmul under NoGradGuard: what
//                  the GEMMs alone cost at these sizes. Counter FLOP counts those 8 (410.9 MFLOP).
//   W4/ignis/step  CNN Conv2d(1, 32, 3), ReLU, Conv2d(32, 64, 3), ReLU, MaxPool2d(2), Flatten,
//                  Linear(9216, 128), ReLU, Linear(128, 10), cross-entropy, Adam (lr 1e-3), batch
//                  64 of 1×28×28 images; items_per_second counts samples.
// Memory (run alone, one process per workload: scripts/bench does):
//   memory/W?/ignis  builds the workload and runs 20 steps in a process that has run nothing
//                    else; counters peak_rss_mib (VmHWM after the steps, the peak being reset
//                    first) and increase_mib (that peak minus VmRSS before the workload was
//                    built: what the model, data, gradients, optimizer state and activations
//                    took, allocator caches included). The peer's memory/W?/torch is the same.
// Diagnostics, where a step's time goes:
//   W?/ignis/phases  the same step with a clock reading between the phases; counters
//                    zero_grad_us, forward_us, loss_us, backward_us, step_us (µs per step; the
//                    six clock reads add ≈ 0.1 µs) and news, the C++ heap allocations
//                    (operator new) per step.
//   W?/ignis/forward_nograd  forward + loss under NoGradGuard: no graph is recorded, so
//                    forward_us + loss_us minus this is what recording the graph costs.
//
// The data (inputs and targets, a noisy linear function of them) is random, made once before
// timing, and the same batch is used at every step; 200 warm-up steps run before timing, so the
// optimizer's state exists and the allocator is warm. The step benchmarks run 5 repetitions of
// ≥ 0.2 s, the diagnostics 3 of ≥ 0.1 s; each reports the median. Threads: OMP_NUM_THREADS,
// also passed to ignis::set_num_threads; context "omp_threads". Time is wall-clock
// (UseRealTime). Counter "faults": minor page faults per step; "loss": the loss after the last
// step (it must have fallen: a check that the model trains).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "bench_common.hpp"
#include "ignis/ignis.hpp"
#include "ignis/models/gpt.hpp"

// --- counting heap allocations (only while g_count_news is set, in the phases benchmarks) -----
// This replaces the global operator new of the whole process (libignis included); when not
// counting it costs one relaxed atomic load on top of malloc.
namespace {
std::atomic<bool> g_count_news{false};
std::atomic<std::int64_t> g_news{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_count_news.load(std::memory_order_relaxed)) g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC 12 flags free() of this operator new's malloc'd memory once both are inlined into a
// caller (-Wmismatched-new-delete, a false positive: they are a matching pair).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using ignis::Tensor;
namespace nn = ignis::nn;
namespace optim = ignis::optim;
namespace models = ignis::models;

constexpr int kWarmupSteps = 200;

/// Inputs x (batch × features) and targets y = x·a + 0.1·noise (batch × outputs), seeded.
struct Batch {
  Tensor x, y;
};
Batch make_batch(std::int64_t batch, std::int64_t features, std::int64_t outputs, std::uint64_t seed) {
  ignis::Generator gen(seed);
  Tensor x = ignis::randn({batch, features}, {}, &gen);
  Tensor a = ignis::randn({features, outputs}, {}, &gen);
  Tensor y = ignis::matmul(x, a) + 0.1 * ignis::randn({batch, outputs}, {}, &gen);
  return {x.to(ignis_bench::bench_device()), y.to(ignis_bench::bench_device())};
}

/// Inputs x (batch × features, standard normal) and class-index targets y (batch, int64), seeded.
Batch make_classes(std::int64_t batch, std::int64_t features, std::int64_t classes, std::uint64_t seed) {
  ignis::Generator gen(seed);
  Tensor x = ignis::randn({batch, features}, {}, &gen);
  Tensor y = ignis::randint(0, classes, {batch}, {}, &gen);
  return {x.to(ignis_bench::bench_device()), y.to(ignis_bench::bench_device())};
}

/// The model moved to the benchmark device, before the optimizer takes its parameters.
template <class M>
M& on_device(M& model) {
  model.to(ignis_bench::bench_device());
  return model;
}

/// W1: the tutorial's PyTorch example.
struct W1 {
  static constexpr const char* kName = "W1";
  static constexpr std::int64_t kBatch = 100;
  static constexpr std::int64_t kItemsPerStep = 1;  // the metric is steps/s
  nn::Linear model{10, 2};
  Batch data = make_batch(kBatch, 10, 2, 1);
  optim::SGD optimizer{on_device(model).parameters(), {.lr = 0.01}};
};

/// W2: the tutorial's Keras example, with 8 input features.
struct W2 {
  static constexpr const char* kName = "W2";
  static constexpr std::int64_t kBatch = 32;
  static constexpr std::int64_t kItemsPerStep = kBatch;  // the metric is samples/s
  nn::Sequential model{nn::Linear(8, 64), nn::ReLU(), nn::Linear(64, 1)};
  Batch data = make_batch(kBatch, 8, 1, 2);
  optim::Adam optimizer{on_device(model).parameters(), {.lr = 1e-3}};
};

/// W3: an MLP classifier big enough for the GEMMs to dominate.
struct W3 {
  static constexpr const char* kName = "W3";
  static constexpr std::int64_t kBatch = 128;
  static constexpr std::int64_t kItemsPerStep = kBatch;  // the metric is samples/s
  static constexpr std::int64_t kIn = 784, kHidden = 512, kClasses = 10;
  /// 2·M·N·K for x·W1ᵀ, h1·W2ᵀ, h2·W3ᵀ, times 3 (forward, input gradient, weight gradient).
  static constexpr double kFlopPerStep =
      3.0 * 2.0 * kBatch * (kIn * kHidden + kHidden * kHidden + kHidden * kClasses);
  nn::Sequential model{nn::Linear(kIn, kHidden), nn::ReLU(), nn::Linear(kHidden, kHidden), nn::ReLU(),
                       nn::Linear(kHidden, kClasses)};
  Batch data = make_classes(kBatch, kIn, kClasses, 3);
  optim::Adam optimizer{on_device(model).parameters(), {.lr = 1e-3}};
  static Tensor loss(const Tensor& out, const Tensor& y) { return nn::functional::cross_entropy(out, y); }
};

/// W4: the CNN of PyTorch's MNIST example (without dropout), on 1×28×28 images.
struct W4 {
  static constexpr const char* kName = "W4";
  static constexpr std::int64_t kBatch = 64;
  static constexpr std::int64_t kItemsPerStep = kBatch;  // the metric is samples/s
  nn::Sequential model{nn::Conv2d(1, 32, 3), nn::ReLU(), nn::Conv2d(32, 64, 3), nn::ReLU(), nn::MaxPool2d(2),
                       nn::Flatten(), nn::Linear(9216, 128), nn::ReLU(), nn::Linear(128, 10)};
  Batch data = images(make_classes(kBatch, 28 * 28, 10, 4));
  optim::Adam optimizer{on_device(model).parameters(), {.lr = 1e-3}};
  static Tensor loss(const Tensor& out, const Tensor& y) { return nn::functional::cross_entropy(out, y); }
  static Batch images(Batch b) { return {b.x.reshape({kBatch, 1, 28, 28}), b.y}; }
};

/// W8: one step of nanoGPT's model at W9's size (4 layers, 4 heads, 256 channels, block 128,
/// vocabulary 256), batch 16, AdamW as nanoGPT configures it (weight decay 0.1 on matrices
/// only, betas (0.9, 0.99)). items_per_second counts tokens (2,048 per step).
struct W8 {
  static constexpr const char* kName = "W8";
  static constexpr std::int64_t kBatch = 16, kBlock = 128;
  static constexpr std::int64_t kItemsPerStep = kBatch * kBlock;  // the metric is tokens/s
  static constexpr int kWarmupSteps = 5;                          // ~0.1 s each: fewer than the others
  models::GPT model{{.block_size = kBlock, .vocab_size = 256, .n_layer = 4, .n_head = 4, .n_embd = 256}};
  Batch data = tokens();
  optim::AdamW optimizer{optim::weight_decay_groups(on_device(model).named_parameters(), 0.1),
                         {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.99, .weight_decay = 0.1}};
  static Tensor loss(const Tensor& logits, const Tensor& y) {
    return nn::functional::cross_entropy(logits.reshape({-1, 256}), y.reshape({-1}));
  }
  static Batch tokens() {
    ignis::Generator gen(8);
    const Tensor t = ignis::randint(0, 256, {kBatch, kBlock + 1}, {.dtype = ignis::kInt64}, &gen);
    return {t.narrow(1, 0, kBlock).contiguous().to(ignis_bench::bench_device()),
            t.narrow(1, 1, kBlock).contiguous().to(ignis_bench::bench_device())};
  }
};

/// The loss of workload W: its own when it has one (W3), MSE otherwise.
template <class W>
Tensor loss_of(const Tensor& out, const Tensor& y) {
  if constexpr (requires { W::loss(out, y); }) {
    return W::loss(out, y);
  } else {
    return nn::functional::mse_loss(out, y);
  }
}

/// One training step; returns the loss (its graph already freed by backward).
template <class W>
Tensor train_step(W& w) {
  w.optimizer.zero_grad();
  const Tensor out = w.model(w.data.x);
  Tensor loss = loss_of<W>(out, w.data.y);
  loss.backward();
  w.optimizer.step();
  return loss;
}

template <class W>
void warm_up(W& w) {
  int steps = kWarmupSteps;
  if constexpr (requires { W::kWarmupSteps; }) steps = W::kWarmupSteps;
  for (int i = 0; i < steps; ++i) train_step(w);
}

template <class W>
void BM_Step(benchmark::State& state) {
  W w;
  warm_up(w);
  Tensor loss;
  const ignis_bench::FaultCounter faults;
  const ignis::Device device = ignis_bench::bench_device();
  for (auto _ : state) {
    loss = train_step(w);
    benchmark::DoNotOptimize(loss.data_ptr());
    ignis_bench::sync_device(device);
  }
  faults.report(state);
  state.SetItemsProcessed(state.iterations() * W::kItemsPerStep);
  state.counters["loss"] = loss.item<double>();
  if constexpr (requires { W::kFlopPerStep; }) {
    state.counters["FLOP"] = benchmark::Counter(W::kFlopPerStep, benchmark::Counter::kIsIterationInvariantRate);
  }
}

template <class W>
void BM_Phases(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  W w;
  warm_up(w);
  double us[5] = {};  // zero_grad, forward, loss, backward, step
  auto add = [&us](int phase, Clock::time_point from, Clock::time_point to) {
    us[phase] += std::chrono::duration<double, std::micro>(to - from).count();
  };
  // On a GPU each phase ends with a synchronisation, so a phase is charged its own kernels.
  const ignis::Device device = ignis_bench::bench_device();
  auto now = [device] {
    ignis_bench::sync_device(device);
    return Clock::now();
  };
  g_news = 0;
  g_count_news = true;
  for (auto _ : state) {
    const auto t0 = now();
    w.optimizer.zero_grad();
    const auto t1 = now();
    const Tensor out = w.model(w.data.x);
    const auto t2 = now();
    Tensor loss = loss_of<W>(out, w.data.y);
    const auto t3 = now();
    loss.backward();
    const auto t4 = now();
    w.optimizer.step();
    const auto t5 = now();
    add(0, t0, t1);
    add(1, t1, t2);
    add(2, t2, t3);
    add(3, t3, t4);
    add(4, t4, t5);
  }
  g_count_news = false;
  const char* names[5] = {"zero_grad_us", "forward_us", "loss_us", "backward_us", "step_us"};
  for (int i = 0; i < 5; ++i) state.counters[names[i]] = benchmark::Counter(us[i], benchmark::Counter::kAvgIterations);
  state.counters["news"] = benchmark::Counter(static_cast<double>(g_news.load()), benchmark::Counter::kAvgIterations);
}

template <class W>
void BM_ForwardNoGrad(benchmark::State& state) {
  W w;
  warm_up(w);
  ignis::NoGradGuard no_grad;
  const ignis::Device device = ignis_bench::bench_device();
  for (auto _ : state) {
    Tensor loss = loss_of<W>(w.model(w.data.x), w.data.y);
    benchmark::DoNotOptimize(loss.data_ptr());
    ignis_bench::sync_device(device);
  }
}

/// W3's reference: SGEMM 1024³ through ignis::matmul, as W6 measures it.
void BM_Sgemm1024(benchmark::State& state) {
  constexpr std::int64_t n = 1024;
  ignis::Generator gen(42);
  const ignis::Device device = ignis_bench::bench_device();
  const Tensor a = ignis::rand({n, n}, {}, &gen).to(device), b = ignis::rand({n, n}, {}, &gen).to(device);
  benchmark::DoNotOptimize(ignis::matmul(a, b).data_ptr());  // warm-up: oneDNN/cuBLAS, allocator
  for (auto _ : state) {
    const Tensor c = ignis::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
    ignis_bench::sync_device(device);
  }
  state.counters["FLOP"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate);
}

/// The 8 GEMMs of a W3 step alone, with the shapes and transposes the autograd uses
/// (forward x·Wᵀ; backward g·W for the input gradients of layers 2 and 3, gᵀ·x for every
/// weight gradient).
void BM_W3GemmsOnly(benchmark::State& state) {
  constexpr std::int64_t b = W3::kBatch, in = W3::kIn, h = W3::kHidden, c = W3::kClasses;
  ignis::Generator gen(7);
  const ignis::Device device = ignis_bench::bench_device();
  auto r = [&gen, device](std::int64_t rows, std::int64_t cols) {
    return ignis::randn({rows, cols}, {}, &gen).to(device);
  };
  const Tensor x = r(b, in), w1 = r(h, in), w2 = r(h, h), w3 = r(c, h);
  const Tensor h1 = r(b, h), h2 = r(b, h), g1 = r(b, h), g2 = r(b, h), g3 = r(b, c);
  ignis::NoGradGuard no_grad;
  auto gemms = [&] {
    const Tensor outs[] = {ignis::matmul(x, w1.t()),  ignis::matmul(h1, w2.t()), ignis::matmul(h2, w3.t()),
                           ignis::matmul(g3, w3),      ignis::matmul(g3.t(), h2), ignis::matmul(g2, w2),
                           ignis::matmul(g2.t(), h1), ignis::matmul(g1.t(), x)};
    benchmark::DoNotOptimize(outs[7].data_ptr());
    ignis_bench::sync_device(device);
  };
  gemms();  // warm-up
  for (auto _ : state) gemms();
  const double flop = 2.0 * b * (2 * in * h + 3 * h * h + 3 * h * c);  // x·W1ᵀ and g1ᵀ·x; 3 each for 2, 3
  state.counters["FLOP"] = benchmark::Counter(flop, benchmark::Counter::kIsIterationInvariantRate);
}

template <class W>
void BM_Memory(benchmark::State& state) {
  for (auto _ : state) {
    const double before = ignis_bench::status_mib("VmRSS:");
    const bool reset = ignis_bench::reset_peak_rss();
    {
      W w;
      for (int i = 0; i < 20; ++i) train_step(w);
      ignis_bench::sync_device(ignis_bench::bench_device());
    }
    const double peak = ignis_bench::status_mib("VmHWM:");
    state.counters["peak_rss_mib"] = peak;
    state.counters["increase_mib"] = peak - before;
    state.counters["peak_reset"] = reset ? 1 : 0;
  }
}

template <class W>
void register_workload() {
  const std::string prefix = std::string(W::kName) + "/ignis/";
  auto common = [](benchmark::internal::Benchmark* b, double min_time, int repetitions) {
    b->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(min_time)->Repetitions(repetitions)
        ->ReportAggregatesOnly(true);
  };
  common(benchmark::RegisterBenchmark((prefix + "step").c_str(), BM_Step<W>), 0.2, 5);
  // The diagnostics, shorter: 3 repetitions of 0.1 s.
  common(benchmark::RegisterBenchmark((prefix + "phases").c_str(), BM_Phases<W>), 0.1, 3);
  common(benchmark::RegisterBenchmark((prefix + "forward_nograd").c_str(), BM_ForwardNoGrad<W>), 0.1, 3);
  benchmark::RegisterBenchmark(("memory/" + std::string(W::kName) + "/ignis").c_str(), BM_Memory<W>)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Threads set explicitly on our side too (OMP_NUM_THREADS already is the default).
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) {
    ignis::set_num_threads(std::atoi(env));
  }
  register_workload<W1>();
  register_workload<W2>();
  register_workload<W3>();
  register_workload<W4>();
  register_workload<W8>();
  for (auto* b : {benchmark::RegisterBenchmark("W3/ignis/sgemm1024", BM_Sgemm1024),
                  benchmark::RegisterBenchmark("W3/ignis/gemms_only", BM_W3GemmsOnly)}) {
    b->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(0.2)->Repetitions(3)->ReportAggregatesOnly(true);
  }
  benchmark::AddCustomContext("omp_threads", std::to_string(ignis::get_num_threads()));
  benchmark::AddCustomContext("device", ignis_bench::bench_device().str());
  benchmark::AddCustomContext("ignis_version", ignis::build_info::kVersion);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// W5 diagnostics (docs/benchmarks.md): where an epoch of `ignis train` goes. The W5 result
// itself is `ignis train`'s own timing (bench/train_job_bench.py); this program repeats the same
// work with clock readings between the phases, which the CLI does not expose.
//
//   W5/ignis/phases  one iteration = one epoch of what `ignis train` runs (src/train/fit.cpp with
//                    src/train/train_job.cpp's model and data): the MLP Flatten, Dense(256, relu),
//                    Dense(128, relu), Dense(10) built through keras::Sequential, cross-entropy on
//                    logits, Adam (lr 1e-3, eps 1e-7: the Keras-style "adam"), Fashion-MNIST
//                    standardised by data::load_fashion_mnist, a DataLoader with batch 64,
//                    shuffle and the default prefetch thread (as keras fit makes it), then the
//                    validation pass over the test set (batch 64, no prefetch, as fit does).
//                    Counters, seconds per epoch: data_s (waiting for the loader's next batch),
//                    forward_s (forward + loss), backward_s, optimizer_s (zero_grad + step),
//                    logs_s (loss.item() and the accuracy metric's update), validation_s; and
//                    val_accuracy after the last epoch.
//   W5/ignis/phases_sync  the same without the prefetch thread (prefetch 0): batches are
//                    assembled on the training thread, inside data_s, as PyTorch's
//                    num_workers=0 does. Shows what the prefetch thread costs or saves.
//   W5/ignis/gather  the loader's batch assembly alone, synchronously, for one epoch (938
//                    batches of 64 shuffled rows: what the prefetch thread does): counter
//                    batches. Shows what prefetching hides.
//
// Iterations = epochs: IGNIS_BENCH_W5_EPOCHS (default 2), as the `ignis train` run. Threads:
// OMP_NUM_THREADS (also passed to ignis::set_num_threads). Time is wall-clock.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "ignis/ignis.hpp"

namespace {

using ignis::Tensor;
using Clock = std::chrono::steady_clock;

std::int64_t epochs_from_env() {
  const char* env = std::getenv("IGNIS_BENCH_W5_EPOCHS");
  return env && std::atoi(env) > 0 ? std::atoi(env) : 2;
}

const ignis::data::FashionMnist& fashion_mnist() {
  static const ignis::data::FashionMnist d = ignis::data::load_fashion_mnist();
  return d;
}

double seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// prefetch: the training loader's prefetch depth (2: as keras fit; 0: no thread).
void BM_Phases(benchmark::State& state, int prefetch) {
  namespace keras = ignis::keras;
  const auto& d = fashion_mnist();
  ignis::manual_seed(0);
  keras::Sequential model({keras::Input({28, 28}), keras::Flatten(), keras::Dense(256, "relu"),
                           keras::Dense(128, "relu"), keras::Dense(10)},
                          "mlp");
  model.build(ignis::Shape{28, 28});
  ignis::nn::Module& module = model.module();
  ignis::optim::Adam optimizer(module.parameters(), {.lr = 1e-3, .eps = 1e-7});
  auto loss_fn = [](const Tensor& out, const Tensor& y) { return ignis::nn::functional::cross_entropy(out, y); };
  ignis::data::DataLoader train(std::make_shared<ignis::data::TensorDataset>(d.train_images, d.train_labels),
                                {.batch_size = 64, .shuffle = true, .seed = 0,
                                 .prefetch = prefetch, .device = ignis::Device::cpu()});
  ignis::data::DataLoader validation(std::make_shared<ignis::data::TensorDataset>(d.test_images, d.test_labels),
                                     {.batch_size = 64, .prefetch = 0, .device = ignis::Device::cpu()});

  double s[6] = {};  // data, forward, backward, optimizer, logs, validation
  double val_accuracy = 0;
  std::int64_t epoch = 0;
  for (auto _ : state) {
    module.train();
    train.set_epoch(epoch++);
    ignis::train::Accuracy accuracy;
    double loss_sum = 0;
    auto t0 = Clock::now();
    for (auto it = train.begin(); it != train.end();) {
      const ignis::data::Batch& batch = *it;
      const auto t1 = Clock::now();
      optimizer.zero_grad();
      const auto t2 = Clock::now();
      const Tensor out = module(batch.input);
      const Tensor loss = loss_fn(out, batch.target);
      const auto t3 = Clock::now();
      loss.backward();
      const auto t4 = Clock::now();
      optimizer.step();
      const auto t5 = Clock::now();
      loss_sum += loss.item<double>() * static_cast<double>(batch.input.size(0));
      accuracy.update(out.detach(), batch.target);
      const auto t6 = Clock::now();
      ++it;
      const auto t7 = Clock::now();
      s[0] += seconds(t0, t1) + seconds(t6, t7);
      s[1] += seconds(t2, t3);
      s[2] += seconds(t3, t4);
      s[3] += seconds(t1, t2) + seconds(t4, t5);
      s[4] += seconds(t5, t6);
      t0 = t7;
    }
    const auto v0 = Clock::now();
    const ignis::train::Logs logs = ignis::train::evaluate(module, loss_fn, validation, {"accuracy"});
    s[5] += seconds(v0, Clock::now());
    val_accuracy = *ignis::train::find(logs, "accuracy");
    benchmark::DoNotOptimize(loss_sum);
  }
  const char* names[6] = {"data_s", "forward_s", "backward_s", "optimizer_s", "logs_s", "validation_s"};
  for (int i = 0; i < 6; ++i) state.counters[names[i]] = benchmark::Counter(s[i], benchmark::Counter::kAvgIterations);
  state.counters["val_accuracy"] = val_accuracy;
}

void BM_Gather(benchmark::State& state) {
  const auto& d = fashion_mnist();
  ignis::data::DataLoader train(std::make_shared<ignis::data::TensorDataset>(d.train_images, d.train_labels),
                                {.batch_size = 64, .shuffle = true, .seed = 0, .device = ignis::Device::cpu()});
  std::int64_t epoch = 0;
  for (auto _ : state) {
    train.set_epoch(epoch++);
    const std::vector<std::int64_t> order = train.order();
    for (std::int64_t i = 0; i < train.num_batches(); ++i) {
      const ignis::data::Batch b = train.batch(i, order);
      benchmark::DoNotOptimize(b.input.data_ptr());
    }
  }
  state.counters["batches"] = static_cast<double>(train.num_batches());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) {
    ignis::set_num_threads(std::atoi(env));
  }
  const std::int64_t epochs = epochs_from_env();
  fashion_mnist();  // read the files before timing
  for (auto* b : {benchmark::RegisterBenchmark("W5/ignis/phases", BM_Phases, 2),
                  benchmark::RegisterBenchmark("W5/ignis/phases_sync", BM_Phases, 0),
                  benchmark::RegisterBenchmark("W5/ignis/gather", BM_Gather)}) {
    b->Iterations(epochs)->UseRealTime()->Unit(benchmark::kSecond);
  }
  benchmark::AddCustomContext("omp_threads", std::to_string(ignis::get_num_threads()));
  benchmark::AddCustomContext("ignis_version", ignis::build_info::kVersion);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

#include "benches.hpp"

#include <torch/cuda.h>

#include <array>
#include <functional>

#include "timing.hpp"
#include "workloads.hpp"

namespace libtorch_peer {
namespace {

constexpr int kWarmupSteps = 200;

/// Waits for the device's queued kernels (a no-op on the CPU).
std::function<void()> synchronizer(const torch::Device& device) {
  if (device.is_cuda()) return [] { torch::cuda::synchronize(); };
  return [] {};
}

/// W3's reference: torch::mm of two 1024×1024 float32 matrices, a fresh output per call.
Row bench_sgemm(int64_t n, const Options& o) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
  const torch::Tensor a = torch::rand({n, n}, gen).to(o.device), b = torch::rand({n, n}, gen).to(o.device);
  const auto sync = synchronizer(o.device);
  torch::mm(a, b);
  const Measurement m = measure(
      [&](int64_t k) {
        for (int64_t i = 0; i < k; ++i) {
          torch::mm(a, b);
          sync();
        }
      },
      o.min_time, std::min(3, o.repetitions));
  return {"W3/libtorch/sgemm" + std::to_string(n), m, {{"FLOP", 2.0 * n * n * n / m.wall}}};
}

}  // namespace

std::vector<Row> bench_workload(const std::string& name, const Options& o) {
  Workload w = make_workload(name, o.device);
  const auto sync = synchronizer(o.device);
  torch::Tensor last_loss;
  auto steps = [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      last_loss = train_step(w);
      sync();
    }
  };
  steps(kWarmupSteps);
  const std::string prefix = name + "/libtorch/";
  std::vector<Row> rows;
  Measurement m = measure(steps, o.min_time, o.repetitions);
  Row step{prefix + "step", m, {{"items_per_second", w.items_per_step / m.wall}, {"loss", last_loss.item<double>()}}};
  if (w.flop_per_step > 0) step.counters.emplace_back("FLOP", w.flop_per_step / m.wall);
  rows.push_back(step);

  // The step with a clock reading between the phases; on a GPU each reading follows a
  // synchronisation, so a phase is charged its own kernels (as both other sides).
  std::vector<std::array<double, 5>> phase_runs;
  auto clock = [&sync] {
    sync();
    return wall_seconds();
  };
  auto phased = [&](int64_t n) {
    std::array<double, 5> acc{};
    for (int64_t i = 0; i < n; ++i) {
      const double t0 = clock();
      w.optimizer->zero_grad();
      const double t1 = clock();
      const torch::Tensor out = w.forward(w.x);
      const double t2 = clock();
      torch::Tensor loss = w.loss(out, w.y);
      const double t3 = clock();
      loss.backward();
      const double t4 = clock();
      w.optimizer->step();
      const double t5 = clock();
      acc[0] += t1 - t0;
      acc[1] += t2 - t1;
      acc[2] += t3 - t2;
      acc[3] += t4 - t3;
      acc[4] += t5 - t4;
    }
    for (double& a : acc) a = a / static_cast<double>(n) * 1e6;
    phase_runs.push_back(acc);
  };
  const double diag_time = o.min_time / 2;
  const int diag_reps = std::min(3, o.repetitions);
  m = measure(phased, diag_time, diag_reps);
  phase_runs.erase(phase_runs.begin(), phase_runs.end() - diag_reps);  // the timed repetitions only
  Row phases{prefix + "phases", m, {}};
  const char* names[5] = {"zero_grad_us", "forward_us", "loss_us", "backward_us", "step_us"};
  for (int p = 0; p < 5; ++p) {
    std::vector<double> v;
    for (const auto& r : phase_runs) v.push_back(r[p]);
    phases.counters.emplace_back(names[p], median(v));
  }
  rows.push_back(phases);

  m = measure(
      [&](int64_t n) {
        torch::NoGradGuard no_grad;
        for (int64_t i = 0; i < n; ++i) {
          w.loss(w.forward(w.x), w.y);
          sync();
        }
      },
      diag_time, diag_reps);
  rows.push_back({prefix + "forward_nograd", m, {}});
  if (name == "W3") rows.push_back(bench_sgemm(1024, o));
  return rows;
}

std::vector<Row> memory_rows(const std::string& name, const Options& o) {
  const double before = status_mib("VmRSS:");
  const bool reset = reset_peak_rss();
  const double start = wall_seconds();
  {
    Workload w = make_workload(name, o.device);
    for (int i = 0; i < 20; ++i) train_step(w);
    synchronizer(o.device)();
  }
  const double peak = status_mib("VmHWM:");
  const Measurement m{wall_seconds() - start, 0, 1};
  return {{"memory/" + name + "/libtorch", m,
           {{"peak_rss_mib", peak}, {"increase_mib", peak - before}, {"peak_reset", reset ? 1.0 : 0.0}}}};
}

}  // namespace libtorch_peer

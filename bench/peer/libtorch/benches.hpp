#pragma once
// The benchmarks of one workload, as bench_workload(), memory_rows() and bench_sgemm() of
// bench/peer/train_step_peer.py: the whole step, the step split into phases, forward + loss
// without gradients, W3's SGEMM 1024³ reference, and peak memory.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "report.hpp"

namespace libtorch_peer {

struct Options {
  double min_time = 0.2;  ///< seconds per repetition of the step benchmark
  int repetitions = 5;
  torch::Device device = torch::kCPU;
};

/// W?/libtorch/step, W?/libtorch/phases, W?/libtorch/forward_nograd (and W3/libtorch/sgemm1024
/// with W3), after 200 warm-up steps.
std::vector<Row> bench_workload(const std::string& name, const Options& options);

/// memory/W?/libtorch: peak resident memory of building the workload and running 20 steps, and
/// its increase over the resident memory before (one workload per process).
std::vector<Row> memory_rows(const std::string& name, const Options& options);

}  // namespace libtorch_peer

#pragma once
// Live probes: real work on a device, checked against the CPU. The doctor runs them on cuda:N
// only when the CUDA backend plugin gives a backend (today it declines: the CUDA kernels arrive
// with the CUDA backend issue); they run on any device, so the CPU exercises the same code.
#include <cstdint>

#include "ignis/core/device.hpp"
#include "ignis/diag/facts.hpp"

namespace ignis::diag {

struct LiveProbeOptions {
  Device device = Device::cpu();
  std::int64_t check_size = 128;         // n of the n x n GEMM checked against float64 loops
  std::int64_t rate_size = 2048;         // n of the timed GEMM (0: skip the rate)
  std::int64_t copy_bytes = 64ll << 20;  // bytes of the timed host<->device copies (0: skip)
  double gemm_tolerance = 1e-3;          // on |device - reference| / (1 + |reference|), float32
};

/// Runs a kernel (fill + sum), a GEMM checked against a float64 reference, and times copies and a
/// GEMM. Never throws: an ignis error becomes state kFailed with the message.
LiveProbeFacts run_live_probes(const LiveProbeOptions& options);

}  // namespace ignis::diag

// Live probes through the raw ops API (no autograd), so they test what training runs on:
// factories, copies between devices, reductions and matmul. The GEMM reference is float64 loops
// over the same inputs, independent of every backend.
#include "ignis/diag/live_probes.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <vector>

#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/linalg.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/generator.hpp"

namespace ignis::diag {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Reads one element back to the host: a copy queued after all earlier work on the device, so
/// it returns only when that work is done.
double first_element(const Tensor& t) { return t.flatten().narrow(0, 0, 1).cpu().item<double>(); }

}  // namespace

LiveProbeFacts run_live_probes(const LiveProbeOptions& options) {
  LiveProbeFacts facts;
  facts.device = options.device.str();
  const Device dev = options.device;
  auto note = [&](const std::string& what, const std::string& result) {
    facts.observations.push_back({Observation::Method::kCall, what, result});
  };
  try {
    // 1. A kernel: fill and reduce; 1.5 * 2^20 is exact in float32.
    const std::int64_t n = 1 << 20;
    const double sum =
        ops::sum(full({n}, 1.5, {.dtype = kFloat32, .device = dev})).cpu().item<double>();
    facts.kernel_ok = sum == 1.5 * static_cast<double>(n);
    note("sum(full({1048576}, 1.5))",
         fmt::format("{} (expected {})", sum, 1.5 * static_cast<double>(n)));
    if (!facts.kernel_ok)
      throw std::runtime_error(fmt::format("a fill + sum kernel returned {} instead of {}", sum,
                                           1.5 * static_cast<double>(n)));

    // 2. A GEMM on the device against float64 loops on the host.
    const std::int64_t m = options.check_size;
    Generator gen(20240531);
    const Tensor a = ops::sub(rand({m, m}, {.dtype = kFloat32}, &gen), 0.5);
    const Tensor b = ops::sub(rand({m, m}, {.dtype = kFloat32}, &gen), 0.5);
    const Tensor c = ops::matmul(a.to(dev), b.to(dev)).cpu().contiguous();
    const float* pa = a.contiguous().data_ptr<float>();
    const float* pb = b.contiguous().data_ptr<float>();
    const float* pc = c.data_ptr<float>();
    double worst = 0;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < m; ++j) {
        double ref = 0;
        for (std::int64_t k = 0; k < m; ++k)
          ref += static_cast<double>(pa[i * m + k]) * static_cast<double>(pb[k * m + j]);
        const double err =
            std::abs(static_cast<double>(pc[i * m + j]) - ref) / (1.0 + std::abs(ref));
        worst = std::isnan(err) ? INFINITY : std::max(worst, err);
      }
    }
    facts.gemm_max_error = worst;
    note(fmt::format("matmul({0}x{0}) vs float64", m), fmt::format("max error {:.3e}", worst));
    if (!(worst <= options.gemm_tolerance)) {
      throw std::runtime_error(fmt::format(
          "a {0}x{0} GEMM differs from the float64 reference by {1:.3e} (tolerance {2:.0e})", m,
          worst, options.gemm_tolerance));
    }

    // 3. Copy bandwidth (only between distinct memories).
    if (dev.is_cuda() && options.copy_bytes > 0) {
      const Tensor host = full({options.copy_bytes / 4}, 1.0, {.dtype = kFloat32});
      first_element(host.to(dev));  // warm-up: allocation, first-touch
      auto start = Clock::now();
      const Tensor on_device = host.to(dev);
      first_element(on_device);
      facts.h2d_gbps = static_cast<double>(options.copy_bytes) / seconds_since(start) / 1e9;
      start = Clock::now();
      const Tensor back = on_device.cpu();
      facts.d2h_gbps = static_cast<double>(options.copy_bytes) / seconds_since(start) / 1e9;
      note(fmt::format("copy {} bytes", options.copy_bytes),
           fmt::format("{:.2f} GB/s to the device, {:.2f} GB/s back", *facts.h2d_gbps,
                       *facts.d2h_gbps));
    }

    // 4. GEMM rate.
    if (options.rate_size > 0) {
      const std::int64_t r = options.rate_size;
      const Tensor x = rand({r, r}, {.dtype = kFloat32, .device = dev}, &gen);
      const Tensor y = rand({r, r}, {.dtype = kFloat32, .device = dev}, &gen);
      first_element(ops::matmul(x, y));  // warm-up: library initialisation, workspace
      const auto start = Clock::now();
      first_element(ops::matmul(x, y));
      const double s = seconds_since(start);
      facts.gemm_tflops =
          2.0 * static_cast<double>(r) * static_cast<double>(r) * static_cast<double>(r) / s / 1e12;
      note(fmt::format("matmul({0}x{0}) float32, timed", r),
           fmt::format("{:.3f} s, {:.2f} TFLOP/s", s, *facts.gemm_tflops));
    }
    facts.state = LiveProbeFacts::State::kPassed;
  } catch (const std::exception& e) {
    facts.state = LiveProbeFacts::State::kFailed;
    facts.reason = e.what();
    note("live probes", std::string("failed: ") + e.what());
  }
  return facts;
}

}  // namespace ignis::diag

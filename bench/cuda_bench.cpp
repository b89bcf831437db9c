// W6 and W7 on the GPU (docs/benchmarks.md), built only with the CUDA plugin and run by
// scripts/gpu-check. float32 throughout, TF32 off on both sides (ignis's default).
//
//   W6/ignis_matmul_cuda/N   ignis::matmul of two N×N tensors on cuda:0 (output from the caching
//                            allocator, every call), then a device synchronisation.
//   W6/cublas_sgemm/N        cublasSgemm called directly into a preallocated output, then a
//                            synchronisation: the library the goal compares with (≥ 0.95×).
//   W7/cuda/add16            ignis::add of two 16-element cuda tensors: per-op overhead (checks,
//                            output allocation, launch). One iteration is 100 adds and one
//                            synchronisation; counter us_per_op (goal ≤ 5 µs, launch-bound).
//   W7/cuda/bw_relu          ignis::relu of 64 MiB on the GPU; counter bytes (GB/s, read+write).
//   W7/cuda/bw_memcpy        cudaMemcpy device-to-device of 64 MiB: the measured copy bandwidth.
//
// The benchmark links cuBLAS and cudart itself (as a client program may); libignis does not.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "bench_common.hpp"
#include "ignis/ignis.hpp"

namespace {

using ignis::Tensor;

const ignis::Device kGpu = ignis::Device::cuda(0);

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(s));
}

void set_flop_counter(benchmark::State& state, std::int64_t n) {
  state.counters["FLOP"] = benchmark::Counter(2.0 * static_cast<double>(n) * n * n,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void bm_ignis_matmul(benchmark::State& state, std::int64_t n) {
  ignis::Generator gen(42);
  const Tensor a = ignis::rand({n, n}, {}, &gen).to(kGpu), b = ignis::rand({n, n}, {}, &gen).to(kGpu);
  benchmark::DoNotOptimize(ignis::matmul(a, b).data_ptr());  // warm-up: cuBLAS handle, allocator
  ignis::cuda::synchronize();
  for (auto _ : state) {
    const Tensor c = ignis::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
    ignis::cuda::synchronize();
  }
  set_flop_counter(state, n);
}

void bm_cublas_sgemm(benchmark::State& state, std::int64_t n) {
  float *a = nullptr, *b = nullptr, *c = nullptr;
  const auto bytes = static_cast<std::size_t>(n * n) * sizeof(float);
  check(cudaMalloc(reinterpret_cast<void**>(&a), bytes), "cudaMalloc");
  check(cudaMalloc(reinterpret_cast<void**>(&b), bytes), "cudaMalloc");
  check(cudaMalloc(reinterpret_cast<void**>(&c), bytes), "cudaMalloc");
  check(cudaMemset(a, 0, bytes), "cudaMemset");  // values do not change the time of a GEMM
  check(cudaMemset(b, 0, bytes), "cudaMemset");
  cublasHandle_t handle = nullptr;
  check(cublasCreate(&handle), "cublasCreate");
  check(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");  // no TF32
  const float one = 1.0f, zero = 0.0f;
  const int m = static_cast<int>(n);
  auto gemm = [&] { check(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, m, m, &one, b, m, a, m, &zero, c, m), "cublasSgemm"); };
  gemm();
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  for (auto _ : state) {
    gemm();
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }
  set_flop_counter(state, n);
  cublasDestroy(handle);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
}

void bm_add16(benchmark::State& state) {
  constexpr int kOpsPerIteration = 100;
  const Tensor a = ignis::ones({16}, {.device = kGpu}), b = ignis::ones({16}, {.device = kGpu});
  benchmark::DoNotOptimize((a + b).data_ptr());
  ignis::cuda::synchronize();
  for (auto _ : state) {
    for (int i = 0; i < kOpsPerIteration; ++i) benchmark::DoNotOptimize((a + b).data_ptr());
    ignis::cuda::synchronize();
  }
  state.counters["us_per_op"] = benchmark::Counter(
      kOpsPerIteration * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

constexpr std::int64_t kBandwidthFloats = std::int64_t{16} << 20;  // 64 MiB

void bm_relu(benchmark::State& state) {
  const Tensor x = ignis::randn({kBandwidthFloats}).to(kGpu);
  benchmark::DoNotOptimize(ignis::relu(x).data_ptr());
  ignis::cuda::synchronize();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ignis::relu(x).data_ptr());
    ignis::cuda::synchronize();
  }
  state.counters["bytes"] = benchmark::Counter(2.0 * kBandwidthFloats * sizeof(float),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void bm_memcpy(benchmark::State& state) {
  const Tensor src = ignis::randn({kBandwidthFloats}).to(kGpu);
  const Tensor dst = ignis::empty({kBandwidthFloats}, {.device = kGpu});
  const auto bytes = static_cast<std::size_t>(kBandwidthFloats) * sizeof(float);
  for (auto _ : state) {
    check(cudaMemcpy(dst.data_ptr(), src.data_ptr(), bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy");
  }
  state.counters["bytes"] = benchmark::Counter(2.0 * static_cast<double>(bytes), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!ignis::cuda::is_available()) {
    std::fprintf(stderr, "cuda_bench: no usable GPU: %s\n", ignis::cuda::unavailable_reason().message.c_str());
    return 2;
  }
  benchmark::AddCustomContext("device", ignis::cuda::device_name(0));
  benchmark::AddCustomContext("omp_threads", std::to_string(ignis::get_num_threads()));
  benchmark::AddCustomContext("ignis_version", ignis::build_info::kVersion);
  for (const std::int64_t n : {1024, 4096}) {
    const std::string size = std::to_string(n);
    for (auto* b : {benchmark::RegisterBenchmark(std::string("W6/ignis_matmul_cuda/").append(size).c_str(),
                                                 bm_ignis_matmul, n),
                    benchmark::RegisterBenchmark(std::string("W6/cublas_sgemm/").append(size).c_str(),
                                                 bm_cublas_sgemm, n)}) {
      b->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(0.5);
    }
  }
  benchmark::RegisterBenchmark("W7/cuda/add16", bm_add16)->UseRealTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("W7/cuda/bw_relu", bm_relu)->UseRealTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("W7/cuda/bw_memcpy", bm_memcpy)->UseRealTime()->Unit(benchmark::kMicrosecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

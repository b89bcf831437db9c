// The simulated CUDA device itself (src/backend/cuda/sim): that barriers wait, shuffles exchange,
// launch limits and memory rules hold, and that the misuse a GPU leaves undefined is caught. The
// kernels here are compiled as the backend's are for the simulator (device_builtins.hpp is
// force-included) and launched through the same cuda_detail::launch. Faults poison the process
// (as they poison a CUDA context), so those cases run in a death-test child.
#include <cublas_v2.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "backend/cuda/block_reduce.cuh"
#include "backend/cuda/launch.cuh"
#include "backend/cuda/sim/kernel_runtime.hpp"

namespace {

using ignis::backend::cuda_detail::launch;
namespace sim = ignis::cuda_sim;

template <class T>
T* device_copy(const std::vector<T>& host) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, host.size() * sizeof(T)), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> host_copy(const T* device, std::size_t n) {
  std::vector<T> host(n);
  EXPECT_EQ(cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return host;
}

/// Each thread writes its index plus `salt`, then reads its neighbour's; `barrier` says whether a
/// __syncthreads separates the two (without it the result depends on the thread order). A new
/// salt per launch: a static __shared__ array keeps the previous launch's values.
__global__ void neighbour_kernel(int* out, bool barrier, int salt) {
  __shared__ int slots[128];
  slots[threadIdx.x] = static_cast<int>(threadIdx.x) + salt;
  if (barrier) __syncthreads();
  out[threadIdx.x] = slots[(threadIdx.x + 1) % blockDim.x] - salt;
}

std::vector<int> run_neighbours(bool barrier, sim::ThreadOrder order) {
  static int salt = 1000;
  sim::set_thread_order(order);
  int* out = device_copy(std::vector<int>(128, -1));
  launch(neighbour_kernel, {1, 128}, out, barrier, salt += 1000);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  std::vector<int> result = host_copy(out, 128);
  cudaFree(out);
  sim::set_thread_order(sim::ThreadOrder::kAlternate);
  return result;
}

std::vector<int> expected_neighbours() {
  std::vector<int> e(128);
  for (int i = 0; i < 128; ++i) e[static_cast<std::size_t>(i)] = (i + 1) % 128;
  return e;
}

TEST(CudaSim, ABarrierMakesEveryThreadSeeItsNeighboursWriteInEitherOrder) {
  EXPECT_EQ(run_neighbours(true, sim::ThreadOrder::kForward), expected_neighbours());
  EXPECT_EQ(run_neighbours(true, sim::ThreadOrder::kReverse), expected_neighbours());
}

TEST(CudaSim, AMissingBarrierGivesAWrongResultInAtLeastOneOrder) {
  // Forward: thread i reads slot i+1 before thread i+1 wrote it; reverse: thread i+1 ... is
  // done, but thread 127 reads slot 0 before thread 0 ran.
  const bool forward_right = run_neighbours(false, sim::ThreadOrder::kForward) == expected_neighbours();
  const bool reverse_right = run_neighbours(false, sim::ThreadOrder::kReverse) == expected_neighbours();
  EXPECT_FALSE(forward_right && reverse_right);
}

/// One block sums `n` values with the backend's block_reduce (warp shuffles and a barrier).
__global__ void block_sum_kernel(const float* in, int n, float* out) {
  __shared__ float scratch[32];
  float v = 0;
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) v += in[i];
  const auto add = [](float a, float b) { return a + b; };
  v = ignis::backend::cuda_detail::block_reduce<float>(v, 0.0f, add, scratch);
  if (threadIdx.x == 0) out[blockIdx.x] = v;
}

TEST(CudaSim, TheBackendsBlockReduceSumsThroughShufflesAndBarriers) {
  std::vector<float> values(1000);
  std::iota(values.begin(), values.end(), 1.0f);
  const float* in = device_copy(values);
  float* out = device_copy(std::vector<float>(3, 0.0f));
  launch(block_sum_kernel, {3, 256}, in, 1000, out);  // three blocks: both orders
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (float s : host_copy(out, 3)) EXPECT_EQ(s, 500500.0f);
}

__global__ void shuffle_kernel(int* out) {
  const int lane = static_cast<int>(threadIdx.x % 32);
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, lane * 10, 3) + 1000 * __shfl_xor_sync(0xffffffffu, lane, 1);
}

TEST(CudaSim, ShufflesReadTheirSourceLaneOrKeepTheirOwnValueAsCudaDefines) {
  int* out = device_copy(std::vector<int>(64, 0));
  launch(shuffle_kernel, {1, 64}, out);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  const std::vector<int> got = host_copy(out, 64);
  for (int t = 0; t < 64; ++t) {
    const int lane = t % 32;
    const int down = lane + 3 < 32 ? (lane + 3) * 10 : lane * 10;
    EXPECT_EQ(got[static_cast<std::size_t>(t)], down + 1000 * (lane ^ 1)) << "thread " << t;
  }
}

__global__ void dynamic_shared_kernel(int* out) {
  IGNIS_DYNAMIC_SHARED(int, buffer);
  buffer[threadIdx.x] = static_cast<int>(threadIdx.x) * 2;
  __syncthreads();
  out[threadIdx.x] = buffer[blockDim.x - 1 - threadIdx.x];
}

TEST(CudaSim, DynamicSharedMemoryIsTheLaunchsAndLimitedTo48KiB) {
  int* out = device_copy(std::vector<int>(32, 0));
  launch(dynamic_shared_kernel, {1, 32, 32 * sizeof(int)}, out);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  const std::vector<int> got = host_copy(out, 32);
  EXPECT_EQ(got[0], 62);
  EXPECT_EQ(got[31], 0);
  launch(dynamic_shared_kernel, {1, 32, 48 * 1024 + 4}, out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
}

__global__ void nothing_kernel() {}

TEST(CudaSim, LaunchLimitsAreTheDevicesAndAnInvalidLaunchIsNotSticky) {
  // The device's own limit (1024 threads a block), below the backend's launch():
  const auto nothing = reinterpret_cast<const void*>(&nothing_kernel);
  EXPECT_EQ(sim::run_kernel(nothing, 1, 1025, 0, [](void*) {}, nullptr), cudaErrorInvalidConfiguration);
  EXPECT_EQ(sim::run_kernel(nothing, 1, 1024, 0, [](void*) {}, nullptr), cudaSuccess);
  launch(nothing_kernel, {dim3(1, 65536), 32});
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  launch(nothing_kernel, {1, dim3(1, 1, 65)});
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  launch(nothing_kernel, {0u, 32});
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  launch(nothing_kernel, {dim3(1, 65535), 1});  // the limits themselves are legal
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  launch(nothing_kernel, {1, dim3(4, 64)});
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

// The backend's own bound, below the device's: the size scripts/check-kernels checks registers for.
TEST(CudaSim, TheBackendRefusesABlockLargerThanItsKernelsAreCheckedFor) {
  using ignis::backend::cuda_detail::kMaxBlockThreads;
  try {
    launch(nothing_kernel, {1, kMaxBlockThreads + 1});
    ADD_FAILURE() << "expected CudaError";
  } catch (const ignis::CudaError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds kMaxBlockThreads"), std::string::npos) << e.what();
  }
  launch(nothing_kernel, {1, kMaxBlockThreads});
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(CudaSim, CopiesFollowTheirDirectionAndStayInsideAllocations) {
  std::vector<char> host(64, 1);
  void* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, 64), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 64, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), host.data() + 1, 8, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 8, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 65, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);  // the first error, then cleared
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), device, 64, cudaMemcpyDefault), cudaSuccess);
  EXPECT_EQ(cudaFree(device), cudaSuccess);
  EXPECT_EQ(cudaFree(device), cudaErrorInvalidValue);  // a double free
  cudaGetLastError();
}

TEST(CudaSim, CublasChecksLeadingDimensionsAndMultipliesColumnMajor) {
  cublasHandle_t h = nullptr;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  // A (2x3, column-major) times B (3x1).
  const std::vector<double> a = {1, 4, 2, 5, 3, 6}, b = {1, 1, 1};
  const double* da = device_copy(a);
  const double* db = device_copy(b);
  double* dc = device_copy(std::vector<double>(2, 0.0));
  const double one = 1, zero = 0;
  EXPECT_EQ(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 3, &one, da, CUDA_R_64F, 2, 6, db,
                                       CUDA_R_64F, 3, 3, &zero, dc, CUDA_R_64F, 2, 2, 1, CUBLAS_COMPUTE_64F,
                                       CUBLAS_GEMM_DEFAULT),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(host_copy(dc, 2), (std::vector<double>{6, 15}));
  // lda below the rows of A, and a B that reaches past its allocation.
  EXPECT_EQ(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 3, &one, da, CUDA_R_64F, 1, 6, db,
                                       CUDA_R_64F, 3, 3, &zero, dc, CUDA_R_64F, 2, 2, 1, CUBLAS_COMPUTE_64F,
                                       CUBLAS_GEMM_DEFAULT),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_T, 2, 3, 3, &one, da, CUDA_R_64F, 2, 6, db,
                                       CUDA_R_64F, 3, 3, &zero, dc, CUDA_R_64F, 2, 2, 1, CUBLAS_COMPUTE_64F,
                                       CUBLAS_GEMM_DEFAULT),
            CUBLAS_STATUS_EXECUTION_FAILED);
  cublasDestroy(h);
}

// ---- faults: each in a child process, which must report it and end with a poisoned context ----

using CudaSimDeathTest = ::testing::Test;

__global__ void partial_mask_kernel(int* out) {
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1);  // warp 1 has 16 lanes, not 32
}

TEST_F(CudaSimDeathTest, AFullMaskOverAPartialWarpIsALaunchFailureThatSticks) {
  EXPECT_EXIT(
      {
        int* out = device_copy(std::vector<int>(48, 0));
        launch(partial_mask_kernel, {1, 48}, out);
        const bool failed = cudaGetLastError() == cudaErrorLaunchFailure;
        void* p = nullptr;
        const bool sticky = cudaMalloc(&p, 4) == cudaErrorLaunchFailure;
        std::exit(failed && sticky ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "which has only lanes 0x0000ffff");
}

__global__ void divergent_kernel() {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    __syncwarp();
  }
}

TEST_F(CudaSimDeathTest, ABarrierThatNotEveryThreadReachesIsADeadlock) {
  EXPECT_EXIT(
      {
        launch(divergent_kernel, {1, 32});
        std::exit(cudaDeviceSynchronize() == cudaErrorLaunchFailure ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "deadlock");
}

__global__ void overrun_kernel(float* out, int n) { out[n + 64 + threadIdx.x] = 1.0f; }

TEST_F(CudaSimDeathTest, AKernelWritingPastItsAllocationFaults) {
  EXPECT_DEATH(
      {
        float* out = device_copy(std::vector<float>(100, 0.0f));
        launch(overrun_kernel, {1, 32}, out, 100);
      },
      "");
}

__global__ void off_by_one_kernel(float* out, int index) { out[index] = 1.0f; }

// Writes within the allocation's 256-byte alignment or its first page do not reach a guard page;
// the margins checked after every kernel catch them, as compute-sanitizer's memcheck would. Under
// AddressSanitizer the margins are poisoned, so ASan stops the write itself.
TEST_F(CudaSimDeathTest, AWriteJustPastEitherEndIsAnIllegalAddressThatSticks) {
  for (const int index : {10, -1}) {
    const auto write_outside = [index] {
      float* out = device_copy(std::vector<float>(10, 0.0f));  // 40 bytes: 216 to the guard page
      launch(off_by_one_kernel, {1, 1}, out, index);
      const bool failed = cudaGetLastError() == cudaErrorIllegalAddress;
      void* p = nullptr;
      const bool sticky = cudaMalloc(&p, 4) == cudaErrorIllegalAddress;
      std::exit(failed && sticky ? 0 : 1);
    };
#if defined(__SANITIZE_ADDRESS__)
    EXPECT_DEATH(write_outside(), "use-after-poison");
#else
    EXPECT_EXIT(write_outside(), ::testing::ExitedWithCode(0),
                index > 0 ? "kernel .*off_by_one_kernel.* wrote outside its allocation: a write at offset 40 of "
                            "the 40-byte allocation at 0x[0-9a-f]+, past its end"
                          : "offset -1 of the 40-byte allocation at 0x[0-9a-f]+, before its start");
#endif
  }
}

TEST(CudaSim, WritesInsideAnAllocationLeaveItsMarginsIntact) {
  float* out = device_copy(std::vector<float>(10, 0.0f));
  launch(off_by_one_kernel, {1, 1}, out, 9);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(host_copy(out, 10)[9], 1.0f);
  cudaFree(out);
}

TEST_F(CudaSimDeathTest, TheHostDereferencingADevicePointerFaults) {
  EXPECT_DEATH(
      {
        float* p = device_copy(std::vector<float>(4, 1.0f));
        std::printf("%f\n", static_cast<double>(*static_cast<volatile float*>(p)));
      },
      "");
}

}  // namespace

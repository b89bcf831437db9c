// The CUDA runtime calls the plugin makes, for the simulated device: the declarations are the
// toolkit's own (cuda_runtime_api.h), the behaviour CUDA's documented one, backed by host memory
// (device_memory.hpp). Work is done when it is issued, so every stream is always complete and
// an asynchronous call behaves as its synchronous twin. Errors are CUDA's: a call's own error is
// kept for cudaGetLastError until read; a kernel fault is sticky (every later call returns it),
// as a poisoned context on a GPU.
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "device_memory.hpp"
#include "launch_entry.hpp"

namespace ignis::cuda_sim {

namespace {

std::recursive_mutex g_mutex;  // one runtime call (or launch) at a time
cudaError_t g_last_error = cudaSuccess;
cudaError_t g_sticky_error = cudaSuccess;
thread_local int t_device = 0;
std::map<const char*, std::size_t> g_pinned;  // cudaHostAlloc's blocks and sizes
std::set<cudaStream_t> g_streams;

struct SimEvent {
  std::chrono::steady_clock::time_point when{};
  bool recorded = false;
};
std::set<SimEvent*> g_events;

int device_count() {
  static const int count = [] {
    const char* v = std::getenv("IGNIS_CUDA_SIM_DEVICES");
    const int n = v != nullptr && *v != '\0' ? std::atoi(v) : 1;
    return n >= 0 && n <= 16 ? n : 1;
  }();
  return count;
}

/// Records a call's result as the runtime does and returns it.
cudaError_t result(cudaError_t e) {
  if (e != cudaSuccess && g_last_error == cudaSuccess) g_last_error = e;
  return e;
}

/// The stream argument must be the legacy default stream (0) or a live stream.
bool valid_stream(cudaStream_t s) {
  return s == nullptr || s == cudaStreamLegacy || g_streams.count(s) != 0;
}

enum class Side { kHost, kDevice };

/// Where [ptr, ptr + count) lies; false if it starts on the device but is not inside one live
/// allocation (an overrun, or freed memory).
bool side_of(const void* ptr, std::size_t count, Side* side) {
  DeviceMemory& m = DeviceMemory::instance();
  if (!m.in_device_range(ptr)) {
    *side = Side::kHost;
    return true;
  }
  *side = Side::kDevice;
  return m.find(ptr, count == 0 ? 1 : count).has_value();
}

cudaError_t copy_bytes(void* dst, const void* src, std::size_t count, cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return result(cudaErrorInvalidValue);
  Side ds{}, ss{};
  if (!side_of(dst, count, &ds) || !side_of(src, count, &ss)) {
    std::fprintf(
        stderr,
        "ignis CUDA simulator: cudaMemcpy of %zu bytes reaches outside a device allocation\n",
        count);
    return result(cudaErrorInvalidValue);
  }
  Side want_dst = ds, want_src = ss;
  switch (kind) {
    case cudaMemcpyHostToHost:
      want_dst = want_src = Side::kHost;
      break;
    case cudaMemcpyHostToDevice:
      want_dst = Side::kDevice;
      want_src = Side::kHost;
      break;
    case cudaMemcpyDeviceToHost:
      want_dst = Side::kHost;
      want_src = Side::kDevice;
      break;
    case cudaMemcpyDeviceToDevice:
      want_dst = want_src = Side::kDevice;
      break;
    case cudaMemcpyDefault:
      break;  // inferred from the pointers (unified addressing)
    default:
      return result(cudaErrorInvalidMemcpyDirection);
  }
  if (ds != want_dst || ss != want_src) {
    std::fprintf(
        stderr,
        "ignis CUDA simulator: cudaMemcpy direction %d does not match the pointers (dst on the %s, "
        "src on the %s)\n",
        static_cast<int>(kind), ds == Side::kDevice ? "device" : "host",
        ss == Side::kDevice ? "device" : "host");
    return result(cudaErrorInvalidValue);
  }
  DeviceMemory& m = DeviceMemory::instance();
  char* d = ds == Side::kDevice ? m.host_view(dst) : static_cast<char*>(dst);
  const char* s = ss == Side::kDevice ? m.host_view(src) : static_cast<const char*>(src);
  std::memmove(d, s, count);
  return cudaSuccess;
}

}  // namespace

void launch(const void* kernel, dim3 grid, dim3 block, std::size_t shared_bytes,
            cudaStream_t stream, KernelBody body, void* context) {
  std::lock_guard lock(g_mutex);
  if (g_sticky_error != cudaSuccess) {
    result(g_sticky_error);
    return;
  }
  if (!valid_stream(stream)) {
    result(cudaErrorInvalidResourceHandle);
    return;
  }
  DeviceMemory& memory = DeviceMemory::instance();
  memory.open_to_kernels();
  int status = run_kernel(kernel, grid, block, shared_bytes, body, context);
  memory.close_to_kernels();
  if (const std::string damage = memory.check_margins(); !damage.empty()) {
    std::fprintf(stderr, "ignis CUDA simulator: %s wrote outside its allocation: %s\n",
                 kernel_name(kernel).c_str(), damage.c_str());
    status = cudaErrorIllegalAddress;
  }
  if (status == cudaErrorLaunchFailure || status == cudaErrorIllegalAddress) g_sticky_error = static_cast<cudaError_t>(status);
  result(static_cast<cudaError_t>(status));
}

}  // namespace ignis::cuda_sim

using ignis::cuda_sim::DeviceMemory;
using ignis::cuda_sim::g_mutex;

namespace {
using ignis::cuda_sim::device_count;
using ignis::cuda_sim::g_events;
using ignis::cuda_sim::g_last_error;
using ignis::cuda_sim::g_pinned;
using ignis::cuda_sim::g_sticky_error;
using ignis::cuda_sim::g_streams;
using ignis::cuda_sim::result;
using ignis::cuda_sim::SimEvent;
using ignis::cuda_sim::t_device;

/// Calls that touch the device fail once a kernel has faulted.
#define IGNIS_SIM_STICKY()           \
  std::lock_guard sim_lock(g_mutex); \
  if (g_sticky_error != cudaSuccess) return result(g_sticky_error)

const char* error_text(cudaError_t e, bool name) {
#define IGNIS_SIM_ERROR(code, text) \
  case code:                        \
    return name ? #code : text;
  switch (e) {
    IGNIS_SIM_ERROR(cudaSuccess, "no error")
    IGNIS_SIM_ERROR(cudaErrorInvalidValue, "invalid argument")
    IGNIS_SIM_ERROR(cudaErrorMemoryAllocation, "out of memory")
    IGNIS_SIM_ERROR(cudaErrorInitializationError, "initialization error")
    IGNIS_SIM_ERROR(cudaErrorInvalidConfiguration, "invalid configuration argument")
    IGNIS_SIM_ERROR(cudaErrorInvalidMemcpyDirection, "invalid copy direction for memcpy")
    IGNIS_SIM_ERROR(cudaErrorInsufficientDriver,
                    "CUDA driver version is insufficient for CUDA runtime version")
    IGNIS_SIM_ERROR(cudaErrorNoDevice, "no CUDA-capable device is detected")
    IGNIS_SIM_ERROR(cudaErrorInvalidDevice, "invalid device ordinal")
    IGNIS_SIM_ERROR(cudaErrorInvalidResourceHandle, "invalid resource handle")
    IGNIS_SIM_ERROR(cudaErrorIllegalAddress, "an illegal memory access was encountered")
    IGNIS_SIM_ERROR(cudaErrorLaunchFailure, "unspecified launch failure")
    IGNIS_SIM_ERROR(cudaErrorNotReady, "device not ready")
    default:
      return name ? "cudaErrorUnknown" : "unrecognized error code";
  }
#undef IGNIS_SIM_ERROR
}

}  // namespace

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return result(cudaErrorInvalidValue);
  *count = device_count();
  return device_count() > 0 ? cudaSuccess : result(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= device_count()) return result(cudaErrorInvalidDevice);
  t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return result(cudaErrorInvalidValue);
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return result(cudaErrorInvalidValue);
  if (device < 0 || device >= device_count()) return result(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name,
                "ignis simulated CUDA device (sm_90 semantics, on the CPU)");
  prop->totalGlobalMem = DeviceMemory::instance().capacity();
  prop->sharedMemPerBlock = ignis::cuda_sim::kDefaultSharedBytes;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = ignis::cuda_sim::kMaxThreadsPerBlock;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = ignis::cuda_sim::kMaxBlockDimZ;
  prop->maxGridSize[0] = static_cast<int>(ignis::cuda_sim::kMaxGridDimX);
  prop->maxGridSize[1] = prop->maxGridSize[2] = static_cast<int>(ignis::cuda_sim::kMaxGridDimYZ);
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  prop->l2CacheSize = 1 << 20;
  prop->unifiedAddressing = 1;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  if (version == nullptr) return result(cudaErrorInvalidValue);
  *version = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (version == nullptr) return result(cudaErrorInvalidValue);
  *version = CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
  std::lock_guard lock(g_mutex);
  const cudaError_t e = g_sticky_error != cudaSuccess ? g_sticky_error : g_last_error;
  g_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) {
  std::lock_guard lock(g_mutex);
  return g_sticky_error != cudaSuccess ? g_sticky_error : g_last_error;
}

const char* cudaGetErrorString(cudaError_t error) { return error_text(error, false); }
const char* cudaGetErrorName(cudaError_t error) { return error_text(error, true); }

cudaError_t cudaMalloc(void** ptr, size_t size) {
  IGNIS_SIM_STICKY();
  if (ptr == nullptr) return result(cudaErrorInvalidValue);
  *ptr = DeviceMemory::instance().allocate(t_device, size);
  return *ptr != nullptr ? cudaSuccess : result(cudaErrorMemoryAllocation);
}

cudaError_t cudaFree(void* ptr) {
  IGNIS_SIM_STICKY();
  if (ptr == nullptr) return cudaSuccess;
  return DeviceMemory::instance().release(ptr) ? cudaSuccess : result(cudaErrorInvalidValue);
}

cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int flags) {
  std::lock_guard lock(g_mutex);
  if (ptr == nullptr || (flags & ~0xfu) != 0) return result(cudaErrorInvalidValue);
  *ptr = std::aligned_alloc(4096, (size + 4095) / 4096 * 4096);
  if (*ptr == nullptr) return result(cudaErrorMemoryAllocation);
  g_pinned[static_cast<const char*>(*ptr)] = size;
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  return cudaHostAlloc(ptr, size, cudaHostAllocDefault);
}

cudaError_t cudaFreeHost(void* ptr) {
  std::lock_guard lock(g_mutex);
  if (ptr == nullptr) return cudaSuccess;
  if (g_pinned.erase(static_cast<const char*>(ptr)) == 0) return result(cudaErrorInvalidValue);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* ptr) {
  std::lock_guard lock(g_mutex);
  if (attributes == nullptr) return result(cudaErrorInvalidValue);
  std::memset(attributes, 0, sizeof *attributes);
  attributes->device = -1;
  attributes->type = cudaMemoryTypeUnregistered;
  if (auto a = DeviceMemory::instance().find(ptr)) {
    attributes->type = cudaMemoryTypeDevice;
    attributes->device = a->device_index;
    attributes->devicePointer = const_cast<void*>(ptr);
  } else {
    // A pointer anywhere inside a cudaHostAlloc block is pinned host memory.
    const char* p = static_cast<const char*>(ptr);
    auto it = g_pinned.upper_bound(p);
    if (it != g_pinned.begin() && p < std::prev(it)->first + std::prev(it)->second) {
      attributes->type = cudaMemoryTypeHost;
      attributes->hostPointer = const_cast<void*>(ptr);
    }
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  IGNIS_SIM_STICKY();
  return ignis::cuda_sim::copy_bytes(dst, src, count, kind);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  IGNIS_SIM_STICKY();
  if (!ignis::cuda_sim::valid_stream(stream)) return result(cudaErrorInvalidResourceHandle);
  return ignis::cuda_sim::copy_bytes(dst, src, count, kind);
}

cudaError_t cudaMemcpyPeer(void* dst, int dst_device, const void* src, int src_device,
                           size_t count) {
  IGNIS_SIM_STICKY();
  if (count == 0) return cudaSuccess;
  auto d = DeviceMemory::instance().find(dst, count), s = DeviceMemory::instance().find(src, count);
  if (!d || !s || d->device_index != dst_device || s->device_index != src_device)
    return result(cudaErrorInvalidValue);
  return ignis::cuda_sim::copy_bytes(dst, src, count, cudaMemcpyDeviceToDevice);
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  IGNIS_SIM_STICKY();
  if (!ignis::cuda_sim::valid_stream(stream)) return result(cudaErrorInvalidResourceHandle);
  if (count == 0) return cudaSuccess;
  if (!DeviceMemory::instance().find(ptr, count)) return result(cudaErrorInvalidValue);
  std::memset(DeviceMemory::instance().host_view(ptr), value, count);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  return cudaMemsetAsync(ptr, value, count, nullptr);
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  IGNIS_SIM_STICKY();
  if (free == nullptr || total == nullptr) return result(cudaErrorInvalidValue);
  *total = DeviceMemory::instance().capacity();
  *free = *total - DeviceMemory::instance().used(t_device);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  IGNIS_SIM_STICKY();
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  std::lock_guard lock(g_mutex);
  if (stream == nullptr) return result(cudaErrorInvalidValue);
  *stream = reinterpret_cast<cudaStream_t>(new char[1]);
  g_streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard lock(g_mutex);
  if (g_streams.erase(stream) == 0) return result(cudaErrorInvalidResourceHandle);
  delete[] reinterpret_cast<char*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  IGNIS_SIM_STICKY();
  return ignis::cuda_sim::valid_stream(stream) ? cudaSuccess
                                               : result(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  std::lock_guard lock(g_mutex);
  if (event == nullptr) return result(cudaErrorInvalidValue);
  auto* e = new SimEvent;
  g_events.insert(e);
  *event = reinterpret_cast<cudaEvent_t>(e);
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  std::lock_guard lock(g_mutex);
  auto* e = reinterpret_cast<SimEvent*>(event);
  if (g_events.erase(e) == 0) return result(cudaErrorInvalidResourceHandle);
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  IGNIS_SIM_STICKY();
  auto* e = reinterpret_cast<SimEvent*>(event);
  if (g_events.count(e) == 0 || !ignis::cuda_sim::valid_stream(stream))
    return result(cudaErrorInvalidResourceHandle);
  e->when = std::chrono::steady_clock::now();
  e->recorded = true;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  IGNIS_SIM_STICKY();
  return g_events.count(reinterpret_cast<SimEvent*>(event))
             ? cudaSuccess
             : result(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  std::lock_guard lock(g_mutex);
  auto* a = reinterpret_cast<SimEvent*>(start);
  auto* b = reinterpret_cast<SimEvent*>(end);
  if (ms == nullptr) return result(cudaErrorInvalidValue);
  if (g_events.count(a) == 0 || g_events.count(b) == 0)
    return result(cudaErrorInvalidResourceHandle);
  if (!a->recorded || !b->recorded) return result(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(b->when - a->when).count();
  return cudaSuccess;
}

}  // extern "C"

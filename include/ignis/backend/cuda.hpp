#pragma once
// The CUDA device API, as torch.cuda: availability (with the reason when not), devices, the
// current device, synchronisation and the caching allocator's memory. Nothing here throws when
// CUDA is unusable except the calls that need a device, which throw BackendUnavailableError
// with the reason.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ignis/core/memory_report.hpp"

namespace ignis::cuda {

/// Why CUDA cannot be used, by kind (the message has the details: dlerror text, error codes).
enum class UnavailableKind {
  kAvailable,          // nothing wrong
  kNotBuilt,           // this build has no CUDA plugin
  kPluginLoadFailed,   // the plugin library could not be loaded (message: dlerror)
  kNoDriver,           // no NVIDIA driver (libcuda.so.1 cannot be loaded)
  kStubDriver,         // the CUDA toolkit's stub libcuda was loaded instead of the driver's
  kDriverTooOld,       // the driver is older than the CUDA runtime needs
  kNoDevice,           // a driver, but no visible device (CUDA_VISIBLE_DEVICES, no GPU)
  kOther,              // any other failure (message says which)
};

/// A stable snake_case name of the kind ("no_driver", "stub_driver", ...), as in `ignis info --json`.
const char* name(UnavailableKind kind) noexcept;

struct UnavailableReason {
  UnavailableKind kind = UnavailableKind::kAvailable;
  std::string message;  // empty when available
  int cuda_error = 0;   // the cudaError_t code behind it, when there is one
};

/// Whether convolutions can run on CUDA: cuDNN, probed once when the CUDA plugin loads (no GPU
/// needed). CUDA without cuDNN still runs everything else (MLPs); conv2d on CUDA then throws
/// BackendUnavailableError with the message.
enum class CudnnState {
  kAvailable = 0,   // cuDNN 9 or newer, with every entry point ignis calls
  kNoPlugin = 1,    // the CUDA plugin is not loaded (unavailable_reason() says why)
  kNotBuilt = 2,    // the plugin was built without cuDNN's headers
  kNotFound = 3,    // libcudnn.so.9 (or $IGNIS_CUDNN_LIBRARY) could not be loaded (message: dlerror)
  kTooOld = 4,      // found, but older than cuDNN 9
  kIncomplete = 5,  // found, but lacks entry points ignis calls
};

/// A stable snake_case name of the state ("available", "not_found", "too_old", ...), as in
/// `ignis info --json`.
const char* name(CudnnState state) noexcept;

struct CudnnStatus {
  CudnnState state = CudnnState::kNoPlugin;
  int version = 0;      // cudnnGetVersion() of the library found (90100 = 9.1.0; kept when too old), else 0;
                        // cudnn_version_text() spells it
  std::string message;  // why it cannot be used, with "What to do: ..."; empty when available
};

/// Never throws; loads the plugin on first use.
CudnnStatus cudnn_status() noexcept;
/// "9.1.0" for 90100 (cuDNN 9 on: major * 10000 + minor * 100 + patch), "8.9.7" for 8907 (cuDNN 8
/// and older: major * 1000 + minor * 100 + patch), "" for 0.
std::string cudnn_version_text(int version);
/// The version of the usable cuDNN (90100 = 9.1.0), or 0 when convolutions cannot run on CUDA.
int cudnn_version() noexcept;

/// Never throws; loads the plugin on first use.
bool is_available() noexcept;
UnavailableReason unavailable_reason() noexcept;
/// 0 when CUDA is unavailable.
int device_count() noexcept;

struct DeviceProperties {
  std::string name;
  int major = 0, minor = 0;          // compute capability
  std::size_t total_memory = 0;      // bytes
  int multiprocessor_count = 0;
  std::size_t l2_cache_bytes = 0;
};

DeviceProperties device_properties(int index);
std::string device_name(int index);
int current_device();
void set_device(int index);
/// Waits for all work queued on the device (-1: the current one).
void synchronize(int index = -1);

/// Makes `index` the current device for its scope.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

/// Counters of the caching allocator of one device, in bytes (and blocks). category_bytes
/// (indexed by MemoryCategory) add up to allocated_bytes.
struct MemoryStats {
  std::size_t allocated_bytes = 0;       // held by live tensors
  std::array<std::size_t, kMemoryCategoryCount> category_bytes{};
  std::size_t limit_bytes = 0;           // the budget (ignis::memory_limit(cuda:N)); 0 = none
  std::size_t peak_allocated_bytes = 0;  // the most ever held at once
  std::size_t reserved_bytes = 0;        // obtained from cudaMalloc (allocated + cached)
  std::size_t cached_bytes = 0;          // reserved but free, kept for reuse
  std::size_t largest_free_block = 0;    // the biggest cached block (fragmentation)
  std::int64_t allocations = 0;          // allocation requests served
  std::int64_t cuda_mallocs = 0;         // of which went to cudaMalloc
  bool caching = true;                   // false under IGNIS_CUDA_NO_CACHING=1: nothing is cached
};

/// Returns every cached segment that holds no live block to the driver (cudaFree), on every
/// device, and the cache of pinned host memory (torch.cuda.empty_cache). It does not free live
/// tensors: drop the last reference to a tensor first (its block goes to the cache), then call
/// this. Why nvidia-smi may still show memory in use afterwards: it counts the process's CUDA
/// context (a few hundred MiB, until the process exits), cuBLAS workspaces, segments that still
/// hold one live block next to free ones (a segment is returned whole or not at all), and every
/// other process on the GPU. Useful to hand memory to another process or library; within ignis
/// the cache is reused anyway, and an allocation that fails releases it before giving up.
void empty_cache();
MemoryStats memory_stats(int device = -1);
/// The stats as a short human-readable table.
std::string memory_summary(int device = -1);

}  // namespace ignis::cuda

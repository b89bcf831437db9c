// ignis::cuda: the device API over the CUDA plugin's DeviceRuntime.
#include <fmt/format.h>

#include "backend/cuda_plugin.hpp"
#include "backend/device_runtime.hpp"
#include "core/check.hpp"
#include "ignis/backend/cuda.hpp"

namespace ignis::cuda {

namespace {

backend::DeviceRuntime* runtime() noexcept {
  try {
    const backend::CudaPluginStatus& s = backend::cuda_plugin_status();
    return s.backend ? s.backend->device_runtime() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

backend::DeviceRuntime& require(const char* op) {
  if (backend::DeviceRuntime* rt = runtime()) return *rt;
  detail::fail<BackendUnavailableError>("[cuda::{}] CUDA is not available: {}. Run `ignis doctor` for a diagnosis", op,
                                        unavailable_reason().message);
}

}  // namespace

const char* name(UnavailableKind kind) noexcept {
  switch (kind) {
    case UnavailableKind::kAvailable: return "available";
    case UnavailableKind::kNotBuilt: return "not_built";
    case UnavailableKind::kPluginLoadFailed: return "plugin_load_failed";
    case UnavailableKind::kNoDriver: return "no_driver";
    case UnavailableKind::kStubDriver: return "stub_driver";
    case UnavailableKind::kDriverTooOld: return "driver_too_old";
    case UnavailableKind::kNoDevice: return "no_device";
    case UnavailableKind::kOther: return "other";
  }
  return "other";
}

const char* name(CudnnState state) noexcept {
  switch (state) {
    case CudnnState::kAvailable: return "available";
    case CudnnState::kNoPlugin: return "no_plugin";
    case CudnnState::kNotBuilt: return "not_built";
    case CudnnState::kNotFound: return "not_found";
    case CudnnState::kTooOld: return "too_old";
    case CudnnState::kIncomplete: return "incomplete";
  }
  return "not_found";
}

CudnnStatus cudnn_status() noexcept {
  try {
    const backend::CudaPluginStatus& s = backend::cuda_plugin_status();
    if (s.state == backend::CudaPluginStatus::State::kNotBuilt ||
        s.state == backend::CudaPluginStatus::State::kLoadFailed) {
      return {CudnnState::kNoPlugin, 0, "the CUDA plugin is not loaded: " + s.reason};
    }
    return {s.cudnn_state, s.cudnn_version, s.cudnn_message};
  } catch (...) {
    return {CudnnState::kNoPlugin, 0, "the CUDA plugin could not be inspected"};
  }
}

std::string cudnn_version_text(int version) {
  if (version <= 0) return "";
  // cuDNN 9 changed the encoding: CUDNN_VERSION = major * 10000 + minor * 100 + patch (it was
  // major * 1000 + minor * 100 + patch up to cuDNN 8).
  if (version >= 90000) return fmt::format("{}.{}.{}", version / 10000, (version / 100) % 100, version % 100);
  return fmt::format("{}.{}.{}", version / 1000, (version / 100) % 10, version % 100);
}

int cudnn_version() noexcept {
  const CudnnStatus s = cudnn_status();
  return s.state == CudnnState::kAvailable ? s.version : 0;
}

bool is_available() noexcept { return runtime() != nullptr && device_count() > 0; }

UnavailableReason unavailable_reason() noexcept {
  try {
    const backend::CudaPluginStatus& s = backend::cuda_plugin_status();
    switch (s.state) {
      case backend::CudaPluginStatus::State::kLoaded: return {};
      case backend::CudaPluginStatus::State::kNotBuilt: return {UnavailableKind::kNotBuilt, s.reason, 0};
      case backend::CudaPluginStatus::State::kLoadFailed: return {UnavailableKind::kPluginLoadFailed, s.reason, 0};
      case backend::CudaPluginStatus::State::kCreateFailed: break;
    }
    const auto kind = static_cast<UnavailableKind>(s.unavailable_kind);
    return {kind == UnavailableKind::kAvailable ? UnavailableKind::kOther : kind, s.reason, s.cuda_error};
  } catch (...) {
    return {UnavailableKind::kOther, "the CUDA plugin could not be inspected", 0};
  }
}

int device_count() noexcept {
  try {
    backend::DeviceRuntime* rt = runtime();
    return rt ? rt->device_count() : 0;
  } catch (...) {
    return 0;
  }
}

DeviceProperties device_properties(int index) { return require("device_properties").properties(index); }
std::string device_name(int index) { return device_properties(index).name; }
int current_device() { return require("current_device").current_device(); }
void set_device(int index) { require("set_device").set_device(index); }
void synchronize(int index) { require("synchronize").synchronize(index); }

DeviceGuard::DeviceGuard(int index) : previous_(current_device()) { set_device(index); }
DeviceGuard::~DeviceGuard() {
  try {
    set_device(previous_);
  } catch (...) {  // a destructor must not throw; the device stays as the scope left it
  }
}

void empty_cache() {
  if (backend::DeviceRuntime* rt = runtime()) rt->empty_cache();
}

MemoryStats memory_stats(int device) { return require("memory_stats").memory_stats(device); }

std::string memory_summary(int device) {
  const MemoryStats s = memory_stats(device);
  auto mib = [](std::size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
  std::string split;
  for (MemoryCategory c : {MemoryCategory::kParameters, MemoryCategory::kGradients, MemoryCategory::kOptimizerState,
                           MemoryCategory::kActivations, MemoryCategory::kWorkspace}) {
    split += fmt::format("    {:<22}{:10.1f} MiB\n", memory_category_name(c),
                         mib(s.category_bytes[static_cast<std::size_t>(c)]));
  }
  return fmt::format(
      "CUDA memory of device {}\n"
      "  allocated (live tensors)  {:10.1f} MiB\n"
      "{}"
      "  peak allocated            {:10.1f} MiB\n"
      "  reserved (from cudaMalloc){:10.1f} MiB\n"
      "  cached (free, kept)       {:10.1f} MiB\n"
      "  largest free block        {:10.1f} MiB\n"
      "  allocations {} ({} went to cudaMalloc){}\n",
      device < 0 ? current_device() : device, mib(s.allocated_bytes), split, mib(s.peak_allocated_bytes), mib(s.reserved_bytes),
      mib(s.cached_bytes), mib(s.largest_free_block), s.allocations, s.cuda_mallocs,
      s.caching ? "" : "\n  caching off (IGNIS_CUDA_NO_CACHING=1): every tensor is its own cudaMalloc");
}

}  // namespace ignis::cuda

#include "device_memory.hpp"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define IGNIS_SIM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#else
#define IGNIS_SIM_POISON(p, n) ((void)(p), (void)(n))
#endif

namespace ignis::cuda_sim {

namespace {

constexpr std::size_t kReservedBytes = std::size_t{256} << 30;  // address space, not memory
constexpr std::size_t kAlignment = 256;                         // cudaMalloc's guarantee

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

std::size_t capacity_from_environment() {
  if (const char* v = std::getenv("IGNIS_CUDA_SIM_MEMORY_MB"); v != nullptr && *v != '\0') {
    const long long mb = std::atoll(v);
    if (mb > 0) return static_cast<std::size_t>(mb) << 20;
  }
  return std::size_t{4} << 30;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ignis CUDA simulator: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

#if !defined(__SANITIZE_ADDRESS__)  // ASan explains a SEGV itself
char* g_device_begin = nullptr;
char* g_device_end = nullptr;
struct sigaction g_previous_segv {};

/// Explains a fault inside the device mapping, then lets the default action end the process.
void on_segv(int sig, siginfo_t* info, void* context) {
  const char* address = static_cast<const char*>(info->si_addr);
  if (address >= g_device_begin && address < g_device_end) {
    static const char text[] =
        "ignis CUDA simulator: an access to simulated device memory outside a kernel, or outside "
        "every live "
        "allocation, or after cudaFree (host code that dereferences a device pointer is a missing "
        "cudaMemcpy)\n";
    [[maybe_unused]] const ssize_t n = write(2, text, sizeof text - 1);
  }
  sigaction(SIGSEGV, &g_previous_segv, nullptr);
  if (g_previous_segv.sa_flags & SA_SIGINFO) {
    if (g_previous_segv.sa_sigaction != nullptr) g_previous_segv.sa_sigaction(sig, info, context);
  } else if (g_previous_segv.sa_handler != SIG_DFL && g_previous_segv.sa_handler != SIG_IGN) {
    g_previous_segv.sa_handler(sig);
  }
  // Returning re-executes the access, which now takes the previous (default) action.
}
#endif

}  // namespace

DeviceMemory& DeviceMemory::instance() {
  static DeviceMemory memory;
  return memory;
}

DeviceMemory::DeviceMemory()
    : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))),
      capacity_(capacity_from_environment()) {
  fd_ = memfd_create("ignis-cuda-sim", MFD_CLOEXEC);
  if (fd_ < 0) die("memfd_create");
  if (ftruncate(fd_, static_cast<off_t>(kReservedBytes)) != 0) die("ftruncate");
  void* device = mmap(nullptr, kReservedBytes, PROT_NONE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
  void* host =
      mmap(nullptr, kReservedBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
  if (device == MAP_FAILED || host == MAP_FAILED) die("mmap");
  device_base_ = static_cast<char*>(device);
  host_base_ = static_cast<char*>(host);
  reserved_ = kReservedBytes;
#if !defined(__SANITIZE_ADDRESS__)
  g_device_begin = device_base_;
  g_device_end = device_base_ + reserved_;
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &g_previous_segv);
#endif
}

void* DeviceMemory::allocate(int device_index, std::size_t size) {
  std::lock_guard lock(mutex_);
  if (size == 0) size = 1;
  if (used_[device_index] + size > capacity_) return nullptr;
  const std::size_t span = round_up(size, page_);
  if (next_ + span + page_ > reserved_) {
    std::fprintf(stderr,
                 "ignis CUDA simulator: the reserved device address space (%zu GiB) is used up\n",
                 reserved_ >> 30);
    return nullptr;
  }
  const std::size_t first = next_;
  next_ += span + page_;  // the page after stays inaccessible
  const std::size_t start = first + span - round_up(size, kAlignment);
  char* ptr = device_base_ + start;
  std::memset(host_base_ + first, 0xff, span);  // the allocation and its margins
  IGNIS_SIM_POISON(device_base_ + first, start - first);  // the unused head of the first page
  IGNIS_SIM_POISON(ptr + size, round_up(size, kAlignment) - size);
  live_[ptr] = Allocation{ptr, size, device_index};
  used_[device_index] += size;
  return ptr;
}

bool DeviceMemory::release(void* ptr) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(static_cast<const char*>(ptr));
  if (it == live_.end()) return false;
  const Allocation a = it->second;
  live_.erase(it);
  used_[a.device_index] -= a.size;
  IGNIS_SIM_POISON(a.device, a.size);
  // Give the pages back; the range is never handed out again.
  const std::size_t offset = static_cast<std::size_t>(a.device - device_base_);
  const std::size_t first = offset / page_ * page_;
  fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(first),
            static_cast<off_t>(round_up(offset + a.size, page_) - first));
  return true;
}

std::optional<Allocation> DeviceMemory::find(const void* ptr, std::size_t size) const {
  std::lock_guard lock(mutex_);
  const char* p = static_cast<const char*>(ptr);
  auto it = live_.upper_bound(p);
  if (it == live_.begin()) return std::nullopt;
  --it;
  const Allocation& a = it->second;
  if (p < a.device || p + size > a.device + a.size) return std::nullopt;
  return a;
}

char* DeviceMemory::host_view(const void* device_ptr) const {
  return host_base_ + (static_cast<const char*>(device_ptr) - device_base_);
}

bool DeviceMemory::in_device_range(const void* ptr) const {
  const char* p = static_cast<const char*>(ptr);
  return p >= device_base_ && p < device_base_ + reserved_;
}

char* DeviceMemory::first_page(const Allocation& a) const {
  return device_base_ + static_cast<std::size_t>(a.device - device_base_) / page_ * page_;
}

void DeviceMemory::set_access(const Allocation& a, bool open) const {
  char* first = first_page(a);
  const std::size_t bytes = round_up(static_cast<std::size_t>(a.device + a.size - first), page_);
  if (mprotect(first, bytes, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) die("mprotect");
}

void DeviceMemory::open_to_kernels() {
  std::lock_guard lock(mutex_);
  for (const auto& [ptr, a] : live_) set_access(a, true);
}

void DeviceMemory::close_to_kernels() {
  std::lock_guard lock(mutex_);
  for (const auto& [ptr, a] : live_) set_access(a, false);
}

namespace {

bool is_canary(char c) { return static_cast<unsigned char>(c) == 0xff; }

}  // namespace

std::string DeviceMemory::check_margins() {
  std::lock_guard lock(mutex_);
  for (const auto& [ptr, a] : live_) {
    char* head = host_view(first_page(a));  // [head, head + head_bytes) ends at the start
    const std::size_t head_bytes = static_cast<std::size_t>(a.device - first_page(a));
    char* tail = host_view(a.device + a.size);  // begins at the end
    const std::size_t tail_bytes = round_up(a.size, kAlignment) - a.size;
    std::size_t after = 0, before = 0;  // intact bytes next to the end and to the start
    while (after < tail_bytes && is_canary(tail[after])) ++after;
    while (before < head_bytes && is_canary(head[head_bytes - 1 - before])) ++before;
    if (after == tail_bytes && before == head_bytes) continue;
    // The damaged byte nearest the allocation, as an offset from its start.
    const long long offset = after != tail_bytes ? static_cast<long long>(a.size + after)
                                                 : -static_cast<long long>(before) - 1;
    std::memset(head, 0xff, head_bytes);
    std::memset(tail, 0xff, tail_bytes);
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(a.device));
    return "a write at offset " + std::to_string(offset) + " of the " + std::to_string(a.size) +
           "-byte allocation at " + address + (offset < 0 ? ", before its start" : ", past its end") +
           " (an out-of-bounds index)";
  }
  return {};
}

std::size_t DeviceMemory::used(int device_index) const {
  std::lock_guard lock(mutex_);
  auto it = used_.find(device_index);
  return it == used_.end() ? 0 : it->second;
}

}  // namespace ignis::cuda_sim

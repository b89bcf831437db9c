// Memory budgets (per device, atomics read on every allocation that goes to the system) and the
// thread-local category and batch-size scopes.
#include "ignis/tensor/memory.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include "core/check.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis {

namespace {

constexpr int kMaxCudaDevices = 64;

/// Slot 0: the CPU; slot 1 + i: cuda:i.
std::array<std::atomic<std::size_t>, 1 + kMaxCudaDevices>& limits() {
  static std::array<std::atomic<std::size_t>, 1 + kMaxCudaDevices> slots{};
  return slots;
}

std::size_t slot(Device device) {
  if (device.is_cpu()) return 0;
  const int index = device.index() < 0 ? 0 : device.index();
  if (index >= kMaxCudaDevices) {
    detail::fail<DeviceError>("[memory limit] device {} is beyond the {} devices budgets are kept for", device.str(),
                              kMaxCudaDevices);
  }
  return 1 + static_cast<std::size_t>(index);
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

/// Reads IGNIS_MEMORY_LIMIT: "SIZE" for every device or "DEVICE=SIZE,DEVICE=SIZE".
void parse_environment();
void read_environment() {
  try {
    parse_environment();
  } catch (const ValueError& e) {
    detail::fail<ValueError>("[IGNIS_MEMORY_LIMIT] {} (the variable is \"{}\")", e.what(),
                             std::getenv("IGNIS_MEMORY_LIMIT"));
  }
}

void parse_environment() {
  const char* env = std::getenv("IGNIS_MEMORY_LIMIT");
  if (env == nullptr || *env == '\0') return;
  const std::string text = env;
  if (text.find('=') == std::string::npos) {
    const std::size_t bytes = parse_memory_size(text);
    for (auto& l : limits()) l.store(bytes);
    return;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) {
      detail::fail<ValueError>("[IGNIS_MEMORY_LIMIT] \"{}\": write DEVICE=SIZE items separated by commas "
                               "(cpu=1GiB,cuda:0=8GiB) or one SIZE for every device",
                               item);
    }
    Device device = Device::cpu();
    try {
      device = Device(trim(item.substr(0, eq)));
    } catch (const Error& e) {
      detail::fail<ValueError>("[IGNIS_MEMORY_LIMIT] \"{}\": {}", item, e.what());
    }
    limits()[slot(device)].store(parse_memory_size(trim(item.substr(eq + 1))));
  }
}

std::once_flag& environment_once() {
  static std::once_flag once;
  return once;
}

void ensure_environment() { std::call_once(environment_once(), read_environment); }

thread_local MemoryCategory t_category = MemoryCategory::kWorkspace;
thread_local std::int64_t t_batch_size = 0;

}  // namespace

void set_memory_limit(Device device, std::size_t bytes) {
  ensure_environment();
  limits()[slot(device)].store(bytes);
}

std::size_t memory_limit(Device device) {
  ensure_environment();
  return limits()[slot(device)].load(std::memory_order_relaxed);
}

std::size_t parse_memory_size(const std::string& raw) {
  const std::string text = trim(raw);
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number = text.substr(0, i);
  std::string unit = trim(text.substr(i));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB") scale = 1024.0;
  else if (unit == "M" || unit == "MB" || unit == "MIB") scale = 1024.0 * 1024.0;
  else if (unit == "G" || unit == "GB" || unit == "GIB") scale = 1024.0 * 1024.0 * 1024.0;
  else if (unit == "T" || unit == "TB" || unit == "TIB") scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
  char* end = nullptr;
  const double value = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  if (scale == 0 || number.empty() || end != number.c_str() + number.size() || !(value >= 0) ||
      value * scale > 9.0e18) {  // llround must not overflow
    detail::fail<ValueError>("[memory size] \"{}\" is not a size in bytes; write e.g. 1048576, 512K, 64MiB or 1.5GB",
                             raw);
  }
  return static_cast<std::size_t>(std::llround(value * scale));
}

MemoryCategoryScope::MemoryCategoryScope(MemoryCategory category) noexcept : previous_(t_category) {
  t_category = category;
}
MemoryCategoryScope::~MemoryCategoryScope() { t_category = previous_; }
MemoryCategory current_memory_category() noexcept { return t_category; }

void set_memory_category(const Tensor& tensor, MemoryCategory category, Retag mode) {
  if (!tensor.defined() || tensor.storage() == nullptr) return;
  Storage& storage = *tensor.storage();
  if (mode == Retag::kOnlyUntagged && storage.memory_category() != MemoryCategory::kWorkspace) return;
  storage.set_memory_category(category);
}

BatchSizeHint::BatchSizeHint(std::int64_t batch_size) noexcept : previous_(t_batch_size) { t_batch_size = batch_size; }
BatchSizeHint::~BatchSizeHint() { t_batch_size = previous_; }
std::int64_t current_batch_size_hint() noexcept { return t_batch_size; }

}  // namespace ignis

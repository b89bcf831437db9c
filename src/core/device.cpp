#include "ignis/core/device.hpp"

#include <charconv>
#include <ostream>

#include "check.hpp"

namespace ignis {

namespace {
[[noreturn]] void bad_device(std::string_view spec) {
  detail::fail<DeviceError>(
      "[Device] cannot parse device \"{}\": expected \"cpu\", \"cuda\" or \"cuda:N\" with N ≥ 0",
      spec);
}
}  // namespace

Device::Device(std::string_view spec) : type_(DeviceType::kCPU), index_(-1) {
  if (spec == "cpu") return;
  constexpr std::string_view kCuda = "cuda";
  if (spec.substr(0, kCuda.size()) != kCuda) bad_device(spec);
  type_ = DeviceType::kCUDA;
  std::string_view rest = spec.substr(kCuda.size());
  if (rest.empty()) return;
  if (rest.front() != ':' || rest.size() < 2) bad_device(spec);
  rest.remove_prefix(1);
  int index = -1;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
  if (ec != std::errc() || end != rest.data() + rest.size() || index < 0) bad_device(spec);
  index_ = index;
}

std::string Device::str() const {
  if (type_ == DeviceType::kCPU) return "cpu";
  return index_ < 0 ? "cuda" : fmt::format("cuda:{}", index_);
}

std::ostream& operator<<(std::ostream& os, Device device) { return os << device.str(); }

}  // namespace ignis

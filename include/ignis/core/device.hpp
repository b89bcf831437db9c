#pragma once
// Where a tensor lives: "cpu", "cuda" (the current CUDA device) or "cuda:N".
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace ignis {

enum class DeviceType : std::uint8_t { kCPU, kCUDA };

class Device {
 public:
  /// Parses "cpu", "cuda", "cuda:N" (case-sensitive, like PyTorch); throws DeviceError otherwise.
  explicit Device(std::string_view spec);
  explicit Device(const char* spec) : Device(std::string_view(spec)) {}
  explicit Device(const std::string& spec) : Device(std::string_view(spec)) {}
  /// index -1 means "the current device of that type" (only meaningful for CUDA).
  constexpr Device(DeviceType type, int index = -1) : type_(type), index_(type == DeviceType::kCPU ? -1 : index) {}

  static constexpr Device cpu() { return Device(DeviceType::kCPU); }
  static constexpr Device cuda(int index = -1) { return Device(DeviceType::kCUDA, index); }

  constexpr DeviceType type() const { return type_; }
  constexpr int index() const { return index_; }
  constexpr bool has_index() const { return index_ >= 0; }
  constexpr bool is_cpu() const { return type_ == DeviceType::kCPU; }
  constexpr bool is_cuda() const { return type_ == DeviceType::kCUDA; }

  /// "cpu", "cuda", "cuda:1".
  std::string str() const;

  friend constexpr bool operator==(Device a, Device b) = default;

 private:
  DeviceType type_;
  int index_;
};

std::ostream& operator<<(std::ostream& os, Device device);

}  // namespace ignis

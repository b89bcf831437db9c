#pragma once
// What the test machine is, read directly from /sys and /proc (independently of the probes), so
// tests can check that the real doctor agrees with it. Header-only: diag and tools tests use it.
#include <filesystem>
#include <fstream>
#include <string>

namespace ignis::testing {

/// NVIDIA display controllers (vendor 0x10de, class 0x03xxxx) under /sys/bus/pci/devices.
inline int nvidia_gpus_on_this_machine() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/bus/pci/devices", ec)) {
    std::string vendor, cls;
    std::ifstream(e.path() / "vendor") >> vendor;
    std::ifstream(e.path() / "class") >> cls;
    if (vendor == "0x10de" && cls.rfind("0x03", 0) == 0) ++n;
  }
  return n;
}

/// WSL shows its GPU through /dev/dxg, not the PCI bus.
inline bool in_wsl() {
  std::string version;
  std::getline(std::ifstream("/proc/version"), version);
  return version.find("icrosoft") != std::string::npos;
}

}  // namespace ignis::testing

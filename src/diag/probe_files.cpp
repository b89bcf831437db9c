// File-based probes: /sys/bus/pci, /proc/driver/nvidia, /dev/nvidia*, containers, WSL. Every path
// is read below ProbeOptions::root so tests can use a fake tree.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ignis/diag/probes.hpp"

namespace ignis::diag {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kNvidiaVendor = 0x10de;

fs::path under(const ProbeOptions& options, const std::string& absolute) {
  return options.root / absolute.substr(1);  // "/proc/x" -> root/"proc/x"
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::uint32_t read_hex(const fs::path& path) {
  const auto text = read_text(path);
  if (!text) return 0;
  return static_cast<std::uint32_t>(std::strtoul(trim(*text).c_str(), nullptr, 16));
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb ..." -> "550.54.14".
std::optional<std::string> driver_version_of(const std::string& line) {
  std::istringstream words(line);
  for (std::string w; words >> w;) {
    const bool dotted =
        w.find('.') != std::string::npos && std::isdigit(static_cast<unsigned char>(w[0])) &&
        std::all_of(w.begin(), w.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
    if (dotted) return w;
  }
  return std::nullopt;
}

}  // namespace

HardwareFacts probe_hardware(const ProbeOptions& options) {
  HardwareFacts facts;
  const fs::path dir = under(options, "/sys/bus/pci/devices");
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    facts.observations.push_back(
        {Observation::Method::kDirectory, dir.string(), "not readable: " + ec.message()});
    return facts;
  }
  facts.pci_readable = true;
  int functions = 0;
  for (const auto& entry : it) {
    ++functions;
    if (read_hex(entry.path() / "vendor") != kNvidiaVendor) continue;
    PciDevice device;
    device.address = entry.path().filename().string();
    device.device_id = read_hex(entry.path() / "device");
    device.class_code = read_hex(entry.path() / "class");
    std::error_code link_ec;
    const auto driver = fs::read_symlink(entry.path() / "driver", link_ec);
    if (!link_ec) device.driver = driver.filename().string();
    facts.nvidia.push_back(device);
  }
  std::sort(facts.nvidia.begin(), facts.nvidia.end(),
            [](const PciDevice& a, const PciDevice& b) { return a.address < b.address; });
  std::string result =
      fmt::format("{} PCI functions, {} with vendor 0x10de", functions, facts.nvidia.size());
  for (const auto& d : facts.nvidia) {
    result += fmt::format("; {} device 0x{:04x} class 0x{:06x} driver {}", d.address, d.device_id,
                          d.class_code, d.driver.empty() ? "(none)" : d.driver);
  }
  facts.observations.push_back({Observation::Method::kDirectory, dir.string(), result});
  return facts;
}

KernelDriverFacts probe_kernel_driver(const ProbeOptions& options) {
  KernelDriverFacts facts;
  const fs::path version_file = under(options, "/proc/driver/nvidia/version");
  if (const auto text = read_text(version_file)) {
    facts.version_line = trim(first_line(*text));
    facts.version = driver_version_of(facts.version_line);
    facts.observations.push_back(
        {Observation::Method::kFile, version_file.string(), facts.version_line});
  } else {
    facts.observations.push_back({Observation::Method::kFile, version_file.string(), "not found"});
  }

  const fs::path dev = under(options, "/dev");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dev, ec)) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with("nvidia")) continue;
    const std::string node = "/dev/" + file;
    facts.device_nodes.push_back(node);
    const bool checked = file == "nvidiactl" || file == "nvidia-uvm" ||
                         (file.size() > 6 && std::isdigit(static_cast<unsigned char>(file[6])));
    if (checked && access(entry.path().c_str(), R_OK | W_OK) != 0)
      facts.inaccessible_nodes.push_back(node);
  }
  std::sort(facts.device_nodes.begin(), facts.device_nodes.end());
  std::sort(facts.inaccessible_nodes.begin(), facts.inaccessible_nodes.end());
  std::string nodes;
  for (const auto& n : facts.device_nodes) nodes += (nodes.empty() ? "" : " ") + n;
  facts.observations.push_back({Observation::Method::kDirectory, (dev / "nvidia*").string(),
                                nodes.empty() ? "none" : nodes});
  if (!facts.inaccessible_nodes.empty()) {
    std::string denied;
    for (const auto& n : facts.inaccessible_nodes) denied += (denied.empty() ? "" : " ") + n;
    facts.observations.push_back(
        {Observation::Method::kCall, "access(R_OK | W_OK)", "denied for " + denied});
  }

  facts.dxg_present = path_exists(dev / "dxg");
  facts.observations.push_back({Observation::Method::kFile, (dev / "dxg").string(),
                                facts.dxg_present ? "exists" : "not found"});
  const fs::path nouveau = under(options, "/sys/module/nouveau");
  facts.nouveau_loaded = path_exists(nouveau);
  facts.observations.push_back({Observation::Method::kDirectory, nouveau.string(),
                                facts.nouveau_loaded ? "exists (nouveau is loaded)" : "not found"});
  return facts;
}

EnvironmentFacts probe_environment(const ProbeOptions& options) {
  EnvironmentFacts facts;
  auto lookup = [&](const char* key) -> std::optional<std::string> {
    if (options.environment) {
      const auto it = options.environment->find(key);
      if (it == options.environment->end()) return std::nullopt;
      return it->second;
    }
    const char* value = std::getenv(key);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  auto record = [&](const char* key, std::optional<std::string>& slot) {
    slot = lookup(key);
    facts.observations.push_back(
        {Observation::Method::kEnvironment, key, slot ? "\"" + *slot + "\"" : "unset"});
  };
  record("CUDA_VISIBLE_DEVICES", facts.cuda_visible_devices);
  record("CUDA_DEVICE_ORDER", facts.cuda_device_order);
  record("LD_LIBRARY_PATH", facts.ld_library_path);

  // Containers: the marker files the runtimes create, then PID 1's cgroup, then the environment.
  const fs::path dockerenv = under(options, "/.dockerenv");
  const fs::path containerenv = under(options, "/run/.containerenv");
  const fs::path cgroup = under(options, "/proc/1/cgroup");
  const std::string cgroups = lower(read_text(cgroup).value_or(""));
  if (path_exists(dockerenv)) {
    facts.container = EnvironmentFacts::Container::kDocker;
    facts.container_evidence = dockerenv.string() + " exists";
  } else if (path_exists(containerenv)) {
    facts.container = EnvironmentFacts::Container::kPodman;
    facts.container_evidence = containerenv.string() + " exists";
  } else if (cgroups.find("kubepods") != std::string::npos || lookup("KUBERNETES_SERVICE_HOST")) {
    facts.container = EnvironmentFacts::Container::kKubernetes;
    facts.container_evidence = "kubepods in " + cgroup.string() + " or KUBERNETES_SERVICE_HOST set";
  } else if (cgroups.find("docker") != std::string::npos ||
             cgroups.find("containerd") != std::string::npos) {
    facts.container = EnvironmentFacts::Container::kDocker;
    facts.container_evidence = "docker/containerd in " + cgroup.string();
  } else if (const auto kind = lookup("container"); kind && !kind->empty()) {
    facts.container = EnvironmentFacts::Container::kOther;
    facts.container_evidence = "container=" + *kind + " in the environment";
  }
  facts.observations.push_back(
      {Observation::Method::kFile,
       dockerenv.string() + ", " + containerenv.string() + ", " + cgroup.string(),
       facts.container == EnvironmentFacts::Container::kNone
           ? "no container marker"
           : name(facts.container) + ": " + facts.container_evidence});

  const fs::path proc_version = under(options, "/proc/version");
  facts.kernel = trim(first_line(read_text(proc_version).value_or("")));
  facts.wsl = lower(facts.kernel).find("microsoft") != std::string::npos;
  facts.observations.push_back({Observation::Method::kFile, proc_version.string(),
                                facts.kernel.empty() ? "not readable" : facts.kernel});
  return facts;
}

}  // namespace ignis::diag

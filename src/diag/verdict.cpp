// diagnose(): the chain of checks, and its first stages (hardware, kernel driver) and the
// environment notes. The other stages live in verdict_driver.cpp and verdict_software.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "verdict_stages.hpp"

namespace ignis::diag {

namespace detail {

Finding& VerdictContext::add(std::string_view code, std::string seen, std::string why,
                             std::vector<std::string> fix) {
  const FindingSpec& spec = finding_spec(code);
  out.findings.push_back({std::string(code), spec.severity, spec.stage, std::move(seen),
                          std::move(why), std::move(fix), ""});
  return out.findings.back();
}

void VerdictContext::skip(Stage stage, std::string reason) {
  out.skipped.push_back({stage, std::move(reason)});
}

bool VerdictContext::blocked_since(std::size_t mark) const {
  return std::any_of(out.findings.begin() + static_cast<std::ptrdiff_t>(mark), out.findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kBlocker; });
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1ull << 30));
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

Version driver_cuda_version(const Facts& facts) {
  if (facts.driver.driver_version) return Version::from_cuda_int(*facts.driver.driver_version);
  if (facts.nvml.cuda_driver_version)
    return Version::from_cuda_int(*facts.nvml.cuda_driver_version);
  return {};
}

std::string driver_version(const Facts& facts) {
  if (facts.kernel.version) return *facts.kernel.version;
  if (!facts.nvml.driver_version.empty()) return facts.nvml.driver_version;
  return facts.driver.file_version;
}

std::vector<std::string> stub_dirs_on_library_path(const Facts& facts) {
  std::vector<std::string> out;
  const std::string path = facts.environment.ld_library_path.value_or("");
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (dir.find("stubs") != std::string::npos) out.push_back(dir);
    start = end + 1;
  }
  return out;
}

namespace {

std::string describe(const PciDevice& d) {
  return fmt::format("{} (device 0x{:04x}, driver {})", d.address, d.device_id,
                     d.driver.empty() ? "none" : d.driver);
}

bool in_container(const Facts& f) {
  return f.environment.container != EnvironmentFacts::Container::kNone;
}

}  // namespace

bool check_hardware(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  if (f.environment.wsl) {
    if (f.kernel.dxg_present) {
      ctx.add("nvidia-gpu-present",
              "WSL 2: the Windows driver exposes the GPU through /dev/dxg (WSL has no PCI device "
              "to list)");
      return true;
    }
    ctx.add("wsl-no-gpu-bridge", fmt::format("WSL ({}) without /dev/dxg", f.environment.kernel),
            "WSL reaches the GPU only through the Windows driver's /dev/dxg bridge, which WSL 1 "
            "and old Windows drivers lack.",
            {"In Windows, install the current NVIDIA driver for your GPU (it includes WSL "
             "support); do not install a Linux driver inside WSL.",
             "Make sure the distribution runs under WSL 2: `wsl --list --verbose`, then `wsl "
             "--set-version <distro> 2`.",
             "Update WSL itself: `wsl --update`, then `wsl --shutdown` and start the distribution "
             "again."});
    return false;
  }
  std::vector<std::string> gpus;
  for (const auto& d : f.hardware.nvidia) {
    if (d.is_gpu()) gpus.push_back(describe(d));
  }
  if (!gpus.empty()) {
    ctx.add("nvidia-gpu-present", fmt::format("{} NVIDIA GPU{} on the PCI bus: {}", gpus.size(),
                                              gpus.size() > 1 ? "s" : "", join(gpus)));
    return true;
  }
  const std::size_t driver_devices = std::max(f.driver.devices.size(), f.nvml.devices.size());
  if (driver_devices > 0) {
    ctx.add(
        "nvidia-gpu-present",
        fmt::format(
            "no NVIDIA device listed under /sys/bus/pci (masked here), but the driver reports {}",
            driver_devices));
    return true;
  }
  if (!f.hardware.pci_readable) {
    ctx.add("pci-unreadable", "/sys/bus/pci/devices cannot be listed",
            "Without the PCI list the doctor cannot tell a missing GPU from a missing driver; it "
            "goes on with the driver's answers.",
            {"Run where /sys is mounted (in a container: do not mask /sys), or check by hand with "
             "`lspci | grep -i nvidia`."});
    return f.kernel.version.has_value() || f.driver.library.loaded;
  }
  const int others = static_cast<int>(f.hardware.nvidia.size());
  std::vector<std::string> fix = {
      "Nothing to fix if this machine has no NVIDIA GPU: ignis trains on the CPU (device \"cpu\").",
      "To train on a GPU, use a machine or cloud instance with an NVIDIA GPU; `lspci | grep -i "
      "nvidia` lists it."};
  if (in_container(f)) {
    fix.push_back(
        "Inside a container the host's GPU appears only when the container gets it: `docker run "
        "--gpus all ...` with the NVIDIA Container Toolkit installed on the host.");
  } else {
    fix.push_back(
        "In a virtual machine the GPU must be passed through to the guest (PCI passthrough or "
        "vGPU).");
  }
  ctx.add(
      "no-nvidia-gpu",
      fmt::format(
          "no NVIDIA GPU on this machine (no PCI display controller with vendor 0x10de under "
          "/sys/bus/pci/devices{})",
          others ? fmt::format("; {} other NVIDIA function{}", others, others > 1 ? "s" : "") : ""),
      "CUDA needs an NVIDIA GPU. Training works on the CPU, only slower for large models.", fix);
  return false;
}

bool check_kernel_driver(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const KernelDriverFacts& k = f.kernel;
  std::vector<std::string> bound;
  for (const auto& d : f.hardware.nvidia) {
    if (d.is_gpu() && !d.driver.empty() && d.driver != "nvidia") bound.push_back(describe(d));
  }
  const bool nouveau =
      std::any_of(f.hardware.nvidia.begin(), f.hardware.nvidia.end(),
                  [](const PciDevice& d) { return d.is_gpu() && d.driver == "nouveau"; });
  if (nouveau || (k.nouveau_loaded && !k.version)) {
    ctx.add("nouveau-driver",
            "the nouveau driver is loaded" +
                (bound.empty() ? std::string() : " and holds " + join(bound)),
            "nouveau is the open-source display driver; it cannot run CUDA, and while it holds the "
            "GPU NVIDIA's module cannot load.",
            {"Install NVIDIA's driver: `sudo ubuntu-drivers install` (Ubuntu) or `sudo apt install "
             "nvidia-driver` (Debian, non-free).",
             "The package blacklists nouveau; if not, add `blacklist nouveau` to "
             "/etc/modprobe.d/blacklist-nouveau.conf and run `sudo update-initramfs -u`.",
             "Reboot, then check with `nvidia-smi`."});
    return false;
  }
  if (!bound.empty() && !k.version) {
    ctx.add("gpu-claimed-by-other-driver",
            "the GPU is bound to another kernel driver: " + join(bound),
            "A GPU bound to vfio-pci (reserved for a virtual machine) or another driver is "
            "invisible to NVIDIA's driver on this host.",
            {"If the GPU should be used here, remove it from the vfio-pci configuration (kernel "
             "command line `vfio-pci.ids=...` or /etc/modprobe.d), then reboot.",
             "If it is meant for a VM, run ignis inside that VM."});
    return false;
  }
  if (!k.version) {
    ctx.add("no-kernel-driver",
            "a GPU is present but /proc/driver/nvidia/version does not exist: the NVIDIA kernel "
            "module is not loaded",
            "CUDA talks to the GPU through NVIDIA's kernel module; without it no CUDA program, "
            "nvidia-smi included, can reach the GPU.",
            {"Install the NVIDIA driver: `sudo ubuntu-drivers install` (Ubuntu), `sudo apt install "
             "nvidia-driver` (Debian, non-free), or NVIDIA's .run installer.",
             "If it is installed, load it: `sudo modprobe nvidia`; `dmesg | grep -i nvidia` says "
             "why it fails (with Secure Boot the module must be signed, or Secure Boot disabled).",
             "After a kernel update, rebuild the module (`sudo dkms autoinstall`) and reboot."});
    return false;
  }
  const bool nodes_ok = k.has_node("/dev/nvidiactl") && k.gpu_node_count() > 0;
  if (!nodes_ok) {
    if (in_container(f)) {
      ctx.add(
          "container-no-gpu-access",
          fmt::format("inside a {} container ({}) whose /dev has no NVIDIA device nodes, while the "
                      "host's driver {} is loaded",
                      name(f.environment.container), f.environment.container_evidence, *k.version),
          "A container sees the GPU only when the runtime passes /dev/nvidia* and the driver "
          "libraries in; it was started without them.",
          {"Install the NVIDIA Container Toolkit on the host (`nvidia-container-toolkit`) and run "
           "`sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker`.",
           "Start the container with GPU access: `docker run --gpus all ...` (Podman: `--device "
           "nvidia.com/gpu=all`; Kubernetes: request `nvidia.com/gpu` in the pod's resources)."});
    } else {
      ctx.add(
          "device-nodes-missing",
          fmt::format("driver {} is loaded but {} missing", *k.version,
                      k.has_node("/dev/nvidiactl") ? "/dev/nvidia0.. are" : "/dev/nvidiactl is"),
          "CUDA opens /dev/nvidiactl and /dev/nvidiaN; the driver creates them when "
          "nvidia-modprobe runs or udev is set up.",
          {"Create them: `sudo nvidia-modprobe -c 0 -u` (or run `sudo nvidia-smi` once).",
           "If they vanish again, check the udev rules of the driver package."});
    }
    return false;
  }
  if (!k.inaccessible_nodes.empty()) {
    ctx.add("device-permission-denied",
            "this user cannot open " + join(k.inaccessible_nodes) + " for reading and writing",
            "CUDA must open the device nodes read-write; without permission it fails as if there "
            "were no GPU.",
            {"Add the user to the group that owns the nodes (`ls -l /dev/nvidia*`; often `video` "
             "or `render`): `sudo usermod -aG video $USER`, then log in again.",
             "Or set the driver's module options NVreg_DeviceFileMode/NVreg_DeviceFileGID (see "
             "/etc/modprobe.d)."});
    return false;
  }
  ctx.add("kernel-driver-loaded",
          fmt::format("driver {} loaded; {}", *k.version, join(k.device_nodes, " ")));
  if (!k.has_node("/dev/nvidia-uvm")) {
    ctx.add(
        "uvm-node-missing", "/dev/nvidia-uvm does not exist",
        "CUDA needs the nvidia-uvm module for its memory manager; without it cuInit fails (often "
        "CUDA_ERROR_UNKNOWN = 999).",
        {"Load it: `sudo modprobe nvidia-uvm` and create the node: `sudo nvidia-modprobe -u -c 0`.",
         "To make it permanent, add nvidia-uvm to /etc/modules-load.d/."});
  }
  return true;
}

void check_environment(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const auto already = [&](std::string_view code) {
    return std::any_of(ctx.out.findings.begin(), ctx.out.findings.end(),
                       [&](const Finding& x) { return x.code == code; });
  };
  if (in_container(f) && !already("container-no-gpu-access")) {
    ctx.add("container-detected",
            fmt::format("inside a {} container ({})", name(f.environment.container),
                        f.environment.container_evidence));
  }
  if (f.environment.wsl && f.kernel.dxg_present && !already("wsl-linux-driver")) {
    ctx.add("wsl-ok", fmt::format("WSL 2 ({}); GPU bridge /dev/dxg present", f.environment.kernel));
  }
}

}  // namespace detail

const Finding* Diagnosis::first_blocker() const {
  for (const auto& f : findings) {
    if (f.severity == Severity::kBlocker) return &f;
  }
  return nullptr;
}

int Diagnosis::exit_code() const {
  if (gpu_usable) return 0;
  const Finding* blocker = first_blocker();
  if (blocker == nullptr) return diag::exit_code(ExitClass::kNoGpu);
  return diag::exit_code(finding_spec(blocker->code).exit_class);
}

Diagnosis diagnose(const Facts& facts, const CompatTables& tables) {
  using detail::VerdictContext;
  Diagnosis d;
  VerdictContext ctx{facts, tables, d};
  const auto after = [&](std::string_view what) {
    const Finding* b = d.first_blocker();
    return fmt::format("not checked: {}{}", what, b ? fmt::format(" ({})", b->code) : "");
  };

  const bool hardware = detail::check_hardware(ctx);
  bool kernel = false;
  if (!hardware) {
    ctx.skip(Stage::kKernelDriver, after("needs an NVIDIA GPU"));
  } else if (facts.environment.wsl) {
    ctx.skip(Stage::kKernelDriver, "WSL 2: the Windows driver plays the kernel driver's part");
    kernel = true;
  } else {
    kernel = detail::check_kernel_driver(ctx);
  }
  // What a skipped stage waited for: the earliest missing link of the chain.
  const auto missing = [&](bool need_kernel, bool need_user) {
    if (!hardware) return "needs an NVIDIA GPU";
    if (need_kernel && !kernel) return "needs the kernel driver";
    if (need_user) return "needs a working user-space driver";
    return "needs a visible GPU";
  };
  bool user = false;
  if (kernel) {
    user = detail::check_user_driver(ctx);
    detail::check_nvml(ctx);
  } else {
    ctx.skip(Stage::kUserDriver, after(missing(true, false)));
    ctx.skip(Stage::kNvml, after(missing(true, false)));
  }
  const bool build = detail::check_build(ctx);
  if (user && build) {
    detail::check_driver_runtime(ctx);
  } else {
    ctx.skip(Stage::kDriverRuntime, after(build ? missing(true, true) : "needs a CUDA build"));
  }
  const bool visible = user && detail::check_visibility(ctx);
  if (!user) ctx.skip(Stage::kVisibility, after(missing(true, true)));
  if (visible && build) {
    detail::check_architecture(ctx);
  } else {
    ctx.skip(Stage::kArchitecture, after(build ? missing(true, !user) : "needs a CUDA build"));
  }
  if (facts.build.cuda_built) {
    detail::check_libraries(ctx);
  } else {
    ctx.skip(Stage::kLibraries, "not checked: this build has no CUDA backend");
  }
  detail::check_live_probes(ctx);
  detail::check_environment(ctx);
  if (!facts.python.checked) {
    ctx.skip(Stage::kFrameworks,
             "not checked: run `ignis doctor --frameworks` to check PyTorch and TensorFlow");
  } else {
    detail::check_frameworks(ctx);
  }

  const Finding* blocker = d.first_blocker();
  d.gpu_usable = blocker == nullptr && visible && !facts.driver.devices.empty();
  if (d.gpu_usable) {
    const CudaDevice& dev = facts.driver.devices.front();
    d.verdict = fmt::format(
        "GPU ready: cuda:0 {} (compute capability {}.{}, {}; driver {}, CUDA {}){}", dev.name,
        dev.cc_major, dev.cc_minor, detail::gib(dev.total_memory), detail::driver_version(facts),
        detail::driver_cuda_version(facts).str(),
        facts.live.state == LiveProbeFacts::State::kPassed ? "; live probes passed" : "");
  } else if (blocker != nullptr) {
    d.verdict = "Training will run on the CPU: " + blocker->seen;
  } else {
    d.verdict = "Training will run on the CPU: no CUDA device is visible";
  }
  return d;
}

}  // namespace ignis::diag

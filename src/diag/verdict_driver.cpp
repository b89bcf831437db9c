// Verdict stages about the driver as CUDA uses it: libcuda, NVML, driver vs runtime, visibility.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "error_names.hpp"
#include "verdict_stages.hpp"

namespace ignis::diag::detail {

namespace {

const std::vector<std::string> kRebootFix = {
    "Reboot: the kernel module still loaded is the old one, the libraries on disk are the new "
    "ones.",
    "Without a reboot: stop every GPU process (`sudo lsof /dev/nvidia*`), then `sudo rmmod "
    "nvidia_uvm nvidia_drm nvidia_modeset nvidia && sudo modprobe nvidia nvidia_uvm`.",
    "Check with `nvidia-smi`: it fails with \"Driver/library version mismatch\" until the versions "
    "agree."};

/// The device count the hardware has, whatever CUDA_VISIBLE_DEVICES says (NVML ignores it).
int physical_gpu_count(const Facts& f) {
  if (!f.nvml.devices.empty()) return static_cast<int>(f.nvml.devices.size());
  return f.hardware.gpu_count();
}

/// CUDA_VISIBLE_DEVICES entries; CUDA stops at the first entry that names no device.
struct VisibleDevicesParse {
  std::vector<std::string> entries;
  int first_invalid = -1;  // index into entries
};

VisibleDevicesParse parse_visible_devices(const std::string& value, int physical) {
  VisibleDevicesParse out;
  std::size_t start = 0;
  while (start <= value.size()) {
    const std::size_t end = std::min(value.find(',', start), value.size());
    std::string entry = value.substr(start, end - start);
    entry.erase(
        std::remove_if(entry.begin(), entry.end(), [](unsigned char c) { return std::isspace(c); }),
        entry.end());
    if (!entry.empty() || end < value.size()) out.entries.push_back(entry);
    start = end + 1;
  }
  for (std::size_t i = 0; i < out.entries.size(); ++i) {
    const std::string& e = out.entries[i];
    bool valid = false;
    if (e.starts_with("GPU-") || e.starts_with("MIG-")) {
      valid = true;  // UUIDs: checked by CUDA itself (the device list shows the outcome)
    } else if (!e.empty() &&
               std::all_of(e.begin(), e.end(), [](unsigned char c) { return std::isdigit(c); })) {
      valid = physical <= 0 || std::stoi(e) < physical;
    }
    if (!valid) {
      out.first_invalid = static_cast<int>(i);
      break;
    }
  }
  return out;
}

}  // namespace

bool check_user_driver(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const DriverApiFacts& d = f.driver;
  const std::string kernel_version = f.kernel.version.value_or("");
  if (!d.library.loaded) {
    std::vector<std::string> fix;
    if (f.environment.wsl) {
      fix = {
          "WSL's libcuda lives in /usr/lib/wsl/lib: make sure it is on the loader's path "
          "(`ldconfig -p | grep libcuda`; WSL adds /etc/ld.so.conf.d/ld.wsl.conf).",
          "Update the Windows NVIDIA driver; do not install a Linux driver inside WSL."};
    } else {
      fix = {
          fmt::format("Install the user-space part of the driver that matches the kernel module{}: "
                      "e.g. `sudo apt install libnvidia-compute-{}` (Ubuntu) or "
                      "`nvidia-cuda-mdev`/`libcuda1` (Debian).",
                      kernel_version.empty() ? "" : " " + kernel_version,
                      kernel_version.empty() ? "<branch>"
                                             : kernel_version.substr(0, kernel_version.find('.'))),
          "If it is installed in a non-standard folder, add that folder to /etc/ld.so.conf.d/ and "
          "run `sudo ldconfig`.",
          "Inside a container, the NVIDIA Container Toolkit mounts libcuda from the host: start it "
          "with `--gpus all`."};
    }
    ctx.add("libcuda-missing",
            fmt::format("dlopen(\"{}\") failed: {}", d.library.requested, d.library.error),
            "libcuda.so.1 is the user-space half of the driver; the CUDA runtime loads it at "
            "start-up and stops without it.",
            fix);
    return false;
  }
  if (d.is_stub) {
    const auto stubs = stub_dirs_on_library_path(f);
    std::vector<std::string> fix;
    if (!stubs.empty())
      fix.push_back("Remove " + join(stubs) +
                    " from LD_LIBRARY_PATH: the stubs folder is for linking at build time only.");
    fix.push_back(
        "Find the real driver library: `ldconfig -p | grep libcuda.so.1` should point into the "
        "driver's folder (e.g. /usr/lib/x86_64-linux-gnu), never into a CUDA toolkit.");
    fix.push_back(
        "If only the stub exists, the driver's user-space part is not installed: install the "
        "NVIDIA driver (see no-kernel-driver).");
    ctx.add(
        "stub-libcuda",
        fmt::format("{} was loaded from {}{} and cuInit returned {}", d.library.requested,
                    d.library.path,
                    d.library.real_path != d.library.path ? " (" + d.library.real_path + ")" : "",
                    d.init_result ? cuda_result(*d.init_result) : "nothing"),
        "The toolkit's stub libcuda only satisfies the linker; every call returns "
        "CUDA_ERROR_STUB_LIBRARY, so CUDA finds no driver.",
        fix);
    return false;
  }
  if (f.environment.wsl && d.library.real_path.find("/usr/lib/wsl/") == std::string::npos) {
    ctx.add(
        "wsl-linux-driver",
        fmt::format("WSL loaded libcuda from {} instead of /usr/lib/wsl/lib", d.library.real_path),
        "Under WSL 2 only the Windows driver's libcuda (mounted at /usr/lib/wsl/lib) can reach the "
        "GPU; a Linux driver's libcuda cannot.",
        {"Remove the Linux NVIDIA driver packages from the WSL distribution (`sudo apt remove "
         "--purge '*nvidia*'` keeps the CUDA toolkit if installed as cuda-toolkit-*).",
         "Make /usr/lib/wsl/lib come first: `ldconfig -p | grep libcuda` should list it."});
    return false;
  }
  const bool mismatch =
      (!d.file_version.empty() && !kernel_version.empty() && d.file_version != kernel_version) ||
      d.init_result == kCudaErrorSystemDriverMismatch;
  if (mismatch) {
    ctx.add("driver-version-mismatch",
            fmt::format(
                "libcuda {} ({}) does not match the loaded kernel module {}; cuInit returned {}",
                d.file_version.empty() ? "?" : d.file_version, d.library.real_path,
                kernel_version.empty() ? "?" : kernel_version,
                d.init_result ? cuda_result(*d.init_result) : "nothing"),
            "The user-space driver and the kernel module must come from the same driver release; "
            "after an upgrade the old module stays loaded until a reboot.",
            kRebootFix);
    return false;
  }
  const bool hidden_by_env = f.environment.cuda_visible_devices.has_value();
  if (d.init_result && *d.init_result == kCudaErrorNoDevice) {
    if (hidden_by_env) return true;  // the visibility stage names CUDA_VISIBLE_DEVICES
    ctx.add("no-cuda-device",
            fmt::format("cuInit returned {}: the driver offers no device to CUDA",
                        cuda_result(*d.init_result)),
            "The driver runs but offers no device to CUDA: typical when the GPU is in a bad state "
            "or reserved (vGPU without a licence, MIG without instances).",
            {"Look at `nvidia-smi` and `dmesg | grep -i -e nvrm -e xid` for errors.",
             "Reset or reboot; with MIG, create instances (`sudo nvidia-smi mig -cgi ... -C`)."});
    return false;
  }
  if (!d.init_result || *d.init_result != kCudaSuccess) {
    std::vector<std::string> fix = {
        "`dmesg | grep -i -e nvrm -e xid` shows the kernel's side of the failure."};
    if (!f.kernel.has_node("/dev/nvidia-uvm"))
      fix.insert(fix.begin(),
                 "Load nvidia-uvm (see uvm-node-missing): `sudo modprobe nvidia-uvm && sudo "
                 "nvidia-modprobe -u -c 0`.");
    if (d.init_result == kCudaErrorCompatNotSupportedOnDevice) {
      fix.insert(fix.begin(),
                 "A CUDA forward-compatibility libcuda (cuda-compat) is loaded on a GPU that does "
                 "not support it: remove its folder from LD_LIBRARY_PATH.");
    }
    fix.push_back("Reboot if the GPU fell off the bus or the driver was upgraded.");
    ctx.add(
        "cuinit-failed",
        fmt::format("cuInit(0) returned {} (libcuda from {})",
                    d.init_result ? cuda_result(*d.init_result) : "nothing: the symbol is missing",
                    d.library.path),
        "cuInit is the first call of every CUDA program; when it fails nothing else can run.", fix);
    return false;
  }
  if (d.devices.empty()) {
    if (hidden_by_env) return true;
    ctx.add("no-cuda-device", "cuInit succeeded but cuDeviceGetCount reports 0 devices",
            "The driver runs but offers no device to CUDA.",
            {"Look at `nvidia-smi` and `dmesg | grep -i -e nvrm -e xid`.",
             "With MIG enabled, create GPU instances or name one in CUDA_VISIBLE_DEVICES."});
    return false;
  }
  ctx.add("libcuda-ok",
          fmt::format("{} loaded from {}; cuInit ok; driver supports CUDA {}", d.library.requested,
                      d.library.real_path,
                      d.driver_version ? cuda_version_string(*d.driver_version) : "?"));
  return true;
}

void check_nvml(VerdictContext& ctx) {
  const NvmlFacts& n = ctx.facts.nvml;
  if (!n.library.loaded) {
    ctx.add("nvml-missing",
            fmt::format("dlopen(\"{}\") failed: {}", n.library.requested, n.library.error),
            "NVML is how ignis (and nvidia-smi) reads the driver version, memory use and "
            "utilisation; CUDA itself does not need it.",
            {"Install the driver's NVML library (`libnvidia-ml1` on Debian, part of "
             "`libnvidia-compute-<branch>` on Ubuntu)."});
    return;
  }
  if (n.init_result == kNvmlErrorLibRmVersionMismatch) {
    ctx.add("nvml-driver-mismatch",
            fmt::format("nvmlInit returned 18 ({}): \"{}\" (NVML from {}, kernel module {})",
                        nvml_error_name(18), n.init_error, n.library.real_path,
                        ctx.facts.kernel.version.value_or("?")),
            "The driver's libraries were upgraded but the old kernel module is still loaded; CUDA "
            "fails the same way.",
            kRebootFix);
    return;
  }
  if (!n.init_result || *n.init_result != kNvmlSuccess) {
    ctx.add("nvml-failed",
            fmt::format("nvmlInit returned {} ({}: {})", n.init_result.value_or(-1),
                        nvml_error_name(n.init_result.value_or(-1)), n.init_error),
            "Without NVML there are no memory or utilisation figures; the error often names the "
            "real problem.",
            {"Run `nvidia-smi`: it reports the same error with more context.",
             n.init_result == kNvmlErrorNoPermission
                 ? "Permission: add the user to the group owning /dev/nvidia*."
                 : "Check `dmesg | grep -i nvrm`."});
    return;
  }
  ctx.add("nvml-ok",
          fmt::format("driver {}, CUDA Version {} (the highest this driver supports), {} device(s)",
                      n.driver_version,
                      n.cuda_driver_version ? cuda_version_string(*n.cuda_driver_version) : "?",
                      n.devices.size()));
}

bool check_driver_runtime(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const Version runtime = Version::parse(f.build.toolkit_version);
  const Version driver_cuda = driver_cuda_version(f);
  const Version driver = Version::parse(driver_version(f));
  const auto family_min = ctx.tables.family_min_driver(runtime.major());
  const auto toolkit_driver = ctx.tables.toolkit_driver(runtime);
  const std::string runtime_mm = fmt::format("{}.{}", runtime.major(), runtime.minor());
  if (runtime.empty() || driver_cuda.empty()) {
    ctx.skip(Stage::kDriverRuntime, "not checked: the driver did not report its CUDA version");
    return true;
  }
  const bool too_old = driver_cuda.major() < runtime.major() ||
                       (family_min && !driver.empty() && driver < *family_min);
  if (too_old) {
    const std::string needed =
        toolkit_driver ? toolkit_driver->str() : (family_min ? family_min->str() : "a newer one");
    const auto usable = ctx.tables.architectures_of(driver_cuda);
    ctx.add(
        "driver-too-old",
        fmt::format("driver {} supports up to CUDA {}, but this build uses the CUDA {} runtime{}",
                    driver.empty() ? "?" : driver.str(), driver_cuda.str(), runtime_mm,
                    family_min ? fmt::format(" (CUDA {}.x needs driver >= {})", runtime.major(),
                                             family_min->str())
                               : ""),
        "A CUDA runtime needs a driver of at least its own major version; with an older one every "
        "CUDA call fails with cudaErrorInsufficientDriver (35).",
        {fmt::format("Install NVIDIA driver {} or newer (the driver of CUDA {} GA; source: "
                     "NVIDIA's 'CUDA Toolkit and Corresponding Driver Versions'), e.g. `sudo "
                     "ubuntu-drivers install` or `sudo apt install nvidia-driver-{}`, then reboot.",
                     needed, runtime_mm, needed.substr(0, needed.find('.'))),
         fmt::format(
             "Or build ignis with a CUDA toolkit this driver supports (CUDA {} or older{}): `cmake "
             "-S . -B build -DCMAKE_CUDA_COMPILER=/usr/local/cuda-{}/bin/nvcc`.",
             driver_cuda.str(), usable ? "" : ", if one is installed", driver_cuda.str())});
    return false;
  }
  if (driver_cuda < Version::parse(runtime_mm)) {
    ctx.add(
        "driver-minor-compat",
        fmt::format("driver {} supports CUDA {}, older than this build's CUDA {} runtime; it runs "
                    "under minor version compatibility",
                    driver.empty() ? "?" : driver.str(), driver_cuda.str(), runtime_mm),
        "Within a major version an older driver runs newer runtimes, but PTX from the newer "
        "toolkit cannot be compiled (cudaErrorUnsupportedPtxVersion) and some new features fail.",
        {fmt::format("Update the driver to {} or newer to get every feature of CUDA {}.",
                     toolkit_driver ? toolkit_driver->str() : "the current one", runtime_mm)});
    return true;
  }
  ctx.add("driver-supports-runtime",
          fmt::format("driver {} supports CUDA {}; this build uses the CUDA {} runtime",
                      driver.empty() ? "?" : driver.str(), driver_cuda.str(), runtime_mm));
  return true;
}

bool check_visibility(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const int physical = physical_gpu_count(f);
  const auto& env = f.environment;
  const int visible = static_cast<int>(f.driver.devices.size());
  std::size_t mark = ctx.out.findings.size();
  if (env.cuda_visible_devices) {
    const auto parsed = parse_visible_devices(*env.cuda_visible_devices, physical);
    if (visible == 0) {
      ctx.add(
          "cuda-visible-devices-hides-all",
          fmt::format("CUDA_VISIBLE_DEVICES=\"{}\" hides every GPU: CUDA sees 0 of {}",
                      *env.cuda_visible_devices, physical),
          "CUDA shows a process only the devices CUDA_VISIBLE_DEVICES names; empty, -1 or an index "
          "that does not exist leaves none (cudaErrorNoDevice = 100).",
          {"Unset it (`unset CUDA_VISIBLE_DEVICES`) or name a device that exists: `export "
           "CUDA_VISIBLE_DEVICES=0` (indices 0.." +
               std::to_string(std::max(physical - 1, 0)) + ", or GPU UUIDs from `nvidia-smi -L`).",
           "Check where it is set: your shell profile, a job scheduler (Slurm sets it per job), or "
           "a container's environment."});
      return false;
    }
    if (parsed.first_invalid >= 0) {
      ctx.add("cuda-visible-devices-invalid-entry",
              fmt::format("CUDA_VISIBLE_DEVICES=\"{}\": entry \"{}\" names no device (this machine "
                          "has {}), so CUDA ignores it and all after it",
                          *env.cuda_visible_devices,
                          parsed.entries[static_cast<std::size_t>(parsed.first_invalid)], physical),
              "CUDA parses the list up to the first invalid entry; the devices named after it "
              "silently disappear.",
              {"List only existing devices: indices 0.." +
               std::to_string(std::max(physical - 1, 0)) + " or UUIDs from `nvidia-smi -L`."});
    }
  }
  // Per-device state from NVML, for the devices CUDA shows.
  const auto cuda_index = cuda_index_of_nvml_devices(f);
  int prohibited = 0, restricted = 0;
  std::vector<std::string> mig, full;
  // Without bus ids on either side the two lists cannot be matched: count every device.
  const bool unmapped =
      std::all_of(cuda_index.begin(), cuda_index.end(), [](int c) { return c < 0; });
  for (std::size_t i = 0; i < f.nvml.devices.size(); ++i) {
    const NvmlDevice& n = f.nvml.devices[i];
    if (cuda_index[i] < 0 && !unmapped) continue;  // hidden from CUDA
    if (n.compute_mode == NvmlDevice::ComputeMode::kProhibited) ++prohibited;
    if (n.compute_mode == NvmlDevice::ComputeMode::kExclusiveProcess ||
        n.compute_mode == NvmlDevice::ComputeMode::kExclusiveThread ||
        n.compute_mode == NvmlDevice::ComputeMode::kProhibited) {
      ++restricted;
    }
    if (n.mig_enabled) mig.push_back(fmt::format("{} ({})", n.index, n.name));
    if (n.memory_total && n.memory_used && *n.memory_total > 0 &&
        static_cast<double>(*n.memory_used) > 0.9 * static_cast<double>(*n.memory_total)) {
      full.push_back(fmt::format("{} ({}: {} of {} used by {} process(es))", n.index, n.name,
                                 gib(*n.memory_used), gib(*n.memory_total),
                                 n.compute_processes.value_or(0)));
    }
  }
  if (prohibited > 0 && prohibited >= visible) {
    ctx.add("compute-mode-prohibited",
            fmt::format("all {} visible GPU(s) are in compute mode Prohibited", visible),
            "In Prohibited mode no process may create a CUDA context on the GPU.",
            {"Set the default mode: `sudo nvidia-smi -i <index> -c DEFAULT` (an administrator may "
             "have set it on purpose).",
             "Or use another GPU: `export CUDA_VISIBLE_DEVICES=<index>`."});
    return false;
  }
  if (restricted > 0) {
    ctx.add("compute-mode-exclusive",
            fmt::format("{} GPU(s) in an exclusive or prohibited compute mode", restricted),
            "An exclusive-process GPU takes one CUDA process at a time; a second one gets "
            "cudaErrorDevicesUnavailable (46).",
            {"Stop other GPU processes (`nvidia-smi` lists them) or set `sudo nvidia-smi -c "
             "DEFAULT`."});
  }
  if (!mig.empty()) {
    ctx.add("mig-enabled", "MIG is enabled on GPU " + join(mig),
            "With MIG on, a CUDA process sees the MIG instances named in CUDA_VISIBLE_DEVICES "
            "(MIG-<uuid>), not the whole GPU.",
            {"List instances with `nvidia-smi -L` and set `CUDA_VISIBLE_DEVICES=MIG-<uuid>`.",
             "Or disable MIG: `sudo nvidia-smi -i <index> -mig 0` (needs a GPU reset)."});
  }
  if (!full.empty()) {
    ctx.add("gpu-memory-nearly-full", "GPU memory is nearly full on " + join(full),
            "Training allocates on top of what other processes hold; expect out-of-memory errors.",
            {"See who holds it: `nvidia-smi --query-compute-apps=pid,process_name,used_memory "
             "--format=csv`.",
             "Stop them or pick another GPU with CUDA_VISIBLE_DEVICES."});
  }
  // Order: CUDA numbers fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID; nvidia-smi by bus.
  bool differs = false;
  for (std::size_t i = 0; i < cuda_index.size(); ++i)
    differs = differs || (cuda_index[i] >= 0 && cuda_index[i] != static_cast<int>(i));
  if (f.nvml.devices.size() > 1 && differs && env.cuda_device_order.value_or("") != "PCI_BUS_ID") {
    std::vector<std::string> pairs;
    for (std::size_t i = 0; i < cuda_index.size(); ++i) {
      pairs.push_back(fmt::format("nvidia-smi {} = cuda:{}", i,
                                  cuda_index[i] >= 0 ? std::to_string(cuda_index[i]) : "hidden"));
    }
    ctx.add("device-order-differs",
            "CUDA's device numbers differ from nvidia-smi's: " + join(pairs),
            "CUDA orders devices fastest first (CUDA_DEVICE_ORDER=FASTEST_FIRST), nvidia-smi by "
            "PCI bus; cuda:0 may not be the GPU you picked in nvidia-smi.",
            {"`export CUDA_DEVICE_ORDER=PCI_BUS_ID` so that cuda:N is nvidia-smi's GPU N (also for "
             "CUDA_VISIBLE_DEVICES indices)."});
  }
  std::vector<std::string> shown;
  for (const auto& d : f.driver.devices) {
    shown.push_back(fmt::format("cuda:{} {} (compute capability {}.{}, {})", d.index, d.name,
                                d.cc_major, d.cc_minor, gib(d.total_memory)));
  }
  ctx.add("devices-visible", fmt::format("CUDA sees {} of {} GPU(s): {}", visible,
                                         std::max(physical, visible), join(shown)));
  return !ctx.blocked_since(mark);
}

}  // namespace ignis::diag::detail

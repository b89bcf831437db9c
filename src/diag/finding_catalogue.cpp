// The catalogue of findings: every code the doctor can report, its severity, its stage and, for
// blockers, the exit class. docs/doctor.md documents each one (a test keeps the two in step).
#include <fmt/format.h>

#include "ignis/core/error.hpp"
#include "ignis/diag/findings.hpp"

namespace ignis::diag {

namespace {

using S = Severity;
using St = Stage;
using X = ExitClass;

constexpr FindingSpec kCatalogue[] = {
    // 1. Hardware
    {"nvidia-gpu-present", S::kOk, St::kHardware, X::kNone,
     "NVIDIA GPUs are on the PCI bus (or exposed by WSL 2)"},
    {"no-nvidia-gpu", S::kBlocker, St::kHardware, X::kNoGpu,
     "no NVIDIA GPU: no PCI display controller with vendor 0x10de"},
    {"pci-unreadable", S::kWarning, St::kHardware, X::kNone,
     "/sys/bus/pci/devices cannot be listed; the hardware check relies on the driver alone"},
    // 2. Kernel driver
    {"kernel-driver-loaded", S::kOk, St::kKernelDriver, X::kNone,
     "the NVIDIA kernel module is loaded and its device nodes are usable"},
    {"no-kernel-driver", S::kBlocker, St::kKernelDriver, X::kDriver,
     "a GPU is present but the NVIDIA kernel module is not loaded"},
    {"nouveau-driver", S::kBlocker, St::kKernelDriver, X::kDriver,
     "the open-source nouveau driver holds the GPU; CUDA needs NVIDIA's driver"},
    {"gpu-claimed-by-other-driver", S::kBlocker, St::kKernelDriver, X::kConfiguration,
     "the GPU is bound to another kernel driver (e.g. vfio-pci for a VM)"},
    {"device-nodes-missing", S::kBlocker, St::kKernelDriver, X::kDriver,
     "the kernel module is loaded but /dev/nvidiactl or /dev/nvidiaN is missing"},
    {"device-permission-denied", S::kBlocker, St::kKernelDriver, X::kConfiguration,
     "this user cannot open the /dev/nvidia* device nodes"},
    {"uvm-node-missing", S::kWarning, St::kKernelDriver, X::kNone,
     "/dev/nvidia-uvm is missing; CUDA initialisation fails until nvidia-uvm is loaded"},
    // 3. User-space driver
    {"libcuda-ok", S::kOk, St::kUserDriver, X::kNone,
     "libcuda.so.1 loads, cuInit succeeds and reports the driver's CUDA version"},
    {"libcuda-missing", S::kBlocker, St::kUserDriver, X::kDriver,
     "libcuda.so.1 (the user-space driver) cannot be loaded"},
    {"stub-libcuda", S::kBlocker, St::kUserDriver, X::kDriver,
     "the CUDA toolkit's stub libcuda is loaded instead of the driver's (CUDA_ERROR_STUB_LIBRARY = "
     "34)"},
    {"driver-version-mismatch", S::kBlocker, St::kUserDriver, X::kDriver,
     "libcuda and the loaded kernel module come from different driver versions"},
    {"cuinit-failed", S::kBlocker, St::kUserDriver, X::kDriver,
     "cuInit failed with the error code shown"},
    {"no-cuda-device", S::kBlocker, St::kUserDriver, X::kDriver,
     "the driver initialises but reports no CUDA device (CUDA_ERROR_NO_DEVICE = 100)"},
    // 4. NVML
    {"nvml-ok", S::kOk, St::kNvml, X::kNone, "NVML answers: driver version, devices, memory"},
    {"nvml-driver-mismatch", S::kBlocker, St::kNvml, X::kDriver,
     "NVML: Driver/library version mismatch (NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18), typical "
     "after a driver upgrade without reboot"},
    {"nvml-missing", S::kWarning, St::kNvml, X::kNone,
     "libnvidia-ml.so.1 cannot be loaded: no memory or utilisation figures, and nvidia-smi fails "
     "too"},
    {"nvml-failed", S::kWarning, St::kNvml, X::kNone, "nvmlInit failed with the error shown"},
    // 5. This build
    {"cuda-build-ok", S::kOk, St::kBuild, X::kNone,
     "ignis was built with CUDA for the architectures listed"},
    {"no-cuda-build", S::kBlocker, St::kBuild, X::kBuild, "ignis was built without CUDA"},
    {"plugin-ok", S::kOk, St::kBuild, X::kNone,
     "the CUDA backend plugin loaded and created a backend"},
    {"plugin-load-failed", S::kBlocker, St::kBuild, X::kBuild,
     "the CUDA backend plugin could not be loaded (dlerror text shown)"},
    {"plugin-declined", S::kBlocker, St::kBuild, X::kBuild,
     "the CUDA backend plugin loaded but declined to create a backend (its reason shown)"},
    // 6. Driver vs runtime
    {"driver-supports-runtime", S::kOk, St::kDriverRuntime, X::kNone,
     "the driver supports the CUDA runtime this build uses"},
    {"driver-too-old", S::kBlocker, St::kDriverRuntime, X::kDriver,
     "the driver is older than this build's CUDA runtime needs (cudaErrorInsufficientDriver = 35)"},
    {"driver-minor-compat", S::kWarning, St::kDriverRuntime, X::kNone,
     "the driver supports an older CUDA minor version than the runtime: it runs under minor "
     "version compatibility, without newer PTX"},
    // 7. Visibility
    {"devices-visible", S::kOk, St::kVisibility, X::kNone, "CUDA sees the devices listed"},
    {"cuda-visible-devices-hides-all", S::kBlocker, St::kVisibility, X::kConfiguration,
     "CUDA_VISIBLE_DEVICES hides every GPU (cudaErrorNoDevice = 100)"},
    {"cuda-visible-devices-invalid-entry", S::kWarning, St::kVisibility, X::kNone,
     "CUDA_VISIBLE_DEVICES has an entry that names no device; CUDA ignores it and every entry "
     "after it"},
    {"device-order-differs", S::kWarning, St::kVisibility, X::kNone,
     "CUDA numbers the GPUs differently from nvidia-smi (fastest first vs PCI bus order)"},
    {"compute-mode-prohibited", S::kBlocker, St::kVisibility, X::kConfiguration,
     "every visible GPU is in compute mode Prohibited"},
    {"compute-mode-exclusive", S::kWarning, St::kVisibility, X::kNone,
     "a GPU is in an exclusive or prohibited compute mode; a second process gets "
     "cudaErrorDevicesUnavailable (46)"},
    {"mig-enabled", S::kWarning, St::kVisibility, X::kNone,
     "MIG is enabled: CUDA sees only the MIG instances named in CUDA_VISIBLE_DEVICES"},
    {"gpu-memory-nearly-full", S::kWarning, St::kVisibility, X::kNone,
     "other processes use more than 90% of a GPU's memory"},
    // 8. Architecture
    {"arch-in-binary", S::kOk, St::kArchitecture, X::kNone,
     "the binary carries machine code for every visible GPU"},
    {"arch-ptx-jit", S::kWarning, St::kArchitecture, X::kNone,
     "a GPU runs only through PTX compiled at start-up (slow first run, needs a new enough "
     "driver)"},
    {"arch-not-in-binary", S::kBlocker, St::kArchitecture, X::kBuild,
     "no code in this binary runs on a GPU's architecture (cudaErrorNoKernelImageForDevice = 209)"},
    // 9. Libraries
    {"cuda-libraries-ok", S::kOk, St::kLibraries, X::kNone,
     "cudart, cuBLAS/cuBLASLt, cuDNN and NCCL load, with the versions shown"},
    {"cudart-missing", S::kBlocker, St::kLibraries, X::kBuild,
     "the CUDA runtime library of this build's toolkit cannot be loaded"},
    {"cublas-missing", S::kBlocker, St::kLibraries, X::kBuild,
     "cuBLAS/cuBLASLt cannot be loaded; GPU matrix products need it"},
    {"cudnn-missing", S::kWarning, St::kLibraries, X::kNone,
     "cuDNN cannot be loaded; GPU convolutions need it"},
    {"nccl-missing", S::kWarning, St::kLibraries, X::kNone,
     "NCCL cannot be loaded; only multi-GPU training needs it"},
    {"library-version-mismatch", S::kWarning, St::kLibraries, X::kNone,
     "a loaded CUDA library has another major version than this build expects"},
    // 10. Live probes
    {"live-probes-ok", S::kOk, St::kLiveProbes, X::kNone,
     "a kernel ran, a GEMM matched the CPU, copy bandwidth and GEMM rate measured"},
    {"live-probe-failed", S::kBlocker, St::kLiveProbes, X::kLiveProbe,
     "work on the GPU failed or gave a wrong result"},
    // 11. Environment
    {"container-detected", S::kOk, St::kEnvironment, X::kNone,
     "running inside a container (noted; GPU access is checked above)"},
    {"container-no-gpu-access", S::kBlocker, St::kEnvironment, X::kConfiguration,
     "inside a container that was started without GPU access (no /dev/nvidia*)"},
    {"wsl-ok", S::kOk, St::kEnvironment, X::kNone,
     "WSL 2 with the GPU exposed through /dev/dxg and the driver in /usr/lib/wsl/lib"},
    {"wsl-no-gpu-bridge", S::kBlocker, St::kEnvironment, X::kDriver,
     "WSL without /dev/dxg: WSL 1, or a Windows driver without WSL 2 GPU support"},
    {"wsl-linux-driver", S::kBlocker, St::kEnvironment, X::kDriver,
     "WSL loads a Linux NVIDIA driver's libcuda instead of the one in /usr/lib/wsl/lib"},
    // 12. Python frameworks
    {"python-not-found", S::kOk, St::kFrameworks, X::kNone,
     "no Python interpreter was found, `python3` is not on PATH, or an interpreter cannot be "
     "started"},
    {"framework-not-installed", S::kOk, St::kFrameworks, X::kNone,
     "the framework is not installed for the interpreter `python3` runs (or --python's)"},
    {"framework-check-failed", S::kWarning, St::kFrameworks, X::kNone,
     "importing the framework failed or timed out (the error shown)"},
    {"torch-ok", S::kOk, St::kFrameworks, X::kNone, "PyTorch is a CUDA build and sees the GPU"},
    {"torch-cpu-build", S::kWarning, St::kFrameworks, X::kNone,
     "PyTorch is a CPU-only build (torch.version.cuda is None, version ends in +cpu)"},
    {"torch-cuda-too-new", S::kWarning, St::kFrameworks, X::kNone,
     "PyTorch was built for a newer CUDA than the driver supports"},
    {"torch-arch-missing", S::kWarning, St::kFrameworks, X::kNone,
     "this PyTorch build carries no code for the GPU's architecture"},
    {"torch-no-gpu", S::kWarning, St::kFrameworks, X::kNone,
     "PyTorch is a CUDA build but torch.cuda.is_available() is False"},
    {"tensorflow-ok", S::kOk, St::kFrameworks, X::kNone,
     "TensorFlow is a CUDA build and lists the GPU"},
    {"tensorflow-cpu-build", S::kWarning, St::kFrameworks, X::kNone,
     "TensorFlow is built without CUDA"},
    {"tensorflow-no-gpu", S::kWarning, St::kFrameworks, X::kNone,
     "TensorFlow is a CUDA build but lists no GPU"},
    {"cuda-framework-in-other-python", S::kWarning, St::kFrameworks, X::kNone,
     "a CUDA build of the framework is installed for another interpreter than the one `python3` "
     "runs, which has none, a CPU-only build or a broken one"},
    {"cpu-framework-in-other-python", S::kWarning, St::kFrameworks, X::kNone,
     "the interpreter `python3` runs lacks the framework, and the only builds installed for other "
     "interpreters are CPU-only"},
};

}  // namespace

std::span<const FindingSpec> finding_catalogue() { return kCatalogue; }

const FindingSpec& finding_spec(std::string_view code) {
  for (const auto& spec : kCatalogue) {
    if (spec.code == code) return spec;
  }
  throw ValueError(fmt::format("[doctor] unknown finding code \"{}\"", code));
}

std::string_view name(Severity severity) {
  switch (severity) {
    case Severity::kOk:
      return "ok";
    case Severity::kWarning:
      return "warning";
    case Severity::kBlocker:
      return "blocker";
  }
  return "unknown";
}

std::string_view name(Stage stage) {
  switch (stage) {
    case Stage::kHardware:
      return "hardware";
    case Stage::kKernelDriver:
      return "kernel-driver";
    case Stage::kUserDriver:
      return "user-driver";
    case Stage::kNvml:
      return "nvml";
    case Stage::kBuild:
      return "build";
    case Stage::kDriverRuntime:
      return "driver-runtime";
    case Stage::kVisibility:
      return "visibility";
    case Stage::kArchitecture:
      return "architecture";
    case Stage::kLibraries:
      return "libraries";
    case Stage::kLiveProbes:
      return "live-probes";
    case Stage::kEnvironment:
      return "environment";
    case Stage::kFrameworks:
      return "frameworks";
  }
  return "unknown";
}

std::string_view title(Stage stage) {
  switch (stage) {
    case Stage::kHardware:
      return "Hardware";
    case Stage::kKernelDriver:
      return "Kernel driver";
    case Stage::kUserDriver:
      return "User-space driver (libcuda)";
    case Stage::kNvml:
      return "NVML";
    case Stage::kBuild:
      return "This build of ignis";
    case Stage::kDriverRuntime:
      return "Driver vs CUDA runtime";
    case Stage::kVisibility:
      return "Visibility";
    case Stage::kArchitecture:
      return "GPU architecture";
    case Stage::kLibraries:
      return "CUDA libraries";
    case Stage::kLiveProbes:
      return "Live probes";
    case Stage::kEnvironment:
      return "Environment";
    case Stage::kFrameworks:
      return "Python frameworks";
  }
  return "unknown";
}

int exit_code(ExitClass exit_class) {
  switch (exit_class) {
    case ExitClass::kNone:
      return 0;
    case ExitClass::kNoGpu:
      return 2;
    case ExitClass::kDriver:
      return 3;
    case ExitClass::kConfiguration:
      return 4;
    case ExitClass::kBuild:
      return 5;
    case ExitClass::kLiveProbe:
      return 6;
  }
  return 1;
}

std::string_view name(ExitClass exit_class) {
  switch (exit_class) {
    case ExitClass::kNone:
      return "none";
    case ExitClass::kNoGpu:
      return "no-gpu";
    case ExitClass::kDriver:
      return "driver";
    case ExitClass::kConfiguration:
      return "configuration";
    case ExitClass::kBuild:
      return "build";
    case ExitClass::kLiveProbe:
      return "live-probe";
  }
  return "unknown";
}

}  // namespace ignis::diag

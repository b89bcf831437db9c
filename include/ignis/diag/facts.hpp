#pragma once
// What the doctor observed about the GPU stack, each fact with how it was observed.
//
// Facts are plain data: the probes (probes.hpp) fill them from this machine, tests build them by
// hand, and the pure verdict function (findings.hpp) turns them into findings. A probe never
// throws: a file it cannot read or a library it cannot load is itself a fact.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ignis::diag {

/// How one fact was observed: the file read, the library loaded, the call made, ...
struct Observation {
  enum class Method { kFile, kDirectory, kDlopen, kCall, kEnvironment, kBuild, kSubprocess };
  Method method = Method::kFile;
  std::string subject;  // "/proc/driver/nvidia/version", "libcuda.so.1", "cuInit(0)"
  std::string result;   // "NVRM version: ... 550.54.14", "not found", "0 (CUDA_SUCCESS)"
};
std::string name(Observation::Method method);  // "file", "dlopen", ...

/// One dlopen attempt: the name asked for and, when it loaded, the file it came from.
struct LibraryLoad {
  std::string requested;  // "libcuda.so.1"
  bool loaded = false;
  std::string path;       // as the dynamic loader found it (dlinfo), e.g. /usr/lib/.../libcuda.so.1
  std::string real_path;  // symlinks resolved, e.g. /usr/lib/.../libcuda.so.550.54.14
  std::string error;      // dlerror() text when not loaded
};

/// A PCI function of vendor 0x10de (NVIDIA) under /sys/bus/pci/devices.
struct PciDevice {
  std::string address;  // "0000:65:00.0"
  std::uint32_t device_id = 0;
  std::uint32_t class_code = 0;  // 0x030000 VGA, 0x030200 3D controller, 0x040300 audio, ...
  std::string driver;  // the kernel driver bound to it: "nvidia", "nouveau", "vfio-pci", ""
  bool is_gpu() const { return (class_code >> 16) == 0x03; }  // display controller class
};

struct HardwareFacts {
  bool pci_readable = false;      // /sys/bus/pci/devices could be listed
  std::vector<PciDevice> nvidia;  // every NVIDIA function (GPUs, their audio, NVSwitches)
  std::vector<Observation> observations;
  int gpu_count() const;
};

struct KernelDriverFacts {
  std::optional<std::string> version;           // "550.54.14" from /proc/driver/nvidia/version
  std::string version_line;                     // that file's first line
  std::vector<std::string> device_nodes;        // /dev/nvidia* that exist ("/dev/nvidiactl", ...)
  std::vector<std::string> inaccessible_nodes;  // of those, the ones this user cannot open rw
  bool nouveau_loaded = false;                  // /sys/module/nouveau exists
  bool dxg_present = false;                     // /dev/dxg: WSL 2's GPU paravirtualisation
  std::vector<Observation> observations;
  bool has_node(const std::string& node) const;  // node as "/dev/nvidiactl"
  int gpu_node_count() const;                    // /dev/nvidia0, /dev/nvidia1, ...
};

/// A device as the CUDA driver API reports it (in CUDA's order).
struct CudaDevice {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  std::uint64_t total_memory = 0;  // bytes
  std::string pci_bus_id;          // "0000:65:00.0"
};

/// libcuda.so.1: the user-space driver. Calls are made through dlsym, never linked.
struct DriverApiFacts {
  LibraryLoad library;
  bool is_stub = false;               // the toolkit's stubs/libcuda.so (or cuInit said 34)
  std::optional<int> init_result;     // cuInit(0)
  std::optional<int> driver_version;  // cuDriverGetVersion: 12040 = CUDA 12.4
  std::optional<int> device_count_result;
  std::vector<CudaDevice> devices;
  std::string file_version;  // "550.54.14" from libcuda.so.550.54.14, when named so
  std::vector<Observation> observations;
};

/// A device as NVML reports it (in nvidia-smi's order, by PCI bus).
struct NvmlDevice {
  int index = 0;
  std::string name;
  std::string pci_bus_id;                                  // "00000000:65:00.0"
  std::optional<std::uint64_t> memory_total, memory_used;  // bytes
  std::optional<unsigned> utilization_gpu;                 // percent
  std::optional<int> cc_major, cc_minor;
  enum class ComputeMode { kUnknown, kDefault, kExclusiveThread, kProhibited, kExclusiveProcess };
  ComputeMode compute_mode = ComputeMode::kUnknown;
  bool mig_enabled = false;
  std::optional<unsigned> compute_processes;  // other processes using it now
};

struct NvmlFacts {
  LibraryLoad library;
  std::optional<int> init_result;          // nvmlInit_v2: 0, 9 (driver not loaded), 18 (mismatch)
  std::string init_error;                  // nvmlErrorString of it
  std::string driver_version;              // "550.54.14"
  std::optional<int> cuda_driver_version;  // 12040: what nvidia-smi prints as "CUDA Version"
  std::vector<NvmlDevice> devices;
  std::vector<Observation> observations;
};

/// A CUDA library loaded the way the CUDA backend would load it.
struct CudaLibraryFacts {
  std::string name;  // "cudart", "cublas", "cublasLt", "cudnn", "nccl"
  LibraryLoad library;
  std::string version;  // "13.0", "9.19.0", ... from the library's own version call
  std::vector<Observation> observations;
};

/// This build of ignis (the generated build_info.hpp).
struct BuildFacts {
  bool cuda_built = false;
  std::string not_built_reason;
  std::string toolkit_version;              // "13.0.88"
  std::vector<std::string> architectures;   // CMake's list: "75-real", ..., "121" (real + PTX)
  std::string cudnn_version, nccl_version;  // found at configure time
  bool have_cublas = false;
  std::vector<Observation> observations;
};

/// The CUDA backend plugin's load result (backend/cuda_plugin.hpp).
struct PluginFacts {
  enum class State { kNotBuilt, kLoadFailed, kDeclined, kLoaded };
  State state = State::kNotBuilt;
  std::string path;
  std::string reason;  // dlerror text, or the plugin's own reason for declining
  std::vector<Observation> observations;
};

struct EnvironmentFacts {
  std::optional<std::string> cuda_visible_devices;  // unset vs "" matter differently
  std::optional<std::string> cuda_device_order;
  std::optional<std::string> ld_library_path;
  enum class Container { kNone, kDocker, kPodman, kKubernetes, kOther };
  Container container = Container::kNone;
  std::string container_evidence;  // "/.dockerenv exists", "cgroup: /kubepods/...", ...
  bool wsl = false;                // /proc/version mentions Microsoft
  std::string kernel;              // /proc/version
  std::vector<Observation> observations;
};
std::string name(EnvironmentFacts::Container container);

/// Probes that run work on the GPU (live_probes.hpp); only with a usable CUDA backend.
struct LiveProbeFacts {
  enum class State { kNotRun, kPassed, kFailed };
  State state = State::kNotRun;
  std::string device;                    // "cuda:0"
  std::string reason;                    // why not run, or what failed
  bool kernel_ok = false;                // a fill + reduction gave the expected value
  std::optional<double> gemm_max_error;  // |device - float64 reference| / (1 + |reference|)
  std::optional<double> h2d_gbps, d2h_gbps, gemm_tflops;
  std::vector<Observation> observations;
};

/// A Python framework checked through one interpreter (`--frameworks`).
struct FrameworkFacts {
  std::string name;  // "torch", "tensorflow"
  enum class State { kNotChecked, kNoPython, kNotInstalled, kImportFailed, kTimedOut, kChecked };
  State state = State::kNotChecked;
  std::string version;  // "2.5.1+cu124"
  std::optional<std::string>
      cuda;  // torch.version.cuda / build_info cuda_version; nullopt = CPU build
  std::string cudnn;
  bool built_with_cuda = false;
  bool gpu_available = false;  // torch.cuda.is_available() / GPUs listed by TensorFlow
  int device_count = 0;
  std::vector<std::string> arch_list;  // torch.cuda.get_arch_list(): "sm_75", ...
  std::string error;                   // last line of the traceback, or why it was not checked
  std::vector<Observation> observations;
  /// Checked and carrying GPU code: torch with a CUDA version (not "+cpu"), TensorFlow built
  /// with CUDA.
  bool is_cuda_build() const;
  /// Present for this interpreter, working or not (not "not installed", not "no interpreter").
  bool is_installed() const;
};
std::string framework_title(const std::string& name);  // "torch" -> "PyTorch"

/// Where the interpreter search found an interpreter; one interpreter can be found several ways.
struct PythonSource {
  enum class Kind {
    kPath,         // a name on PATH: "python3", "python"
    kSystem,       // a fixed system path: "/usr/bin/python3"
    kVirtualEnv,   // the active virtual environment ($VIRTUAL_ENV)
    kCondaPrefix,  // the active conda environment ($CONDA_PREFIX)
    kPyenv,        // a pyenv version (name = the version)
    kConda,        // a conda environment (name = its name, "base" for the root)
    kJupyter,      // a Jupyter kernel's argv[0] (name = its display name)
    kChosen,       // named by --python
  };
  Kind kind = Kind::kPath;
  std::string name;  // "python3", "/usr/bin/python3", "3.11.7", "ml", "Python 3 (ml)", ...
  std::string path;  // the environment's folder (venv, conda env, pyenv version); else empty
};
std::string name(PythonSource::Kind kind);         // "path", "system", "virtualenv", ...
std::string describe(const PythonSource& source);  // "`python3` on PATH", "conda env ml", ...

/// One Python interpreter and the frameworks installed for it.
struct PythonFacts {
  std::string command;  // what the doctor ran: an absolute path, or a name looked up on PATH
  std::vector<PythonSource> found_as;  // the first is how it was found first
  // As the interpreter itself reported them (empty when it never answered):
  std::string executable;           // sys.executable ("/root/.pyenv/versions/3.11.7/bin/python3")
  std::string real_executable;      // the same with symlinks resolved
  std::string prefix;               // sys.prefix: a venv or conda env is told apart by it
  std::string version;              // "3.11.7"
  bool externally_managed = false;  // PEP 668: pip refuses to install into it (Debian's python3)
  /// The interpreter a user runs by default: what `python3` on PATH runs, or the one named by
  /// --python. At most one per search.
  bool primary = false;
  std::vector<FrameworkFacts> frameworks;  // torch, then tensorflow
  /// How messages name it: "`python3`" for PATH's python3, else the executable (or command).
  std::string label() const;
  /// The exact path to type in a command (`<path> -m pip install ...`).
  std::string path() const;
  const FrameworkFacts* framework(const std::string& name) const;
};

/// The Python side of `--frameworks`: every interpreter found, each with its frameworks.
struct PythonFrameworkFacts {
  bool checked = false;                   // --frameworks was asked for
  std::vector<PythonFacts> interpreters;  // the primary one first, then in search order
  std::vector<Observation> observations;  // the search: variables read, folders listed, conda
  const PythonFacts* primary() const;
};

struct Facts {
  HardwareFacts hardware;
  KernelDriverFacts kernel;
  DriverApiFacts driver;
  NvmlFacts nvml;
  BuildFacts build;
  PluginFacts plugin;
  std::vector<CudaLibraryFacts> libraries;
  EnvironmentFacts environment;
  LiveProbeFacts live;
  PythonFrameworkFacts python;  // not checked unless asked for (--frameworks)

  const CudaLibraryFacts* library(const std::string& name) const;
};

}  // namespace ignis::diag

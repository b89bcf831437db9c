// Verdict stages about software: this build and its plugin, the GPU architectures it carries,
// the CUDA libraries, the live probes and the Python frameworks.
#include <fmt/format.h>

#include <algorithm>

#include "verdict_stages.hpp"

namespace ignis::diag::detail {

namespace {

/// The code a binary (or a PyTorch build) carries: SASS per compute capability, PTX for some.
struct CodeSet {
  std::vector<Version> sass, ptx;
};

Version cc_of_number(const std::string& digits) {  // "75" -> 7.5, "121" -> 12.1
  const int n = std::atoi(digits.c_str());
  return Version::parse(fmt::format("{}.{}", n / 10, n % 10));
}

/// CMake's CUDA_ARCHITECTURES: "75-real" (SASS), "90-virtual" (PTX), "121" (both).
CodeSet code_of_build(const std::vector<std::string>& archs) {
  CodeSet out;
  for (const auto& a : archs) {
    std::string digits;
    for (char c : a) {
      if (!std::isdigit(static_cast<unsigned char>(c))) break;
      digits += c;
    }
    if (digits.empty()) continue;
    const Version cc = cc_of_number(digits);
    if (!a.ends_with("-virtual")) out.sass.push_back(cc);
    if (!a.ends_with("-real")) out.ptx.push_back(cc);
  }
  return out;
}

/// torch.cuda.get_arch_list(): "sm_86" (SASS), "compute_90" (PTX).
CodeSet code_of_torch(const std::vector<std::string>& arch_list) {
  CodeSet out;
  for (const auto& a : arch_list) {
    if (a.starts_with("sm_")) out.sass.push_back(cc_of_number(a.substr(3)));
    if (a.starts_with("compute_")) out.ptx.push_back(cc_of_number(a.substr(8)));
  }
  return out;
}

enum class Runs { kSass, kPtx, kNo };

/// SASS for X.y runs on X.z with z >= y; PTX for P compiles for any cc >= P.
Runs runs_on(const CodeSet& code, const Version& cc) {
  for (const auto& s : code.sass) {
    if (s.major() == cc.major() && s.minor() <= cc.minor()) return Runs::kSass;
  }
  for (const auto& p : code.ptx) {
    if (p <= cc) return Runs::kPtx;
  }
  return Runs::kNo;
}

std::string sm_list(const CodeSet& code) {
  std::vector<std::string> out;
  for (const auto& s : code.sass) out.push_back(fmt::format("sm_{}{}", s.major(), s.minor()));
  for (const auto& p : code.ptx)
    out.push_back(fmt::format("compute_{}{} (PTX)", p.major(), p.minor()));
  return join(out, " ");
}

/// The compute capabilities of the GPUs present, from CUDA or else NVML.
std::vector<Version> device_ccs(const Facts& f) {
  std::vector<Version> out;
  for (const auto& d : f.driver.devices)
    out.push_back(Version::parse(fmt::format("{}.{}", d.cc_major, d.cc_minor)));
  if (out.empty()) {
    for (const auto& n : f.nvml.devices) {
      if (n.cc_major)
        out.push_back(Version::parse(fmt::format("{}.{}", *n.cc_major, n.cc_minor.value_or(0))));
    }
  }
  return out;
}

/// The PyTorch wheel index that fits this driver and these GPUs (newest first), if any.
const TorchBuild* fitting_torch_build(const VerdictContext& ctx) {
  const Version driver_cuda = driver_cuda_version(ctx.facts);
  const Version driver = Version::parse(driver_version(ctx.facts));
  for (const auto& b : ctx.tables.torch_builds()) {
    if (!driver_cuda.empty() && driver_cuda.major() < b.cuda.major()) continue;
    const auto min = ctx.tables.family_min_driver(b.cuda.major());
    if (min && !driver.empty() && driver < *min) continue;
    const CodeSet code{b.archs,
                       b.ptx.empty() ? std::vector<Version>{} : std::vector<Version>{b.ptx}};
    const auto ccs = device_ccs(ctx.facts);
    if (std::all_of(ccs.begin(), ccs.end(),
                    [&](const Version& cc) { return runs_on(code, cc) != Runs::kNo; }))
      return &b;
  }
  return nullptr;
}

std::string torch_install_step(const VerdictContext& ctx) {
  if (const TorchBuild* b = fitting_torch_build(ctx)) {
    return fmt::format(
        "Install the CUDA {} build, which fits this driver (CUDA {}) and GPU: `{}` (with "
        "--force-reinstall to replace the installed build).",
        b->cuda.str(),
        driver_cuda_version(ctx.facts).empty() ? "?" : driver_cuda_version(ctx.facts).str(),
        ctx.tables.torch_install_command(b->index));
  }
  return "No PyTorch CUDA build in ignis's table fits this driver and GPU: update the driver "
         "first, then pick a build at https://pytorch.org/get-started/locally/.";
}

}  // namespace

bool check_build(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  if (!f.build.cuda_built) {
    ctx.add(
        "no-cuda-build", "ignis was built without CUDA: " + f.build.not_built_reason,
        "Without the CUDA backend plugin ignis can only use the CPU, whatever the GPU and driver.",
        {"Install the CUDA toolkit (nvcc) — `scripts/gpu-deps` or NVIDIA's packages — so that "
         "/usr/local/cuda/bin/nvcc exists.",
         "Reconfigure and rebuild: `cmake -S . -B build -G Ninja -DIGNIS_CUDA=ON && ninja -C "
         "build` (ON fails loudly if nvcc is not found)."});
    return false;
  }
  ctx.add("cuda-build-ok", fmt::format("built with CUDA {} for {}", f.build.toolkit_version,
                                       sm_list(code_of_build(f.build.architectures))));
  const PluginFacts& p = f.plugin;
  switch (p.state) {
    case PluginFacts::State::kLoaded:
      ctx.add("plugin-ok", "CUDA backend plugin loaded from " + p.path);
      break;
    case PluginFacts::State::kNotBuilt:
    case PluginFacts::State::kLoadFailed:
      ctx.add("plugin-load-failed", p.reason,
              "ignis reaches the GPU only through this plugin; when it cannot be loaded every CUDA "
              "tensor request fails and training runs on the CPU.",
              {"If the message names a missing CUDA library (libcudart.so.N, libcublas.so.N), put "
               "the toolkit's library folder on the loader's path: `echo /usr/local/cuda/lib64 | "
               "sudo tee /etc/ld.so.conf.d/cuda.conf && sudo ldconfig`.",
               "If the plugin file itself is missing or from another build, rebuild ignis so "
               "libignis and libignis_cuda.so come from the same build (or point IGNIS_CUDA_PLUGIN "
               "at the right file)."});
      break;
    case PluginFacts::State::kDeclined:
      ctx.add("plugin-declined",
              fmt::format("the CUDA plugin {} loaded but declined: {}", p.path, p.reason),
              "ignis reaches the GPU only through this plugin; without a backend from it every "
              "CUDA tensor request fails and training runs on the CPU.",
              {"If the reason names the driver, a device or a library, the findings above say how "
               "to fix that.",
               "The plugin's reason ends with what to do (install the driver, remove the toolkit's "
               "stub libcuda from LD_LIBRARY_PATH, update the driver, check CUDA_VISIBLE_DEVICES)."});
      break;
  }
  return true;
}

void check_architecture(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const CodeSet code = code_of_build(f.build.architectures);
  const Version toolkit = Version::parse(f.build.toolkit_version);
  std::vector<std::string> missing, jit, fine;
  std::vector<std::string> fix;
  for (const auto& d : f.driver.devices) {
    const Version cc = Version::parse(fmt::format("{}.{}", d.cc_major, d.cc_minor));
    const std::string label = fmt::format("cuda:{} {} (sm_{}{}, {})", d.index, d.name, d.cc_major,
                                          d.cc_minor, ctx.tables.family_name(cc));
    switch (runs_on(code, cc)) {
      case Runs::kSass:
        fine.push_back(label);
        break;
      case Runs::kPtx:
        jit.push_back(label);
        break;
      case Runs::kNo: {
        missing.push_back(label);
        const auto range = ctx.tables.architectures_of(toolkit);
        if (range && cc < range->min_cc) {
          const auto newest = ctx.tables.newest_toolkit_for(cc);
          fix.push_back(fmt::format(
              "CUDA {}.{} cannot build for sm_{}{} (its oldest target is compute capability {}): "
              "install CUDA {} (the newest toolkit that still supports it) beside it and build "
              "ignis with it: `cmake -S . -B build-cuda{} "
              "-DCMAKE_CUDA_COMPILER=/usr/local/cuda-{}/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES={}{}`.",
              toolkit.major(), toolkit.minor(), d.cc_major, d.cc_minor, range->min_cc.str(),
              newest ? newest->str() : "12.x", newest ? newest->str() : "12",
              newest ? newest->str() : "12.x", d.cc_major, d.cc_minor));
          fix.push_back(
              "For PyTorch on this GPU use its CUDA 12.6 build, the last with Maxwell/Pascal/Volta "
              "support: `pip install torch --index-url https://download.pytorch.org/whl/cu126`.");
        } else {
          fix.push_back(
              fmt::format("Rebuild with this architecture: `cmake -S . -B build "
                          "-DCMAKE_CUDA_ARCHITECTURES=\"{}{};...\"`, or drop "
                          "-DCMAKE_CUDA_ARCHITECTURES so every architecture nvcc knows is built.",
                          d.cc_major, d.cc_minor));
        }
        break;
      }
    }
  }
  if (!missing.empty()) {
    ctx.add("arch-not-in-binary",
            fmt::format("this binary carries {} but not code for {}", sm_list(code), join(missing)),
            "A GPU runs SASS built for its own major architecture (same or lower minor) or PTX it "
            "can compile; with neither, every kernel launch fails with "
            "cudaErrorNoKernelImageForDevice (209).",
            fix);
    return;
  }
  if (!jit.empty()) {
    ctx.add("arch-ptx-jit",
            fmt::format("{} run only through PTX ({}) compiled by the driver at start-up",
                        join(jit), sm_list(code)),
            "PTX is compiled on first use: the first run is slow, and the driver must be at least "
            "as new as the toolkit that made the PTX.",
            {"Add the architecture to the build for native code: `-DCMAKE_CUDA_ARCHITECTURES=...` "
             "(or drop the option to build all).",
             "Keep the compiled kernels between runs: the driver's cache is ~/.nv/ComputeCache "
             "(raise CUDA_CACHE_MAXSIZE if it is evicted)."});
    return;
  }
  ctx.add("arch-in-binary", "machine code in this binary for " + join(fine));
}

void check_libraries(VerdictContext& ctx) {
  const Facts& f = ctx.facts;
  const Version toolkit = Version::parse(f.build.toolkit_version);
  const auto describe = [](const CudaLibraryFacts* l) {
    return fmt::format("{} {} ({})", l->name, l->version.empty() ? "?" : l->version,
                       l->library.real_path);
  };
  const auto missing = [&](const char* name) {
    const CudaLibraryFacts* l = f.library(name);
    return l == nullptr || !l->library.loaded;
  };
  const auto error_of = [&](const char* name) {
    const CudaLibraryFacts* l = f.library(name);
    return l ? fmt::format("dlopen(\"{}\") failed: {}", l->library.requested, l->library.error)
             : std::string(name) + " was not probed";
  };
  const std::string path_fix =
      "Put the CUDA toolkit's library folder on the loader's path: `echo /usr/local/cuda/lib64 | "
      "sudo tee /etc/ld.so.conf.d/cuda.conf && sudo ldconfig` (or add it to LD_LIBRARY_PATH).";
  const std::size_t mark = ctx.out.findings.size();
  if (missing("cudart")) {
    ctx.add("cudart-missing", error_of("cudart"),
            "The CUDA backend is built against this runtime; without it the plugin cannot load.",
            {fmt::format("Install the CUDA {} runtime (`cuda-cudart-{}-{}` from NVIDIA's "
                         "repository, or the toolkit).",
                         toolkit.str(), toolkit.major(), toolkit.minor()),
             path_fix});
  }
  if (missing("cublas") || missing("cublasLt")) {
    ctx.add("cublas-missing", error_of(missing("cublas") ? "cublas" : "cublasLt"),
            "Matrix products on the GPU (linear layers, attention) go through cuBLAS/cuBLASLt.",
            {fmt::format("Install cuBLAS for CUDA {} (`libcublas-{}-{}`).", toolkit.major(),
                         toolkit.major(), toolkit.minor()),
             path_fix});
  }
  if (missing("cudnn")) {
    ctx.add("cudnn-missing", error_of("cudnn"),
            "Convolutions on the GPU use cuDNN; models without convolutions do not need it.",
            {fmt::format("Install cuDNN {} for CUDA {} (`cudnn9-cuda-{}` from NVIDIA's repository, "
                         "or `pip install nvidia-cudnn-cu{}` and add its lib folder to the path).",
                         f.build.cudnn_version.empty() ? "9" : f.build.cudnn_version,
                         toolkit.major(), toolkit.major(), toolkit.major())});
  }
  if (missing("nccl")) {
    ctx.add(
        "nccl-missing", error_of("nccl"),
        "NCCL carries gradients between GPUs; one GPU does not need it.",
        {fmt::format("Install NCCL for CUDA {} (`libnccl2`, or `pip install nvidia-nccl-cu{}`).",
                     toolkit.major(), toolkit.major())});
  }
  std::vector<std::string> mismatched;
  const auto compare_major = [&](const char* name, const std::string& expected) {
    const CudaLibraryFacts* l = f.library(name);
    if (l == nullptr || !l->library.loaded || l->version.empty() || expected.empty()) return;
    if (Version::parse(l->version).major() != Version::parse(expected).major()) {
      mismatched.push_back(fmt::format("{} {} loaded, {} expected", name, l->version, expected));
    }
  };
  compare_major("cudart", f.build.toolkit_version);
  compare_major("cudnn", f.build.cudnn_version);
  compare_major("nccl", f.build.nccl_version);
  if (!mismatched.empty()) {
    ctx.add("library-version-mismatch", join(mismatched, "; "),
            "Libraries of another major version have another ABI; the backend may fail to load or "
            "pick up the wrong one.",
            {"Check which copy is found first: `ldconfig -p | grep -e cudart -e cudnn -e nccl` and "
             "LD_LIBRARY_PATH; keep one version per major on the path."});
  }
  if (ctx.out.findings.size() == mark) {
    std::vector<std::string> found;
    for (const char* name : {"cudart", "cublas", "cublasLt", "cudnn", "nccl"})
      found.push_back(describe(f.library(name)));
    ctx.add("cuda-libraries-ok", join(found, "; "));
  }
}

void check_live_probes(VerdictContext& ctx) {
  const LiveProbeFacts& l = ctx.facts.live;
  switch (l.state) {
    case LiveProbeFacts::State::kNotRun:
      ctx.skip(Stage::kLiveProbes,
               "not run: " +
                   (l.reason.empty() ? std::string("they need a usable CUDA backend") : l.reason));
      return;
    case LiveProbeFacts::State::kFailed:
      ctx.add("live-probe-failed", fmt::format("on {}: {}", l.device, l.reason),
              "The driver and the build look right, yet work on the GPU failed or came back wrong: "
              "the GPU, its driver or ignis's kernels are faulty.",
              {"Run `nvidia-smi -q -d ECC,PAGE_RETIREMENT` and `dmesg | grep -i xid` for hardware "
               "errors.",
               "Run the test suite on the GPU (`scripts/gpu-check`) and report the failure with "
               "`ignis doctor --json`."});
      return;
    case LiveProbeFacts::State::kPassed:
      ctx.add("live-probes-ok",
              fmt::format("on {}: kernel ok; GEMM max error {:.2e} vs float64; copies {:.1f} GB/s "
                          "host->device, {:.1f} GB/s device->host; GEMM {:.2f} TFLOP/s",
                          l.device, l.gemm_max_error.value_or(0), l.h2d_gbps.value_or(0),
                          l.d2h_gbps.value_or(0), l.gemm_tflops.value_or(0)));
      return;
  }
}

void check_frameworks(VerdictContext& ctx) {
  const Version driver_cuda = driver_cuda_version(ctx.facts);
  const auto ccs = device_ccs(ctx.facts);
  bool python_reported = false;
  for (const FrameworkFacts& fw : ctx.facts.frameworks) {
    const std::string label = fw.name == "torch" ? "PyTorch" : "TensorFlow";
    switch (fw.state) {
      case FrameworkFacts::State::kNotChecked:
        continue;
      case FrameworkFacts::State::kNoPython:
        if (!python_reported) ctx.add("python-not-found", "python3 not found: " + fw.error);
        python_reported = true;
        continue;
      case FrameworkFacts::State::kNotInstalled:
        ctx.add("framework-not-installed", label + " is not installed for python3");
        continue;
      case FrameworkFacts::State::kImportFailed:
      case FrameworkFacts::State::kTimedOut:
        ctx.add("framework-check-failed", fmt::format("checking {}: {}", label, fw.error),
                "The framework is installed but could not be imported, so whether it can use the "
                "GPU is unknown.",
                {fmt::format("Run `python3 -c 'import {}'` to see the full error; a missing "
                             "libcudnn/libcublas usually means a CUDA package of another version.",
                             fw.name)});
        continue;
      case FrameworkFacts::State::kChecked:
        break;
    }
    if (fw.name == "torch") {
      const Version torch_cuda = Version::parse(fw.cuda.value_or(""));
      if (!fw.cuda || fw.version.find("+cpu") != std::string::npos) {
        ctx.add("torch-cpu-build",
                fmt::format("torch {}: torch.version.cuda is None, a CPU-only build", fw.version),
                "A CPU-only wheel has no CUDA code at all: torch.cuda.is_available() is False on "
                "any machine. pip installs it when the default index has no CUDA build for the "
                "platform, or from the /whl/cpu index.",
                {torch_install_step(ctx)});
      } else if (!driver_cuda.empty() && torch_cuda.major() > driver_cuda.major()) {
        ctx.add("torch-cuda-too-new",
                fmt::format("torch {} is built for CUDA {}, but the driver supports only CUDA {}",
                            fw.version, *fw.cuda, driver_cuda.str()),
                "PyTorch bundles its CUDA runtime; a runtime of a newer major version than the "
                "driver fails, and torch.cuda.is_available() returns False.",
                {torch_install_step(ctx), "Or update the NVIDIA driver to one that supports CUDA " +
                                              torch_cuda.str() + " (see driver-too-old)."});
      } else if (!fw.arch_list.empty() && !ccs.empty() &&
                 std::any_of(ccs.begin(), ccs.end(), [&](const Version& cc) {
                   return runs_on(code_of_torch(fw.arch_list), cc) == Runs::kNo;
                 })) {
        ctx.add("torch-arch-missing",
                fmt::format("torch {} carries {} but not the GPU's compute capability {}",
                            fw.version, join(fw.arch_list, " "), ccs.front().str()),
                "Kernels for an architecture missing from the wheel fail with \"no kernel image is "
                "available for execution on the device\".",
                {torch_install_step(ctx)});
      } else if (!fw.gpu_available) {
        ctx.add(
            "torch-no-gpu",
            fmt::format("torch {} (CUDA {}) is a CUDA build but torch.cuda.is_available() is False",
                        fw.version, *fw.cuda),
            "PyTorch uses the same driver as ignis; the blockers above are usually the reason.",
            {"Fix the blockers above first.",
             "`python3 -c 'import torch; torch.cuda.init()'` prints PyTorch's own error."});
      } else {
        ctx.add("torch-ok",
                fmt::format("torch {} (CUDA {}, cuDNN {}) sees {} GPU(s)", fw.version, *fw.cuda,
                            fw.cudnn.empty() ? "?" : fw.cudnn, fw.device_count));
      }
    } else {
      const Version driver = Version::parse(driver_version(ctx.facts));
      if (!fw.built_with_cuda) {
        ctx.add(
            "tensorflow-cpu-build",
            fmt::format(
                "tensorflow {} is built without CUDA (tf.test.is_built_with_cuda() is False)",
                fw.version),
            "This TensorFlow package has no GPU code; on Linux the GPU build comes with the "
            "[and-cuda] extra, and native Windows lost GPU support after TF 2.10.",
            {fmt::format("On Linux: `{}` (needs driver >= {}).", ctx.tables.tensorflow_install(),
                         ctx.tables.tensorflow_min_driver().str()),
             "On Windows: use WSL 2 and install it there."});
      } else if (!fw.gpu_available) {
        std::vector<std::string> fix;
        if (!driver.empty() && driver < ctx.tables.tensorflow_min_driver()) {
          fix.push_back(fmt::format(
              "Update the NVIDIA driver to {} or newer (TensorFlow's CUDA {} build needs it).",
              ctx.tables.tensorflow_min_driver().str(), ctx.tables.tensorflow_cuda_major()));
        }
        fix.push_back(fmt::format("Install the CUDA libraries TensorFlow expects with it: `{}`.",
                                  ctx.tables.tensorflow_install()));
        fix.push_back(
            "`TF_CPP_MIN_LOG_LEVEL=0 python3 -c \"import tensorflow as tf; "
            "print(tf.config.list_physical_devices('GPU'))\"` names the library it could not "
            "load.");
        ctx.add("tensorflow-no-gpu",
                fmt::format("tensorflow {} (built for CUDA {}, cuDNN {}) lists no GPU", fw.version,
                            fw.cuda.value_or("?"), fw.cudnn.empty() ? "?" : fw.cudnn),
                "TensorFlow loads cuDNN and the CUDA libraries at start-up and silently falls back "
                "to the CPU when one is missing or the driver is too old.",
                fix);
      } else {
        ctx.add("tensorflow-ok", fmt::format("tensorflow {} (CUDA {}) lists {} GPU(s)", fw.version,
                                             fw.cuda.value_or("?"), fw.device_count));
      }
    }
  }
}

}  // namespace ignis::diag::detail

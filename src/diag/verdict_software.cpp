// Verdict stages about software: this build and its plugin, the GPU architectures it carries,
// the CUDA libraries and the live probes. (The Python frameworks: verdict_frameworks.cpp.)
#include <fmt/format.h>

#include <algorithm>

#include "verdict_stages.hpp"

namespace ignis::diag::detail {

namespace {

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

}  // namespace

CodeSet code_of_torch(const std::vector<std::string>& arch_list) {
  CodeSet out;
  for (const auto& a : arch_list) {
    if (a.starts_with("sm_")) out.sass.push_back(cc_of_number(a.substr(3)));
    if (a.starts_with("compute_")) out.ptx.push_back(cc_of_number(a.substr(8)));
  }
  return out;
}

Runs runs_on(const CodeSet& code, const Version& cc) {
  for (const auto& s : code.sass) {
    if (s.major() == cc.major() && s.minor() <= cc.minor()) return Runs::kSass;
  }
  for (const auto& p : code.ptx) {
    if (p <= cc) return Runs::kPtx;
  }
  return Runs::kNo;
}

namespace {

std::string sm_list(const CodeSet& code) {
  std::vector<std::string> out;
  for (const auto& s : code.sass) out.push_back(fmt::format("sm_{}{}", s.major(), s.minor()));
  for (const auto& p : code.ptx)
    out.push_back(fmt::format("compute_{}{} (PTX)", p.major(), p.minor()));
  return join(out, " ");
}

}  // namespace

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

}  // namespace ignis::diag::detail

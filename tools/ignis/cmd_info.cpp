// `ignis info`: what this build is and what this machine offers.
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/core/threads.hpp"
#include "ignis/diag/system_info.hpp"

namespace ignis::cli {

namespace {

/// "75-real 80-real 90" -> ["sm_75", "sm_80", "sm_90", "compute_90 (PTX)"].
std::vector<std::string> gpu_architectures() {
  std::vector<std::string> out;
  std::istringstream in(build_info::kCudaArchitectures);
  for (std::string a; in >> a;) {
    const bool real_only = a.ends_with("-real");
    const bool ptx_only = a.ends_with("-virtual");
    const std::string number = a.substr(0, a.find('-'));
    if (!ptx_only) out.push_back("sm_" + number);
    if (!real_only) out.push_back("compute_" + number + " (PTX)");
  }
  return out;
}

std::string mark(bool ok) { return ok ? "✓" : "✗"; }

nlohmann::json info_json() {
  const auto cpu = diag::cpu_info();
  const auto dnnl = diag::onednn_info();
  const auto cuda = diag::cuda_backend_status();
  const char* omp = std::getenv("OMP_NUM_THREADS");
  return {
      {"version", build_info::kVersion},
      {"build_type", build_info::kBuildType},
      {"compiler", build_info::kCompiler},
      {"sanitized", build_info::kSanitized},
      {"cuda",
       {{"built", cuda.built},
        {"not_built_reason", build_info::kCudaNotBuiltReason},
        {"toolkit", build_info::kCudaToolkitVersion},
        {"compiler", build_info::kCudaCompiler},
        {"architectures", gpu_architectures()},
        {"available", cuda.available},
        {"plugin", cuda.plugin_path},
        {"reason", cuda.reason}}},
      {"libraries",
       {{"cublas", build_info::kHaveCublas ? build_info::kCudaToolkitVersion : ""},
        {"cudnn", build_info::kCudnnVersion},
        {"nccl", build_info::kNcclVersion},
        {"onednn", dnnl.version},
        {"onednn_isa", dnnl.isa},
        {"fmt", build_info::kFmtVersion},
        {"nlohmann_json", build_info::kJsonVersion},
        {"cli11", build_info::kCli11Version},
        {"zlib", build_info::kZlibVersion}}},
      {"cpu",
       {{"model", cpu.model},
        {"logical_cores", cpu.logical_cores},
        {"features", cpu.features},
        {"threads", get_num_threads()},
        {"omp_num_threads", omp ? omp : ""}}},
  };
}

void print_info(const nlohmann::json& j) {
  const auto& cuda = j["cuda"];
  const auto& libs = j["libraries"];
  const auto& cpu = j["cpu"];
  fmt::print("ignis {} ({} build, {}{})\n\n", j["version"].get<std::string>(),
             j["build_type"].get<std::string>(), j["compiler"].get<std::string>(),
             j["sanitized"].get<bool>() ? ", ASan+UBSan" : "");

  fmt::print("Build\n");
  if (cuda["built"].get<bool>()) {
    std::vector<std::string> archs = cuda["architectures"];
    fmt::print("  {} CUDA backend     built with CUDA {}; GPU code for {}\n", mark(true),
               cuda["toolkit"].get<std::string>(), fmt::join(archs, " "));
  } else {
    fmt::print("  {} CUDA backend     not built: {}\n", mark(false), cuda["not_built_reason"].get<std::string>());
  }
  auto lib_line = [](const char* name, const std::string& version, const char* what) {
    fmt::print("  {} {:<16} {}{}\n", mark(!version.empty()), name, version.empty() ? "not found" : version,
               what);
  };
  lib_line("cuBLAS/cuBLASLt", libs["cublas"], "");
  lib_line("cuDNN", libs["cudnn"], "");
  lib_line("NCCL", libs["nccl"], "");
  lib_line("oneDNN", libs["onednn"], fmt::format(" (CPU GEMM; kernels for {})", libs["onednn_isa"].get<std::string>()).c_str());
  fmt::print("    fmt {}, nlohmann-json {}, CLI11 {}, zlib {}\n\n", libs["fmt"].get<std::string>(),
             libs["nlohmann_json"].get<std::string>(), libs["cli11"].get<std::string>(),
             libs["zlib"].get<std::string>());

  std::vector<std::string> features = cpu["features"];
  const std::string omp = cpu["omp_num_threads"];
  fmt::print("CPU\n");
  fmt::print("  model            {}\n", cpu["model"].get<std::string>());
  fmt::print("  logical cores    {}\n", cpu["logical_cores"].get<int>());
  fmt::print("  SIMD features    {}\n", features.empty() ? "(none detected)" : fmt::format("{}", fmt::join(features, " ")));
  fmt::print("  threads          {} ({})\n\n", cpu["threads"].get<int>(),
             omp.empty() ? "OMP_NUM_THREADS not set" : "OMP_NUM_THREADS=" + omp);

  fmt::print("Devices\n");
  fmt::print("  {} cpu\n", mark(true));
  if (cuda["available"].get<bool>()) {
    fmt::print("  {} cuda             plugin {}\n", mark(true), cuda["plugin"].get<std::string>());
  } else {
    fmt::print("  {} cuda             {}\n", mark(false), cuda["reason"].get<std::string>());
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show the build (CUDA, libraries, GPU architectures), the CPU and the devices");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the same facts as JSON");
  cmd->callback([json] {
    const auto j = info_json();
    if (*json) {
      fmt::print("{}\n", j.dump(2));
    } else {
      print_info(j);
    }
  });
}

}  // namespace ignis::cli

// `ignis info`: what this build is and what this machine offers.
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ignis/backend/cuda.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/core/threads.hpp"
#include "ignis/diag/probes.hpp"
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

/// The GPUs as nvidia-smi users expect them: NVML's order and figures, with CUDA's index beside
/// each; without NVML, what CUDA or the PCI bus shows. `summary` says why there are none.
nlohmann::json gpus_json() {
  diag::Facts f;
  f.hardware = diag::probe_hardware();
  f.kernel = diag::probe_kernel_driver();
  f.driver = diag::probe_driver_api();
  f.nvml = diag::probe_nvml();
  f.environment = diag::probe_environment();
  const auto cuda_index = diag::cuda_index_of_nvml_devices(f);
  nlohmann::json devices = nlohmann::json::array();
  bool order_differs = false;
  auto mib = [](std::optional<std::uint64_t> bytes) {
    return bytes ? nlohmann::json(*bytes >> 20) : nlohmann::json(nullptr);
  };
  if (!f.nvml.devices.empty()) {
    for (std::size_t i = 0; i < f.nvml.devices.size(); ++i) {
      const auto& d = f.nvml.devices[i];
      order_differs = order_differs || (cuda_index[i] >= 0 && cuda_index[i] != static_cast<int>(i));
      devices.push_back(
          {{"index", d.index},
           {"name", d.name},
           {"pci_bus_id", d.pci_bus_id},
           {"memory_used_mib", mib(d.memory_used)},
           {"memory_total_mib", mib(d.memory_total)},
           {"utilization_gpu", d.utilization_gpu ? nlohmann::json(*d.utilization_gpu) : nullptr},
           {"cuda_index", cuda_index[i] >= 0 ? nlohmann::json(cuda_index[i]) : nullptr}});
    }
  } else if (!f.driver.devices.empty()) {
    for (const auto& d : f.driver.devices) {
      devices.push_back({{"index", d.index},
                         {"name", d.name},
                         {"pci_bus_id", d.pci_bus_id},
                         {"memory_used_mib", nullptr},
                         {"memory_total_mib", d.total_memory >> 20},
                         {"utilization_gpu", nullptr},
                         {"cuda_index", d.index}});
    }
  } else {
    int index = 0;
    for (const auto& d : f.hardware.nvidia) {
      if (!d.is_gpu()) continue;
      devices.push_back(
          {{"index", index++},
           {"name", fmt::format("NVIDIA device 0x{:04x} (no driver answers)", d.device_id)},
           {"pci_bus_id", d.address},
           {"memory_used_mib", nullptr},
           {"memory_total_mib", nullptr},
           {"utilization_gpu", nullptr},
           {"cuda_index", nullptr}});
    }
  }
  std::string driver =
      f.nvml.driver_version.empty() ? f.kernel.version.value_or("") : f.nvml.driver_version;
  std::optional<int> cuda =
      f.nvml.cuda_driver_version ? f.nvml.cuda_driver_version : f.driver.driver_version;
  std::vector<std::string> why;
  if (devices.empty()) {
    why.push_back(f.hardware.gpu_count() == 0 ? "no NVIDIA GPU on the PCI bus"
                                              : "NVIDIA GPU present");
    why.push_back(f.kernel.version
                      ? "NVIDIA driver " + *f.kernel.version + " loaded"
                      : "no NVIDIA driver loaded (/proc/driver/nvidia/version absent)");
    why.push_back(f.driver.library.loaded ? "libcuda from " + f.driver.library.path
                                          : "libcuda.so.1 not found");
  } else if (!f.nvml.library.loaded || f.nvml.init_result.value_or(-1) != 0) {
    why.push_back(f.nvml.library.loaded
                      ? "NVML: " + f.nvml.init_error
                      : "NVML (libnvidia-ml.so.1) not found: no memory use or utilisation");
  }
  return {{"driver_version", driver.empty() ? nlohmann::json(nullptr) : nlohmann::json(driver)},
          {"cuda_driver_version",
           cuda ? nlohmann::json(diag::cuda_version_string(*cuda)) : nlohmann::json(nullptr)},
          {"devices", devices},
          {"cuda_order_differs",
           order_differs && f.environment.cuda_device_order.value_or("") != "PCI_BUS_ID"},
          {"summary", fmt::format("{}", fmt::join(why, "; "))}};
}

/// cuDNN as the CUDA plugin found it at load: the version is the library's own, kept even when
/// too old; null when none was loaded.
nlohmann::json cudnn_json() {
  const cuda::CudnnStatus s = cuda::cudnn_status();
  return {{"state", cuda::name(s.state)},
          {"version", s.version > 0 ? nlohmann::json(cuda::cudnn_version_text(s.version)) : nlohmann::json(nullptr)},
          {"message", s.message}};
}

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
        {"reason", cuda.reason},
        {"reason_kind", cuda.reason_kind},
        {"cudnn", cudnn_json()}}},
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
      {"gpus", gpus_json()},
  };
}

/// nvidia-smi's columns: index, name, bus id, memory use, utilisation; plus CUDA's index.
void print_gpus(const nlohmann::json& g) {
  const auto text_or = [](const nlohmann::json& v, const char* fallback) {
    return v.is_null() ? std::string(fallback) : v.get<std::string>();
  };
  fmt::print("\nGPUs (as nvidia-smi lists them)\n");
  if (g["devices"].empty()) {
    fmt::print("  {} none: {}\n", mark(false), g["summary"].get<std::string>());
    fmt::print("    `ignis doctor` explains what CUDA needs on this machine\n");
    return;
  }
  fmt::print("  Driver Version: {}   CUDA Version: {} (the highest CUDA this driver supports)\n",
             text_or(g["driver_version"], "?"), text_or(g["cuda_driver_version"], "?"));
  fmt::print("  {:>3}  {:<28} {:<18} {:>21} {:>8}  {}\n", "GPU", "Name", "Bus-Id", "Memory-Usage",
             "GPU-Util", "CUDA");
  for (const auto& d : g["devices"]) {
    const auto mib = [](const nlohmann::json& v) {
      return v.is_null() ? std::string("?") : fmt::format("{}MiB", v.get<std::uint64_t>());
    };
    fmt::print("  {:>3}  {:<28} {:<18} {:>21} {:>8}  {}\n", d["index"].get<int>(),
               d["name"].get<std::string>(), d["pci_bus_id"].get<std::string>(),
               mib(d["memory_used_mib"]) + " / " + mib(d["memory_total_mib"]),
               d["utilization_gpu"].is_null()
                   ? std::string("N/A")
                   : fmt::format("{}%", d["utilization_gpu"].get<unsigned>()),
               d["cuda_index"].is_null() ? std::string("hidden")
                                         : fmt::format("cuda:{}", d["cuda_index"].get<int>()));
  }
  if (g["cuda_order_differs"].get<bool>()) {
    fmt::print(
        "  note: CUDA numbers these GPUs differently from nvidia-smi (fastest first, not by PCI "
        "bus); set\n"
        "        CUDA_DEVICE_ORDER=PCI_BUS_ID so that cuda:N is nvidia-smi's GPU N\n");
  }
  if (!g["summary"].get<std::string>().empty())
    fmt::print("  note: {}\n", g["summary"].get<std::string>());
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
    fmt::print("  {} CUDA backend     not built: {}\n", mark(false),
               cuda["not_built_reason"].get<std::string>());
  }
  auto lib_line = [](const char* name, const std::string& version, const char* what) {
    fmt::print("  {} {:<16} {}{}\n", mark(!version.empty()), name,
               version.empty() ? "not found" : version, what);
  };
  lib_line("cuBLAS/cuBLASLt", libs["cublas"], "");
  lib_line("cuDNN", libs["cudnn"], libs["cudnn"].get<std::string>().empty() ? "" : " (headers; the library found at run time: Devices)");
  lib_line("NCCL", libs["nccl"], "");
  lib_line(
      "oneDNN", libs["onednn"],
      fmt::format(" (CPU GEMM; kernels for {})", libs["onednn_isa"].get<std::string>()).c_str());
  fmt::print("    fmt {}, nlohmann-json {}, CLI11 {}, zlib {}\n\n", libs["fmt"].get<std::string>(),
             libs["nlohmann_json"].get<std::string>(), libs["cli11"].get<std::string>(),
             libs["zlib"].get<std::string>());

  std::vector<std::string> features = cpu["features"];
  const std::string omp = cpu["omp_num_threads"];
  fmt::print("CPU\n");
  fmt::print("  model            {}\n", cpu["model"].get<std::string>());
  fmt::print("  logical cores    {}\n", cpu["logical_cores"].get<int>());
  fmt::print("  SIMD features    {}\n",
             features.empty() ? "(none detected)" : fmt::format("{}", fmt::join(features, " ")));
  fmt::print("  threads          {} ({})\n\n", cpu["threads"].get<int>(),
             omp.empty() ? "OMP_NUM_THREADS not set" : "OMP_NUM_THREADS=" + omp);

  fmt::print("Devices\n");
  fmt::print("  {} cpu\n", mark(true));
  if (cuda["available"].get<bool>()) {
    fmt::print("  {} cuda             plugin {}\n", mark(true), cuda["plugin"].get<std::string>());
  } else {
    fmt::print("  {} cuda             {}\n", mark(false), cuda["reason"].get<std::string>());
  }
  // Convolutions on CUDA need cuDNN; the plugin probes it at load, GPU or not.
  const auto& cudnn = cuda["cudnn"];
  if (cudnn["state"] == "available") {
    fmt::print("  {} cuDNN            {} loaded (convolutions on CUDA)\n", mark(true),
               cudnn["version"].get<std::string>());
  } else if (cudnn["state"] != "no_plugin") {
    fmt::print("  {} cuDNN            not usable, so convolutions cannot run on CUDA: {}\n", mark(false),
               cudnn["message"].get<std::string>());
  }
  print_gpus(j["gpus"]);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "info", "Show the build (CUDA, libraries, GPU architectures), the CPU and the devices");
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

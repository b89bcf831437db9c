#pragma once
// The stages of diagnose(), split by subject: verdict.cpp (hardware, kernel driver, environment,
// the chain itself), verdict_driver.cpp (libcuda, NVML, driver vs runtime, visibility),
// verdict_software.cpp (this build, architecture, libraries, live probes), verdict_frameworks.cpp
// (the Python frameworks of every interpreter found).
// Internal to the diag layer.
#include <string>
#include <string_view>
#include <vector>

#include "ignis/diag/findings.hpp"
#include "ignis/diag/probes.hpp"  // cuda_version_string, cuda_index_of_nvml_devices (pure helpers)

namespace ignis::diag::detail {

/// What the stages share: the facts, the tables, and the diagnosis being written.
struct VerdictContext {
  const Facts& facts;
  const CompatTables& tables;
  Diagnosis& out;

  /// Appends the finding `code` (its severity and stage come from the catalogue) and returns it,
  /// so a caller can set its scope.
  Finding& add(std::string_view code, std::string seen, std::string why = {},
               std::vector<std::string> fix = {});
  void skip(Stage stage, std::string reason);
  /// Whether a blocker was added since `mark` (an index into out.findings).
  bool blocked_since(std::size_t mark) const;
};

/// Each returns whether the next stage that depends on it may run.
bool check_hardware(VerdictContext& ctx);
bool check_kernel_driver(VerdictContext& ctx);
bool check_user_driver(VerdictContext& ctx);
void check_nvml(VerdictContext& ctx);
bool check_build(VerdictContext& ctx);
bool check_driver_runtime(VerdictContext& ctx);
bool check_visibility(VerdictContext& ctx);
void check_architecture(VerdictContext& ctx);
void check_libraries(VerdictContext& ctx);
void check_live_probes(VerdictContext& ctx);
void check_environment(VerdictContext& ctx);
void check_frameworks(VerdictContext& ctx);

/// The code a binary (or a PyTorch build) carries: SASS per compute capability, PTX for some.
struct CodeSet {
  std::vector<Version> sass, ptx;
};
enum class Runs { kSass, kPtx, kNo };
/// torch.cuda.get_arch_list(): "sm_86" (SASS), "compute_90" (PTX).
CodeSet code_of_torch(const std::vector<std::string>& arch_list);
/// SASS for X.y runs on X.z with z >= y; PTX for P compiles for any cc >= P.
Runs runs_on(const CodeSet& code, const Version& cc);
/// The compute capabilities of the GPUs present, from CUDA or else NVML.
std::vector<Version> device_ccs(const Facts& facts);

/// Helpers shared by the stages.
std::string gib(std::uint64_t bytes);  // "79.6 GiB"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");
/// The driver's highest CUDA version, from libcuda or else NVML; empty if neither said.
Version driver_cuda_version(const Facts& facts);
/// The driver's version string, from the kernel module, NVML or libcuda's file name.
std::string driver_version(const Facts& facts);
/// The entries of LD_LIBRARY_PATH that point into a CUDA "stubs" folder.
std::vector<std::string> stub_dirs_on_library_path(const Facts& facts);

}  // namespace ignis::diag::detail

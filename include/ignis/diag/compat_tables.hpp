#pragma once
// The version tables behind the doctor's verdicts: minimum drivers per CUDA version, compute
// capabilities per CUDA version, GPU family names, PyTorch and TensorFlow CUDA builds.
// The one source is data/gpu_compat.json (each table names where its figures come from); it is
// compiled into libignis, so the doctor needs no file at run time.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ignis::diag {

/// A dotted version ("580.65.06", "12.8", "7.5") compared part by part; missing parts are 0.
class Version {
 public:
  Version() = default;
  /// Parses leading dotted numbers ("550.54.14", "12.4", "2.5.1+cu124" -> 2.5.1); empty if none.
  static Version parse(std::string_view text);
  /// 12040 -> 12.4 (the encoding of cuDriverGetVersion and cudaRuntimeGetVersion).
  static Version from_cuda_int(int encoded);
  bool empty() const { return parts_.empty(); }
  int major() const { return parts_.empty() ? 0 : parts_[0]; }
  int minor() const { return parts_.size() < 2 ? 0 : parts_[1]; }
  /// The version as written ("580.65.06", not "580.65.6").
  std::string str() const { return text_; }
  friend bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }
  friend bool operator<(const Version& a, const Version& b) { return compare(a, b) < 0; }
  friend bool operator<=(const Version& a, const Version& b) { return compare(a, b) <= 0; }

 private:
  static int compare(const Version& a, const Version& b);
  std::vector<int> parts_;
  std::string text_;  // as written: driver versions keep their leading zeros ("580.65.06")
};

struct ToolkitDriver {
  Version cuda;         // 13.0
  std::string release;  // "GA", "Update 1"
  Version linux_driver;
};

struct ToolkitArchitectures {
  Version cuda;  // the first toolkit with this range; applies until the next row
  Version min_cc, max_cc;
};

struct GpuFamily {
  Version cc;
  std::string name, examples;
};

struct TorchBuild {
  std::string index;  // "cu126"
  Version cuda;
  std::vector<Version> archs;  // SASS carried
  Version ptx;                 // empty when no PTX
};

class CompatTables {
 public:
  /// Parses the JSON of data/gpu_compat.json; throws FormatError naming what is wrong.
  static CompatTables parse(std::string_view json);

  /// Minimum Linux driver for a CUDA major version (minor version compatibility), if known.
  std::optional<Version> family_min_driver(int cuda_major) const;
  /// The driver that ships with the GA release of this CUDA major.minor (all its features).
  std::optional<Version> toolkit_driver(const Version& cuda) const;
  /// The compute capabilities a toolkit of this version can build for, if known.
  std::optional<ToolkitArchitectures> architectures_of(const Version& cuda) const;
  /// The newest toolkit that still builds for `cc` (e.g. 6.1 -> 12.9), if any row does.
  std::optional<Version> newest_toolkit_for(const Version& cc) const;
  /// "Pascal (GTX 10 series (GTX 1080), Tesla P4/P40)" for 6.1; "compute capability X.Y" if
  /// unknown.
  std::string family_name(const Version& cc) const;

  const std::vector<TorchBuild>& torch_builds() const { return torch_builds_; }
  std::string torch_install_command(const std::string& index) const;
  const std::string& torch_cpu_index() const { return torch_cpu_index_; }
  const std::string& tensorflow_install() const { return tensorflow_install_; }
  const Version& tensorflow_min_driver() const { return tensorflow_min_driver_; }
  int tensorflow_cuda_major() const { return tensorflow_cuda_major_; }

  /// The sources named by the data file, "table: source" (for docs and `--json`).
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  std::vector<std::pair<int, Version>> families_;
  std::vector<ToolkitDriver> toolkit_drivers_;
  std::vector<ToolkitArchitectures> toolkit_archs_;  // newest first
  std::vector<GpuFamily> gpu_families_;
  std::vector<TorchBuild> torch_builds_;
  std::string torch_install_, torch_cpu_index_, tensorflow_install_;
  Version tensorflow_min_driver_;
  int tensorflow_cuda_major_ = 0;
  std::vector<std::string> sources_;
};

/// The tables compiled into libignis (parsed once).
const CompatTables& compat_tables();

}  // namespace ignis::diag

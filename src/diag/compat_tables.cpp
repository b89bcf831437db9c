#include "ignis/diag/compat_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "gpu_compat_data.hpp"
#include "ignis/core/error.hpp"

namespace ignis::diag {

Version Version::parse(std::string_view text) {
  Version v;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    int part = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      part = part * 10 + (text[i] - '0');
      ++i;
    }
    v.parts_.push_back(part);
    v.text_ = std::string(text.substr(0, i));
    if (i + 1 < text.size() && text[i] == '.' &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      ++i;
    } else {
      break;
    }
  }
  return v;
}

Version Version::from_cuda_int(int encoded) {
  Version v;
  v.parts_ = {encoded / 1000, (encoded % 1000) / 10};
  v.text_ = std::to_string(v.parts_[0]);
  v.text_ += '.';
  v.text_ += std::to_string(v.parts_[1]);
  return v;
}

int Version::compare(const Version& a, const Version& b) {
  const std::size_t n = std::max(a.parts_.size(), b.parts_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int x = i < a.parts_.size() ? a.parts_[i] : 0;
    const int y = i < b.parts_.size() ? b.parts_[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

namespace {

using nlohmann::json;

const json& field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) {
    throw FormatError(fmt::format("[gpu_compat.json] {} lacks \"{}\"", where, key));
  }
  return j.at(key);
}

std::string text(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  if (!v.is_string())
    throw FormatError(fmt::format("[gpu_compat.json] {}.{} is not a string", where, key));
  return v.get<std::string>();
}

Version version(const json& j, const char* key, const std::string& where) {
  const std::string s = text(j, key, where);
  Version v = Version::parse(s);
  if (v.empty() && !s.empty()) {
    throw FormatError(
        fmt::format("[gpu_compat.json] {}.{} = \"{}\" is not a version", where, key, s));
  }
  return v;
}

const json& rows(const json& j, const char* table, const char* key) {
  const json& t = field(j, table, "the document");
  text(t, "source", table);  // every table names its source
  const json& r = field(t, key, table);
  if (!r.is_array() || r.empty())
    throw FormatError(fmt::format("[gpu_compat.json] {}.{} is not a non-empty array", table, key));
  return r;
}

}  // namespace

CompatTables CompatTables::parse(std::string_view json_text) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    throw FormatError(fmt::format("[gpu_compat.json] not valid JSON: {}", e.what()));
  }
  CompatTables t;
  for (const char* table : {"driver_families", "toolkit_drivers", "toolkit_architectures",
                            "architectures", "pytorch", "tensorflow"}) {
    t.sources_.push_back(
        fmt::format("{}: {}", table, text(field(j, table, "the document"), "source", table)));
  }
  for (const auto& r : rows(j, "driver_families", "families")) {
    const json& major = field(r, "cuda_major", "driver_families.families[]");
    if (!major.is_number_integer())
      throw FormatError(
          "[gpu_compat.json] driver_families.families[].cuda_major is not an integer");
    t.families_.emplace_back(major.get<int>(),
                             version(r, "min_linux_driver", "driver_families.families[]"));
  }
  for (const auto& r : rows(j, "toolkit_drivers", "releases")) {
    const std::string where = "toolkit_drivers.releases[]";
    t.toolkit_drivers_.push_back(
        {version(r, "cuda", where), text(r, "release", where), version(r, "linux_driver", where)});
  }
  for (const auto& r : rows(j, "toolkit_architectures", "toolkits")) {
    const std::string where = "toolkit_architectures.toolkits[]";
    t.toolkit_archs_.push_back(
        {version(r, "cuda", where), version(r, "min_cc", where), version(r, "max_cc", where)});
  }
  std::sort(
      t.toolkit_archs_.begin(), t.toolkit_archs_.end(),
      [](const ToolkitArchitectures& a, const ToolkitArchitectures& b) { return b.cuda < a.cuda; });
  for (const auto& r : rows(j, "architectures", "families")) {
    const std::string where = "architectures.families[]";
    t.gpu_families_.push_back(
        {version(r, "cc", where), text(r, "name", where), text(r, "examples", where)});
  }
  const json& torch = field(j, "pytorch", "the document");
  t.torch_install_ = text(torch, "install", "pytorch");
  t.torch_cpu_index_ = text(torch, "cpu_index", "pytorch");
  for (const auto& r : rows(j, "pytorch", "builds")) {
    const std::string where = "pytorch.builds[]";
    TorchBuild b{text(r, "index", where), version(r, "cuda", where), {}, version(r, "ptx", where)};
    for (const auto& a : field(r, "archs", where))
      b.archs.push_back(Version::parse(a.get<std::string>()));
    t.torch_builds_.push_back(std::move(b));
  }
  const json& tf = field(j, "tensorflow", "the document");
  t.tensorflow_install_ = text(tf, "install", "tensorflow");
  t.tensorflow_min_driver_ = version(tf, "min_linux_driver", "tensorflow");
  t.tensorflow_cuda_major_ = field(tf, "cuda_major", "tensorflow").get<int>();
  return t;
}

std::optional<Version> CompatTables::family_min_driver(int cuda_major) const {
  for (const auto& [major, driver] : families_) {
    if (major == cuda_major) return driver;
  }
  return std::nullopt;
}

std::optional<Version> CompatTables::toolkit_driver(const Version& cuda) const {
  for (const auto& r : toolkit_drivers_) {
    if (r.cuda.major() == cuda.major() && r.cuda.minor() == cuda.minor() && r.release == "GA")
      return r.linux_driver;
  }
  return std::nullopt;
}

std::optional<ToolkitArchitectures> CompatTables::architectures_of(const Version& cuda) const {
  for (const auto& r : toolkit_archs_) {  // newest first: the first row not newer than `cuda`
    if (r.cuda <= cuda) return r;
  }
  return std::nullopt;
}

std::optional<Version> CompatTables::newest_toolkit_for(const Version& cc) const {
  for (const auto& r : toolkit_archs_) {
    if (r.min_cc <= cc) return r.cuda;
  }
  return std::nullopt;
}

std::string CompatTables::family_name(const Version& cc) const {
  for (const auto& f : gpu_families_) {
    if (f.cc == cc) return fmt::format("{}: {}", f.name, f.examples);
  }
  for (const auto& f : gpu_families_) {
    if (f.cc.major() == cc.major()) return f.name;
  }
  return "compute capability " + cc.str();
}

std::string CompatTables::torch_install_command(const std::string& index) const {
  std::string out = torch_install_;
  const auto at = out.find("{index}");
  if (at != std::string::npos) out.replace(at, 7, index);
  return out;
}

const CompatTables& compat_tables() {
  static const CompatTables tables = CompatTables::parse(detail::kGpuCompatJson);
  return tables;
}

}  // namespace ignis::diag

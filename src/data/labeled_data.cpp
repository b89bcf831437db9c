#include "ignis/data/labeled_data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "core/check.hpp"
#include "ignis/data/readers.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/ops/reduce.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::data {

namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// One CSV line's fields (RFC 4180 quoting: "a, b" and "" for a quote; no field spans lines).
std::vector<std::string> split_csv_line(const std::string& line, const std::string& path, std::size_t line_number) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"' && trim(fields.back()).empty()) {
      fields.back().clear();
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) {
    detail::fail<FormatError>("[data] {}:{}: a quoted field is not closed on its line (fields that span lines are "
                              "not supported)",
                              path, line_number);
  }
  for (std::string& f : fields) f = trim(f);
  return fields;
}

/// The whole field as a number, or nullopt ("", "abc", "1x").
std::optional<double> parse_number(const std::string& field) {
  if (field.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (end != field.c_str() + field.size()) return std::nullopt;
  return v;
}

LabeledData load_csv(const LabeledDataSource& source) {
  const std::string& path = source.path;
  std::ifstream in(path);
  if (!in) detail::fail<FormatError>("[data] cannot open {}: no such file or no permission", path);
  std::string line;
  std::size_t line_number = 0;
  auto next_line = [&]() -> bool {
    while (std::getline(in, line)) {
      ++line_number;
      if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);  // a UTF-8 byte order mark
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  };
  if (!next_line()) detail::fail<FormatError>("[data] {} is empty: a CSV file needs a header row and data rows", path);
  const std::vector<std::string> header = split_csv_line(line, path, line_number);
  if (header.size() < 2) {
    detail::fail<FormatError>("[data] {}:{}: the header has {} column; a CSV file needs at least one feature column "
                              "and the target column",
                              path, line_number, header.size());
  }
  // The target column: named, else the last (unless the features are named and the target may
  // be absent); npos when there is none.
  std::size_t target = source.feature_columns.empty() ? header.size() - 1 : std::string::npos;
  if (!source.target_column.empty()) {
    const auto it = std::find(header.begin(), header.end(), source.target_column);
    if (it != header.end()) {
      target = static_cast<std::size_t>(it - header.begin());
    } else if (source.require_targets) {
      detail::fail<ValueError>("[data] {} has no column \"{}\" (the target); its columns: {}", path,
                               source.target_column, fmt::join(header, ", "));
    } else {
      target = std::string::npos;
    }
  }
  if (target == std::string::npos && source.require_targets) {
    detail::fail<ValueError>("[data] {}: name the target column (--target)", path);
  }
  // The feature columns, in the order the model takes them.
  std::vector<std::size_t> feature_index;
  if (source.feature_columns.empty()) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (c != target) feature_index.push_back(c);
    }
  } else {
    std::vector<std::string> missing;
    for (const std::string& name : source.feature_columns) {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) missing.push_back(name);
      feature_index.push_back(static_cast<std::size_t>(it - header.begin()));
    }
    if (!missing.empty()) {
      detail::fail<FormatError>("[data] {} lacks the feature column(s) {} that the model was trained on; its columns: {}",
                                path, fmt::join(missing, ", "), fmt::join(header, ", "));
    }
  }

  LabeledData d;
  d.target_name = target == std::string::npos ? source.target_column : header[target];
  for (const std::size_t c : feature_index) {
    d.feature_names.push_back(header[c].empty() ? fmt::format("column {}", c + 1) : header[c]);
  }
  std::vector<float> features;
  std::vector<std::string> targets;
  std::int64_t rows = 0;
  while (next_line()) {
    const std::vector<std::string> fields = split_csv_line(line, path, line_number);
    if (fields.size() != header.size()) {
      detail::fail<FormatError>("[data] {}:{}: {} fields, but the header has {} columns", path, line_number,
                                fields.size(), header.size());
    }
    if (target != std::string::npos) {
      if (fields[target].empty()) {
        detail::fail<FormatError>("[data] {}:{}: the target \"{}\" is empty", path, line_number, d.target_name);
      }
      targets.push_back(fields[target]);
    }
    for (const std::size_t c : feature_index) {
      const std::optional<double> v = parse_number(fields[c]);
      if (!v) {
        detail::fail<FormatError>("[data] {}:{}: column \"{}\" is \"{}\", not a number (features must be numeric; a "
                                  "column of text labels can be the target: --target \"{}\")",
                                  path, line_number, header[c], fields[c], header[c]);
      }
      if (!std::isfinite(*v)) {
        detail::fail<FormatError>("[data] {}:{}: column \"{}\" is {}; features must be finite numbers (fill or drop "
                                  "missing values first)",
                                  path, line_number, header[c], fields[c]);
      }
      features.push_back(static_cast<float>(*v));
    }
    ++rows;
  }
  if (rows == 0) detail::fail<FormatError>("[data] {} has a header but no data rows", path);
  d.features = from_vector(features, {rows, static_cast<std::int64_t>(d.feature_names.size())});

  d.description = fmt::format("{}: {} rows, {} features", fs::path(path).filename().string(), rows,
                              d.feature_names.size());
  if (target == std::string::npos) return d;
  d.description += fmt::format(", target \"{}\"", d.target_name);
  // Numeric targets if every one is a finite number; else text labels.
  std::vector<double> numbers;
  numbers.reserve(targets.size());
  for (const std::string& t : targets) {
    const std::optional<double> v = parse_number(t);
    if (!v || !std::isfinite(*v)) break;
    numbers.push_back(*v);
  }
  if (numbers.size() == targets.size()) {
    d.numeric_targets = from_vector(numbers, {rows});
  } else {
    d.text_targets = std::move(targets);
  }
  return d;
}

std::int64_t non_finite(const Tensor& t) {
  return t.numel() - ops::sum(ops::isfinite(t).to(kInt64)).item<std::int64_t>();
}

/// Checks and converts an array pair (features x, targets y; y undefined: features only).
LabeledData from_arrays(Tensor x, Tensor y, const std::string& x_name, const std::string& y_name) {
  if (x.dim() == 0) detail::fail<FormatError>("[data] {} is a single number: it needs one row per example", x_name);
  if (x.size(0) == 0) detail::fail<FormatError>("[data] {} has no rows", x_name);
  LabeledData d;
  d.features = x.to(kFloat32);
  if (d.features.dim() == 1) d.features = d.features.unsqueeze(1);
  if (const std::int64_t bad = non_finite(d.features); bad > 0) {
    detail::fail<FormatError>("[data] {} holds {} NaN or infinite values; features must be finite numbers", x_name,
                              bad);
  }
  d.target_name = std::string("y");  // (not = "y": GCC 12 -O3 reports a false -Wrestrict, PR 105329)
  d.description = fmt::format("{} {}", x_name, x.shape().str());
  if (!y.defined()) return d;
  if (y.dim() == 0 || y.dim() > 2) {
    detail::fail<FormatError>("[data] {} has shape {}: targets are one value (N) or a vector (N, T) per example",
                              y_name, y.shape().str());
  }
  if (x.size(0) != y.size(0)) {
    detail::fail<FormatError>("[data] {} has {} rows but {} has {}: one target per example", x_name, x.size(0), y_name,
                              y.size(0));
  }
  d.numeric_targets = y.to(kFloat64);
  if (const std::int64_t bad = non_finite(d.numeric_targets); bad > 0) {
    detail::fail<FormatError>("[data] {} holds {} NaN or infinite targets", y_name, bad);
  }
  d.description += fmt::format(" and {} {}", y_name, y.shape().str());
  return d;
}

}  // namespace

LabeledData load_labeled_data(const LabeledDataSource& source) {
  std::string ext = fs::path(source.path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string name = fs::path(source.path).filename().string();
  if (!fs::exists(source.path)) detail::fail<FormatError>("[data] {} does not exist", source.path);
  if (ext == ".csv") {
    if (!source.targets_path.empty()) {
      detail::fail<ValueError>("[data] {} is a CSV file: its target is a column (--target NAME), not a second file",
                               name);
    }
    return load_csv(source);
  }
  if (!source.target_column.empty() && source.require_targets) {
    detail::fail<ValueError>("[data] --target names a CSV column, but {} is not a CSV file", name);
  }
  if (ext == ".npz") {
    if (!source.targets_path.empty()) {
      detail::fail<ValueError>("[data] {} is an NPZ archive: its targets are its array \"y\", not a second file", name);
    }
    std::map<std::string, Tensor> arrays = read_npz(source.path);
    if (!arrays.count("x") || (source.require_targets && !arrays.count("y"))) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : arrays) keys.push_back(k);
      detail::fail<FormatError>("[data] {} needs arrays \"x\" (features) and \"y\" (targets); it has: {}", name,
                                keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, ", ")));
    }
    return from_arrays(arrays["x"], arrays.count("y") ? arrays["y"] : Tensor(), name + "[x]", name + "[y]");
  }
  if (source.targets_path.empty() && source.require_targets) {
    detail::fail<ValueError>("[data] {} holds one array: give the targets' file with --targets FILE (or use a CSV "
                             "file, or an NPZ archive with arrays x and y)",
                             name);
  }
  const bool npy = ext == ".npy";
  const Tensor x = npy ? read_npy(source.path) : read_idx(source.path);
  if (source.targets_path.empty()) return from_arrays(x, Tensor(), name, "");
  const Tensor y = npy ? read_npy(source.targets_path) : read_idx(source.targets_path);
  return from_arrays(x, y, name, fs::path(source.targets_path).filename().string());
}

}  // namespace ignis::data

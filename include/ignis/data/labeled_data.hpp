#pragma once
// A user's own labelled data, as `ignis train --data FILE` reads it: features and targets from
//   * a CSV file with a header row: every column but the target is a numeric feature; the target
//     column (--target NAME, default the last) holds numbers or text labels;
//   * an NPZ file with arrays "x" and "y";
//   * a pair of NPY files or of IDX files (features, then targets: --targets FILE).
// Bad data is a FormatError that names the file, the line (CSV) or the array, and what is wrong:
// ragged rows, a non-numeric feature cell, NaN or infinity, a missing target, lengths that differ.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::data {

struct LabeledDataSource {
  std::string path;           // .csv, .npz, .npy or an IDX file (also .gz)
  std::string targets_path;   // the targets' file of an NPY or IDX pair; empty otherwise
  std::string target_column;  // CSV: the target's column name; empty: the last column
  /// Data for a trained model: the CSV feature columns it was trained on, found by name (other
  /// columns are ignored; a missing one is an error); empty: every column but the target.
  std::vector<std::string> feature_columns;
  /// false (prediction): data without targets is fine (a CSV without the target column, an NPZ
  /// without y, a single NPY or IDX file).
  bool require_targets = true;
};

struct LabeledData {
  Tensor features;  // (N, ...) float32, finite
  /// Numeric targets (N) or (N, T), float64; undefined when the targets are text labels.
  Tensor numeric_targets;
  /// Text labels (CSV only), one per row; empty when the targets are numeric.
  std::vector<std::string> text_targets;
  std::vector<std::string> feature_names;  // CSV: the header's; otherwise empty
  std::string target_name;                 // CSV: the target column's name; otherwise "y"
  std::string description;                 // e.g. "iris.csv: 150 rows, 4 features, target \"species\""
  std::int64_t rows() const { return features.defined() ? features.size(0) : 0; }
  bool has_targets() const { return numeric_targets.defined() || !text_targets.empty(); }
};

/// Reads the data of `source` (the format from the file name: .csv, .npz, .npy, else IDX).
LabeledData load_labeled_data(const LabeledDataSource& source);

}  // namespace ignis::data

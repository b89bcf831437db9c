#pragma once
// File readers for datasets. Malformed input gets a FormatError naming the file, the byte offset
// or line, and what was expected; a missing file gets a FormatError saying so.
#include <map>
#include <string>

#include "ignis/tensor/tensor.hpp"

namespace ignis::data {

/// Reads an IDX file (the MNIST format: big-endian magic 0x0000TTDD with type TT and DD
/// dimensions, then DD big-endian uint32 sizes, then the data), plain or gzip-compressed (told
/// by content, not name). uint8 stays uint8; int8, int16 and int32 become int32; float and
/// double become float32 and float64.
Tensor read_idx(const std::string& path);

struct CsvOptions {
  bool header = true;     // skip the first line
  char delimiter = ',';
};

/// Reads a numeric CSV file into a float32 tensor (rows, columns). Every row must have the same
/// number of fields; empty lines are skipped.
Tensor read_csv(const std::string& path, CsvOptions options = {});

/// Reads a NumPy .npy file (format versions 1-3, C or Fortran order, little- or big-endian).
/// float32/float64/int64/int32/uint8/bool keep their type; int8/int16/uint16 become int32,
/// uint32 becomes int64; other dtypes get a FormatError naming them.
Tensor read_npy(const std::string& path);

/// Reads every array of a NumPy .npz archive (stored or deflated zip entries), keyed by name
/// without ".npy".
std::map<std::string, Tensor> read_npz(const std::string& path);

}  // namespace ignis::data

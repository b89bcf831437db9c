#pragma once
// File readers for datasets. Malformed input gets a FormatError naming the file, the byte offset
// or line, and what was expected; a missing file gets a FormatError saying so.
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

}  // namespace ignis::data

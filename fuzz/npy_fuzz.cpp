// libFuzzer target: NumPy .npy and .npz readers. Contract: FormatError or success.
#include "ignis/core/error.hpp"
#include "ignis/data/readers.hpp"
#include "memory_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const MemoryFile file(data, size);
  try {
    (void)ignis::data::read_npy(file.path());
  } catch (const ignis::FormatError&) {
  }
  try {
    (void)ignis::data::read_npz(file.path());
  } catch (const ignis::FormatError&) {
  }
  return 0;
}

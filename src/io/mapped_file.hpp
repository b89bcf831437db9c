#pragma once
// A read-only memory map of a whole file (mmap(2)); empty files map to an empty span.
#include <cstddef>
#include <span>
#include <string>

namespace ignis::io::detail {

class MappedFile {
 public:
  /// Maps `path`; FormatError naming the path and the system error when it cannot.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const unsigned char> bytes() const { return {data_, size_}; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ignis::io::detail

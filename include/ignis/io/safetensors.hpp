#pragma once
// safetensors files (https://github.com/huggingface/safetensors, format in
// /work/shared/design/FORMATS.md): an 8-byte little-endian header length N, N bytes of UTF-8
// JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"k": "v"}}, then one little-endian, row-major byte buffer.
//
// Reading validates the whole header before any tensor is touched; every rule of FORMATS.md has
// its own FormatError naming the file, the rule broken and the values involved. Files are
// memory-mapped, so opening a large file reads only its header; tensor() copies one tensor.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ignis/nn/module.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::io {

/// Header limit of the reference implementation: N above this is refused.
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;

/// One tensor of a safetensors header. `dtype` is the file's name for it ("F32", "BF16", ...);
/// begin/end are byte offsets into the data buffer (end exclusive).
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// Metadata: the optional "__metadata__" string map ({"format": "pt"} from PyTorch writers).
using SafetensorsMetadata = std::map<std::string, std::string>;

/// A validated safetensors image: a mapped file or bytes held in memory. Cheap to move; the
/// bytes stay valid while the object lives. Not thread-safe to mutate (it is immutable).
class SafetensorsFile {
 public:
  /// Maps and validates a file; FormatError for a missing, unreadable or malformed file.
  static SafetensorsFile open(const std::string& path);
  /// Validates bytes held in memory (copied); `name` stands for the file in messages.
  static SafetensorsFile parse(std::span<const unsigned char> bytes, const std::string& name = "<memory>");

  /// Entries in data order (sorted by begin offset).
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsMetadata& metadata() const { return metadata_; }
  /// The entry called `name`, or null.
  const SafetensorsEntry* find(const std::string& name) const;
  /// The raw little-endian bytes of one entry.
  std::span<const unsigned char> bytes(const SafetensorsEntry& entry) const;

  /// A CPU tensor with a copy of one entry. F32 F64 I64 I32 U8 BOOL keep their type; I8 I16 U16
  /// become int32, U32 becomes int64, F16 and BF16 become float32 (exact). F8_*, U64 get a
  /// DTypeError (ignis has no such tensors). Unknown name: ValueError listing the names.
  Tensor tensor(const std::string& name) const;
  Tensor tensor(const SafetensorsEntry& entry) const;

 private:
  struct Image;
  SafetensorsFile(std::shared_ptr<const Image> image, std::string name);

  std::shared_ptr<const Image> image_;
  std::string name_;
  std::size_t data_start_ = 0;  // 8 + header length: where the data buffer begins
  std::vector<SafetensorsEntry> entries_;
  SafetensorsMetadata metadata_;
};

/// Every tensor of a file, in data order (the order a writer laid them out).
nn::StateDict load_safetensors(const std::string& path);

/// The bytes of a safetensors file holding `tensors` (any device, any layout; copied to the
/// host, row-major). Names must be unique and non-empty and not "__metadata__" (ValueError);
/// data is laid out in the given order, the JSON is padded with spaces to a multiple of 8.
/// float16/bfloat16 tensors cannot exist in ignis yet, so every dtype ignis has is written.
std::vector<unsigned char> serialize_safetensors(const nn::StateDict& tensors,
                                                 const SafetensorsMetadata& metadata = {});

/// Writes serialize_safetensors() to `path` atomically (temporary file, fsync, rename, fsync of
/// the directory): a crash leaves either the old file or the new one.
void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const SafetensorsMetadata& metadata = {});

/// A module's state_dict (PyTorch names and layouts) with {"format": "pt"} metadata, so that
/// safetensors.torch.load_file + model.load_state_dict reads it in PyTorch.
void save_safetensors(const std::string& path, const nn::Module& module);

/// Loads a file written by ignis or by safetensors.torch.save_file into a module. Missing,
/// unexpected and mismatched-shape keys are reported together in one error; kNonStrict
/// loads the keys that match and returns what did not (shape mismatches still throw).
nn::LoadReport load_safetensors(const std::string& path, nn::Module& module,
                                nn::LoadMode mode = nn::LoadMode::kStrict);

}  // namespace ignis::io

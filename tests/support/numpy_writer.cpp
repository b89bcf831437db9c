#include "support/numpy_writer.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ignis::testing {

namespace {

std::string descr(DType d) {
  if (d == kFloat32) return "<f4";
  if (d == kFloat64) return "<f8";
  if (d == kInt64) return "<i8";
  if (d == kInt32) return "<i4";
  if (d == DType::kUInt8) return "|u1";
  if (d == DType::kBool) return "|b1";
  throw std::invalid_argument("npy_bytes: unsupported dtype");
}

void put16(std::vector<unsigned char>& out, std::uint32_t v) {
  out.push_back(static_cast<unsigned char>(v));
  out.push_back(static_cast<unsigned char>(v >> 8));
}
void put32(std::vector<unsigned char>& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

std::vector<unsigned char> npy_bytes(const Tensor& t) {
  const Tensor c = t.cpu().contiguous();
  std::string shape = "(";
  for (int i = 0; i < c.dim(); ++i) shape += std::to_string(c.size(i)) + (c.dim() == 1 ? "," : (i + 1 < c.dim() ? ", " : ""));
  shape += ")";
  std::string header = "{'descr': '" + descr(c.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';  // the data starts 64-byte aligned
  header += '\n';
  std::vector<unsigned char> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  put16(out, static_cast<std::uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  const auto* data = static_cast<const unsigned char*>(c.data_ptr());
  out.insert(out.end(), data, data + c.numel() * static_cast<std::int64_t>(c.item_size()));
  return out;
}

void write_npy(const std::string& path, const Tensor& t) { write_file(path, npy_bytes(t)); }

void write_npz(const std::string& path, const std::map<std::string, Tensor>& arrays) {
  std::vector<unsigned char> out, directory;
  std::uint16_t entries = 0;
  for (const auto& [name, tensor] : arrays) {
    const std::vector<unsigned char> data = npy_bytes(tensor);
    const std::string file = name + ".npy";
    const auto crc = static_cast<std::uint32_t>(crc32(0, data.data(), static_cast<uInt>(data.size())));
    const auto offset = static_cast<std::uint32_t>(out.size());
    put32(out, 0x04034b50);  // local file header
    put16(out, 20);          // version needed
    put16(out, 0);           // flags
    put16(out, 0);           // stored
    put16(out, 0);           // time
    put16(out, 0x21);        // date (1980-01-01)
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(data.size()));
    put32(out, static_cast<std::uint32_t>(data.size()));
    put16(out, static_cast<std::uint32_t>(file.size()));
    put16(out, 0);
    out.insert(out.end(), file.begin(), file.end());
    out.insert(out.end(), data.begin(), data.end());
    put32(directory, 0x02014b50);  // central directory entry
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0x21);
    put32(directory, crc);
    put32(directory, static_cast<std::uint32_t>(data.size()));
    put32(directory, static_cast<std::uint32_t>(data.size()));
    put16(directory, static_cast<std::uint32_t>(file.size()));
    put16(directory, 0);  // extra
    put16(directory, 0);  // comment
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory.insert(directory.end(), file.begin(), file.end());
    ++entries;
  }
  const auto directory_offset = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), directory.begin(), directory.end());
  put32(out, 0x06054b50);  // end of central directory
  put16(out, 0);
  put16(out, 0);
  put16(out, entries);
  put16(out, entries);
  put32(out, static_cast<std::uint32_t>(directory.size()));
  put32(out, directory_offset);
  put16(out, 0);
  write_file(path, out);
}

}  // namespace ignis::testing

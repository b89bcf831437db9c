// Writing safetensors: the layout of the reference writer (tensors contiguous in the given order,
// JSON padded with spaces so that the data starts at a multiple of 8), and the module helpers.
#include <nlohmann/json.hpp>

#include <bit>
#include <cstring>
#include <set>

#include "core/check.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/io/safetensors.hpp"
#include "io/safetensors_dtypes.hpp"

namespace ignis::io {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so is every host ignis runs on");

std::vector<unsigned char> serialize_safetensors(const nn::StateDict& tensors, const SafetensorsMetadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == "__metadata__") {
      ignis::detail::fail<ValueError>("[save_safetensors] \"{}\" cannot name a tensor (empty or reserved)", name);
    }
    if (!names.insert(name).second) {
      ignis::detail::fail<ValueError>("[save_safetensors] the name \"{}\" is given twice; names must be unique", name);
    }
    if (!t.defined()) ignis::detail::fail<ValueError>("[save_safetensors] \"{}\" is an undefined tensor", name);
    Tensor h = t.detach().to(Device::cpu()).contiguous();
    const std::uint64_t bytes = static_cast<std::uint64_t>(h.numel()) * h.item_size();
    nlohmann::ordered_json entry;
    entry["dtype"] = detail::safetensors_name(h.dtype());
    entry["shape"] = nlohmann::ordered_json::array();
    for (const auto d : h.shape()) entry["shape"].push_back(d);
    entry["data_offsets"] = {offset, offset + bytes};
    header[name] = std::move(entry);
    offset += bytes;
    host.push_back(std::move(h));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<unsigned char> out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(static_cast<std::uint64_t>(text.size()) >> (8 * i)));
  out.insert(out.end(), text.begin(), text.end());
  for (const Tensor& h : host) {
    const auto* p = static_cast<const unsigned char*>(h.data_ptr());
    out.insert(out.end(), p, p + static_cast<std::size_t>(h.numel()) * h.item_size());
  }
  return out;
}

void save_safetensors(const std::string& path, const nn::StateDict& tensors, const SafetensorsMetadata& metadata) {
  const std::vector<unsigned char> bytes = serialize_safetensors(tensors, metadata);
  write_file_atomic(path, bytes);
}

void save_safetensors(const std::string& path, const nn::Module& module) {
  save_safetensors(path, module.state_dict(), {{"format", "pt"}});
}

nn::LoadReport load_safetensors(const std::string& path, nn::Module& module, nn::LoadMode mode) {
  return module.load_state_dict(load_safetensors(path), mode);
}

}  // namespace ignis::io

#pragma once
// A trained GPT on disk, readable by nanoGPT too: model.safetensors (the state dict under
// nanoGPT's names, the tied embedding under both of its keys) and config.json (nanoGPT's
// GPTConfig fields: block_size, vocab_size, n_layer, n_head, n_embd, dropout, bias).
#include <string>

#include "ignis/core/device.hpp"
#include "ignis/models/gpt.hpp"

namespace ignis::models {

/// Writes both files into `dir` (created if needed), each atomically.
void save_gpt(const std::string& dir, const GPT& model);

/// Builds the model of dir/config.json and loads dir/model.safetensors into it (strict), on
/// `device`. Throws FormatError naming the file when either is missing or malformed.
GPT load_gpt(const std::string& dir, Device device = Device::cpu());

}  // namespace ignis::models

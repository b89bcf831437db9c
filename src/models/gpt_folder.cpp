// A GPT's folder: config.json and model.safetensors.
#include "ignis/models/gpt_folder.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/io/safetensors.hpp"

namespace ignis::models {

void save_gpt(const std::string& dir, const GPT& model) {
  std::filesystem::create_directories(dir);
  const GptConfig& c = model.config();
  const nlohmann::json config = {{"block_size", c.block_size}, {"vocab_size", c.vocab_size}, {"n_layer", c.n_layer},
                                 {"n_head", c.n_head},         {"n_embd", c.n_embd},         {"dropout", c.dropout},
                                 {"bias", c.bias}};
  write_file_atomic(dir + "/config.json", config.dump(2) + "\n");
  io::save_safetensors(dir + "/model.safetensors", model);
}

GPT load_gpt(const std::string& dir, Device device) {
  const std::string config_path = dir + "/config.json";
  std::ifstream in(config_path);
  if (!in) {
    detail::fail<FormatError>("[gpt] {} not found: is {} a folder written by `ignis train --model gpt --out DIR`?",
                              config_path, dir);
  }
  GptConfig c;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    c.block_size = j.at("block_size").get<std::int64_t>();
    c.vocab_size = j.at("vocab_size").get<std::int64_t>();
    c.n_layer = j.at("n_layer").get<std::int64_t>();
    c.n_head = j.at("n_head").get<std::int64_t>();
    c.n_embd = j.at("n_embd").get<std::int64_t>();
    c.dropout = j.value("dropout", 0.0);
    c.bias = j.value("bias", true);
  } catch (const nlohmann::json::exception& e) {
    detail::fail<FormatError>("[gpt] {} is not a GPT configuration: {}", config_path, e.what());
  }
  GPT model(c);
  io::load_safetensors(dir + "/model.safetensors", model);
  model.to(device);
  model.eval();
  return model;
}

}  // namespace ignis::models

#include "ignis/io/model_folder.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/check.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/io/safetensors.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::io {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json spec_to_json(const train::UserModelSpec& s) {
  json j = {{"format", kModelFormat},
            {"version", kModelFormatVersion},
            {"task", train::task_name(s.task)},
            {"input_shape", s.input_shape},
            {"hidden", s.hidden},
            {"outputs", s.outputs},
            {"label_names", s.label_names},
            {"feature_names", s.feature_names},
            {"target_name", s.target_name},
            {"weights", "model.safetensors"}};
  if (s.mean.defined()) {
    j["standardize"] = {{"mean", s.mean.to_vector<float>()}, {"std", s.std.to_vector<float>()}};
  } else {
    j["standardize"] = nullptr;
  }
  return j;
}

train::UserModelSpec spec_from_json(const json& j, const std::string& path) {
  train::UserModelSpec s;
  try {
    if (j.at("format") != kModelFormat) {
      detail::fail<FormatError>("[load_model] {}: format \"{}\", expected \"{}\"", path, j.at("format").dump(),
                                kModelFormat);
    }
    if (j.at("version").get<int>() > kModelFormatVersion) {
      detail::fail<FormatError>("[load_model] {}: version {} is newer than this ignis reads ({}); update ignis", path,
                                j.at("version").get<int>(), kModelFormatVersion);
    }
    const std::string task = j.at("task").get<std::string>();
    if (task != "classification" && task != "regression") {
      detail::fail<FormatError>("[load_model] {}: task \"{}\" is neither classification nor regression", path, task);
    }
    s.task = task == "classification" ? train::Task::kClassification : train::Task::kRegression;
    s.input_shape = j.at("input_shape").get<std::vector<std::int64_t>>();
    s.hidden = j.at("hidden").get<std::vector<std::int64_t>>();
    s.outputs = j.at("outputs").get<std::int64_t>();
    s.label_names = j.at("label_names").get<std::vector<std::string>>();
    s.feature_names = j.at("feature_names").get<std::vector<std::string>>();
    s.target_name = j.at("target_name").get<std::string>();
    if (const json& z = j.at("standardize"); !z.is_null()) {
      const auto mean = z.at("mean").get<std::vector<float>>();
      const auto std = z.at("std").get<std::vector<float>>();
      if (mean.size() != std.size()) detail::fail<FormatError>("[load_model] {}: mean and std differ in length", path);
      s.mean = from_vector(mean, {static_cast<std::int64_t>(mean.size())});
      s.std = from_vector(std, {static_cast<std::int64_t>(std.size())});
    }
  } catch (const json::exception& e) {
    detail::fail<FormatError>("[load_model] {}: {}", path, e.what());
  }
  if (s.task == train::Task::kClassification && static_cast<std::int64_t>(s.label_names.size()) != s.outputs) {
    detail::fail<FormatError>("[load_model] {}: {} label names for {} outputs", path, s.label_names.size(), s.outputs);
  }
  return s;
}

}  // namespace

void save_model(const std::string& dir, train::UserModel& model) {
  fs::create_directories(dir);
  save_safetensors((fs::path(dir) / "model.safetensors").string(), model.model().module());
  write_file_atomic((fs::path(dir) / "model.json").string(), spec_to_json(model.spec()).dump(2) + "\n");
}

train::UserModel load_model(const std::string& dir) {
  const fs::path spec_path = fs::path(dir) / "model.json";
  std::ifstream in(spec_path);
  if (!in) {
    detail::fail<FormatError>("[load_model] {} has no model.json: not a model folder (train one with `ignis train "
                              "--data FILE --out DIR`)",
                              dir);
  }
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::exception& e) {
    detail::fail<FormatError>("[load_model] {} is not valid JSON: {}", spec_path.string(), e.what());
  }
  train::UserModelSpec spec = spec_from_json(j, spec_path.string());
  keras::Sequential model = spec.build();
  load_safetensors((fs::path(dir) / "model.safetensors").string(), model.module());
  return train::UserModel(std::move(spec), std::move(model));
}

}  // namespace ignis::io

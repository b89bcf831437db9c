// Training checkpoints: layout and guarantees in ignis/io/checkpoint.hpp.
#include "ignis/io/checkpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/check.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/io/safetensors.hpp"
#include "ignis/tensor/generator.hpp"
#include "io/crc32c.hpp"

namespace ignis::io {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kManifest = "MANIFEST.json";
constexpr const char* kFormat = "ignis-checkpoint";
constexpr int kVersion = 1;

std::vector<unsigned char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ignis::detail::fail<FormatError>("[checkpoint] cannot open {}", path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// "ckpt-000012" -> 12; nullopt for other names (".tmp-" directories included).
std::optional<std::int64_t> checkpoint_epoch(const std::string& name) {
  if (name.size() != 11 || name.rfind("ckpt-", 0) != 0) return std::nullopt;
  if (!std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return std::stoll(name.substr(5));
}

json manifest_entry(const std::vector<unsigned char>& bytes) {
  return {{"bytes", bytes.size()}, {"crc32c", detail::crc32c(bytes)}};
}

json loader_position(const data::DataLoader& d, std::int64_t epoch) {
  return {{"epoch", epoch},
          {"batch", 0},  // checkpoints are taken between epochs
          {"batch_size", d.options().batch_size},
          {"shuffle", d.options().shuffle},
          {"drop_last", d.options().drop_last},
          {"seed", d.options().seed},
          {"size", d.size()}};
}

json parse_json(const fs::path& file) {
  const auto bytes = read_bytes(file);
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    ignis::detail::fail<FormatError>("[checkpoint] {} is not valid JSON: {}", file.string(), e.what());
  }
}

std::string save_checkpoint_files(const std::string& root, const train::TrainingContext& ctx, std::int64_t next_epoch,
                                  std::int64_t keep_last);

/// Removes a checkpoint without ever leaving a half-deleted "ckpt-NNNNNN": it is first renamed
/// to a ".tmp-" name (atomic), which readers ignore and the next save cleans up.
void discard(const fs::path& checkpoint) {
  const fs::path doomed = checkpoint.string() + fmt::format(".tmp-{}-old", ::getpid());
  fs::remove_all(doomed);
  fs::rename(checkpoint, doomed);
  fs::remove_all(doomed);
}

}  // namespace

std::string save_checkpoint(const std::string& root, const train::TrainingContext& ctx, std::int64_t next_epoch,
                            std::int64_t keep_last) {
  if (ctx.model == nullptr || ctx.optimizer == nullptr) {
    throw ValueError("[save_checkpoint] the training context has no model or optimizer");
  }
  try {
    return save_checkpoint_files(root, ctx, next_epoch, keep_last);
  } catch (const fs::filesystem_error& e) {
    ignis::detail::fail<FormatError>("[save_checkpoint] {}: {} — check that the directory is writable and has free space",
                                     root, e.what());
  }
}

namespace {

std::string save_checkpoint_files(const std::string& root, const train::TrainingContext& ctx, std::int64_t next_epoch,
                                  std::int64_t keep_last) {
  fs::create_directories(root);
  const std::string name = fmt::format("ckpt-{:06}", next_epoch);
  const fs::path final_dir = fs::path(root) / name;
  const fs::path temp_dir = fs::path(root) / fmt::format("{}.tmp-{}", name, ::getpid());
  fs::remove_all(temp_dir);
  fs::create_directory(temp_dir);

  json manifest = {{"format", kFormat}, {"version", kVersion}, {"epoch", next_epoch}, {"files", json::object()}};
  auto write = [&](const std::string& file, const std::vector<unsigned char>& bytes) {
    write_file_atomic((temp_dir / file).string(), bytes);
    manifest["files"][file] = manifest_entry(bytes);
  };
  write("model.safetensors", serialize_safetensors(ctx.model->state_dict(), {{"format", "pt"}}));
  write("optimizer.safetensors", serialize_safetensors(ctx.optimizer->state_dict()));
  if (ctx.scheduler != nullptr) write("scheduler.safetensors", serialize_safetensors(ctx.scheduler->state_dict()));
  const PhiloxState rng = default_generator().state();
  json trainer = {{"epoch", next_epoch},
                  {"optimizer_steps", ctx.optimizer->step_count()},
                  {"rng", {{"seed", rng.seed}, {"offset", rng.offset}}}};
  if (ctx.train_data != nullptr) trainer["data_loader"] = loader_position(*ctx.train_data, next_epoch);
  const std::string trainer_text = trainer.dump(2) + "\n";
  write("trainer.json", std::vector<unsigned char>(trainer_text.begin(), trainer_text.end()));
  write_file_atomic((temp_dir / kManifest).string(), manifest.dump(2) + "\n");  // last: marks it complete
  fsync_directory(temp_dir.string());

  // Commit point: the rename. A checkpoint of the same epoch (a re-run) is replaced.
  if (fs::exists(final_dir)) discard(final_dir);
  fs::rename(temp_dir, final_dir);
  fsync_directory(root);

  // Leftovers of crashed saves, then checkpoints beyond keep_last.
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string n = entry.path().filename().string();
    if (n.rfind("ckpt-", 0) == 0 && n.find(".tmp-") != std::string::npos) fs::remove_all(entry.path());
  }
  const std::vector<std::string> all = list_checkpoints(root);
  if (keep_last > 0 && static_cast<std::int64_t>(all.size()) > keep_last) {
    for (std::size_t i = 0; i + static_cast<std::size_t>(keep_last) < all.size(); ++i) discard(all[i]);
  }
  return final_dir.string();
}

}  // namespace

void verify_checkpoint(const std::string& checkpoint) {
  const fs::path dir(checkpoint);
  if (!fs::is_directory(dir)) ignis::detail::fail<FormatError>("[checkpoint] {} is not a directory", checkpoint);
  const fs::path manifest_path = dir / kManifest;
  if (!fs::exists(manifest_path)) {
    ignis::detail::fail<FormatError>("[checkpoint] {} has no {}: the save did not finish; resume from an earlier "
                                     "checkpoint",
                                     checkpoint, kManifest);
  }
  const json manifest = parse_json(manifest_path);
  if (!manifest.is_object() || manifest.value("format", "") != kFormat || !manifest.contains("files") ||
      !manifest["files"].is_object()) {
    ignis::detail::fail<FormatError>("[checkpoint] {} is not an ignis checkpoint manifest", manifest_path.string());
  }
  if (!manifest.contains("version") || manifest["version"] != kVersion) {
    ignis::detail::fail<FormatError>("[checkpoint] {}: version {} is not supported (this ignis reads {})",
                                     manifest_path.string(), manifest.value("version", json()).dump(), kVersion);
  }
  for (const char* required : {"model.safetensors", "optimizer.safetensors", "trainer.json"}) {
    if (!manifest["files"].contains(required)) {
      ignis::detail::fail<FormatError>("[checkpoint] {} does not list {}", manifest_path.string(), required);
    }
  }
  for (const auto& [file, info] : manifest["files"].items()) {
    const fs::path path = dir / file;
    if (file.find('/') != std::string::npos || !fs::exists(path)) {
      ignis::detail::fail<FormatError>("[checkpoint] {} is missing from {}", file, checkpoint);
    }
    const auto bytes = read_bytes(path);
    if (!info.is_object() || !info.contains("bytes") || !info.contains("crc32c") || !info["bytes"].is_number_unsigned() ||
        !info["crc32c"].is_number_unsigned()) {
      ignis::detail::fail<FormatError>("[checkpoint] {}: the entry of {} is malformed", manifest_path.string(), file);
    }
    const auto want_size = info["bytes"].get<std::uint64_t>();
    const auto want_crc = info["crc32c"].get<std::uint64_t>();
    if (bytes.size() != want_size) {
      ignis::detail::fail<FormatError>("[checkpoint] {}: {} bytes but the manifest says {}; the checkpoint is corrupt",
                                       path.string(), bytes.size(), want_size);
    }
    const std::uint32_t crc = detail::crc32c(bytes);
    if (crc != want_crc) {
      ignis::detail::fail<FormatError>("[checkpoint] {}: CRC-32C {:08x} but the manifest says {:08x}; the checkpoint "
                                       "is corrupt",
                                       path.string(), crc, want_crc);
    }
  }
}

std::vector<std::string> list_checkpoints(const std::string& root) {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const auto epoch = checkpoint_epoch(entry.path().filename().string());
    if (epoch && entry.is_directory()) found.emplace_back(*epoch, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [epoch, path] : found) out.push_back(std::move(path));
  return out;
}

train::ResumePoint restore_checkpoint(const std::string& path, train::TrainingContext& ctx) {
  std::string chosen;
  if (fs::exists(fs::path(path) / kManifest) || checkpoint_epoch(fs::path(path).filename().string())) {
    verify_checkpoint(path);  // an explicit checkpoint: refused if corrupt
    chosen = path;
  } else {
    if (!fs::is_directory(path)) {
      ignis::detail::fail<FormatError>("[resume] {} does not exist; give a folder of checkpoints (ignis train --checkpoint-dir, io::TrainingCheckpoint)", path);
    }
    const auto all = list_checkpoints(path);
    for (auto it = all.rbegin(); it != all.rend() && chosen.empty(); ++it) {
      try {
        verify_checkpoint(*it);
        chosen = *it;
      } catch (const FormatError& e) {
        if (ctx.out != nullptr) *ctx.out << "Skipping a damaged checkpoint: " << e.what() << "\n";
      }
    }
    if (chosen.empty()) {
      ignis::detail::fail<FormatError>("[resume] {} holds no complete checkpoint ({} found, none verifies)", path,
                                       all.size());
    }
  }
  const fs::path dir(chosen);
  const json trainer = parse_json(dir / "trainer.json");
  std::int64_t epoch = -1;
  PhiloxState rng;
  try {
    epoch = trainer.value("epoch", std::int64_t{-1});
    rng = {trainer.at("rng").at("seed").get<std::uint64_t>(), trainer.at("rng").at("offset").get<std::uint64_t>()};
  } catch (const json::exception&) {
    epoch = -1;
  }
  if (epoch < 0) ignis::detail::fail<FormatError>("[resume] {}/trainer.json lacks its epoch or random state", chosen);
  if (ctx.train_data != nullptr && trainer.contains("data_loader")) {
    const json now = loader_position(*ctx.train_data, epoch);
    const json& saved = trainer["data_loader"];
    for (const char* key : {"batch_size", "shuffle", "drop_last", "seed", "size"}) {
      const json was = saved.is_object() ? saved.value(key, json()) : json();
      if (was != now[key]) {
        ignis::detail::fail<ValueError>("[resume] the training data loader's {} is {} but the checkpoint {} was saved "
                                        "with {}; resume with the same data and loader options",
                                        key, now[key].dump(), chosen, was.dump());
      }
    }
  }
  const bool has_scheduler = fs::exists(dir / "scheduler.safetensors");
  if (has_scheduler != (ctx.scheduler != nullptr)) {
    ignis::detail::fail<ValueError>("[resume] the checkpoint {} {} a learning-rate scheduler but this fit() {}", chosen,
                                    has_scheduler ? "has" : "has no", ctx.scheduler ? "has one" : "has none");
  }
  if (ctx.model != nullptr) ctx.model->load_state_dict(load_safetensors((dir / "model.safetensors").string()));
  if (ctx.optimizer != nullptr) ctx.optimizer->load_state_dict(load_safetensors((dir / "optimizer.safetensors").string()));
  if (ctx.scheduler != nullptr) ctx.scheduler->load_state_dict(load_safetensors((dir / "scheduler.safetensors").string()));
  default_generator().set_state(rng);
  return {.epoch = epoch, .checkpoint = chosen};
}

namespace {
// fit() reads checkpoints through this hook: the train layer cannot include io (the layer rule).
const bool kRestorerInstalled = [] {
  train::set_checkpoint_restorer(&restore_checkpoint);
  return true;
}();
}  // namespace

}  // namespace ignis::io

// Training checkpoints: bit-exact resume, corrupt and partial checkpoints refused while the
// previous one stays usable, keep_last, mismatched setups, and ModelCheckpoint.
#include "ignis/io/checkpoint.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <random>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ignis/io/safetensors.hpp"
#include "support/reference.hpp"

namespace ignis::io {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / fmt::format("ignis_ckpt_{}_{}", ::getpid(), name);
  fs::remove_all(dir);
  return dir.string();
}

/// A small classifier with dropout (so the random state matters), Adam (state buffers) and a
/// StepLR schedule, over shuffled, prefetched batches.
struct TrainingRun {
  nn::Sequential model{nn::Linear(6, 16), nn::ReLU(), nn::Dropout(0.25), nn::Linear(16, 3)};
  optim::Adam optimizer{model.parameters(), {.lr = 0.02}};
  optim::StepLR scheduler{optimizer, 2, 0.5};
  data::DataLoader loader;

  TrainingRun() : loader(make_data(), {.batch_size = 8, .shuffle = true, .seed = 3, .prefetch = 2}) {}
  static std::shared_ptr<data::TensorDataset> make_data() {
    Generator g(7);
    return std::make_shared<data::TensorDataset>(randn({60, 6}, {}, &g), randint(0, 3, {60}, {}, &g));
  }
  train::History fit(std::int64_t epochs, std::vector<std::shared_ptr<train::Callback>> callbacks, std::string resume = "",
                     std::ostream* out = nullptr) {
    const train::LossFn loss = [](const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); };
    return train::fit(model, loss, optimizer, loader, nullptr,
                      {.epochs = epochs, .callbacks = std::move(callbacks), .verbose = out ? train::Verbosity::kOneLinePerEpoch : train::Verbosity::kSilent,
                       .out = out, .scheduler = &scheduler, .resume_from = std::move(resume)});
  }
  std::vector<std::vector<float>> parameters() const {
    std::vector<std::vector<float>> out;
    for (const Tensor& p : model.parameters()) out.push_back(p.to_vector<float>());
    return out;
  }
};

/// True when every parameter has the same bits (not merely close values).
bool same_bits(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0) return false;
  }
  return true;
}

TEST(Checkpoint, ResumeReproducesTheUninterruptedRunBitForBit) {
  manual_seed(0);
  TrainingRun straight;
  straight.fit(5, {});
  const auto expected = straight.parameters();

  const std::string dir = fresh_dir("resume");
  manual_seed(0);
  TrainingRun first;
  auto saver = std::make_shared<TrainingCheckpoint>(TrainingCheckpointOptions{.directory = dir});
  first.fit(2, {saver});  // "interrupted" after epoch 2
  EXPECT_EQ(fs::path(saver->last_saved()).filename(), "ckpt-000002");

  manual_seed(12345);  // a different initialisation and random state, all overwritten by the resume
  TrainingRun second;
  EXPECT_FALSE(same_bits(second.parameters(), expected));
  std::ostringstream out;
  const train::History h = second.fit(5, {saver}, dir, &out);
  EXPECT_EQ(h.epochs(), 3);  // epochs 3, 4 and 5
  EXPECT_NE(out.str().find("Resuming from"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("at epoch 3/5"), std::string::npos) << out.str();
  EXPECT_TRUE(same_bits(second.parameters(), expected));
  EXPECT_EQ(second.optimizer.lr(), straight.optimizer.lr());
  EXPECT_EQ(second.optimizer.step_count(), straight.optimizer.step_count());
  EXPECT_EQ(list_checkpoints(dir).size(), 3u);  // keep_last = 3: epochs 3, 4, 5
  fs::remove_all(dir);
}

TEST(Checkpoint, ACorruptCheckpointIsRefusedAndThePreviousOneStillLoads) {
  const std::string dir = fresh_dir("corrupt");
  manual_seed(0);
  TrainingRun run;
  run.fit(2, {std::make_shared<TrainingCheckpoint>(TrainingCheckpointOptions{.directory = dir})});
  const auto all = list_checkpoints(dir);
  ASSERT_EQ(all.size(), 2u);
  const fs::path newest = all[1];
  {  // one flipped bit in the weights
    std::fstream f(newest / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);
    char c;
    f.get(c);
    f.seekp(-3, std::ios::end);
    f.put(static_cast<char>(c ^ 0x10));
  }
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(newest.string()), FormatError, "model.safetensors", "CRC-32C", "corrupt");
  train::TrainingContext ctx{&run.model, &run.optimizer};
  ctx.scheduler = &run.scheduler;
  IGNIS_EXPECT_THROW_MSG(restore_checkpoint(newest.string(), ctx), FormatError, "corrupt");
  std::ostringstream out;
  ctx.out = &out;
  const train::ResumePoint p = restore_checkpoint(dir, ctx);
  EXPECT_EQ(p.epoch, 1);
  EXPECT_EQ(p.checkpoint, all[0]);
  EXPECT_NE(out.str().find("Skipping a damaged checkpoint"), std::string::npos);

  fs::resize_file(newest / "model.safetensors", 10);
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(newest.string()), FormatError, "10 bytes but the manifest says");
  fs::remove(newest / "MANIFEST.json");  // a save that never finished
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(newest.string()), FormatError, "no MANIFEST.json", "did not finish");
  fs::remove_all(all[0]);
  IGNIS_EXPECT_THROW_MSG(restore_checkpoint(dir, ctx), FormatError, "no complete checkpoint");
  IGNIS_EXPECT_THROW_MSG(restore_checkpoint(dir + "/nothing-here", ctx), FormatError, "does not exist");
  fs::remove_all(dir);
}

TEST(Checkpoint, KeepLastAndLeftoversOfCrashedSaves) {
  const std::string dir = fresh_dir("keep");
  manual_seed(0);
  TrainingRun run;
  train::TrainingContext ctx{&run.model, &run.optimizer};
  fs::create_directories(fs::path(dir) / "ckpt-000001.tmp-999999");  // a crashed save
  for (int e = 1; e <= 5; ++e) save_checkpoint(dir, ctx, e, 2);
  const auto all = list_checkpoints(dir);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(fs::path(all[0]).filename(), "ckpt-000004");
  EXPECT_EQ(fs::path(all[1]).filename(), "ckpt-000005");
  EXPECT_FALSE(fs::exists(fs::path(dir) / "ckpt-000001.tmp-999999"));
  for (const auto& c : all) EXPECT_NO_THROW(verify_checkpoint(c));
  fs::remove_all(dir);
}

TEST(Checkpoint, MalformedManifestsAndTrainerFilesAreFormatErrors) {
  const std::string dir = fresh_dir("manifest");
  manual_seed(0);
  TrainingRun run;
  train::TrainingContext ctx{&run.model, &run.optimizer};
  const fs::path c = save_checkpoint(dir, ctx, 1);
  auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::trunc) << text; };
  write(c / "MANIFEST.json", R"({"format": "ignis-checkpoint", "version": 1, "files": {"model.safetensors": 3,)"
                             R"( "optimizer.safetensors": {}, "trainer.json": {}}})");
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(c.string()), FormatError, "malformed");
  write(c / "MANIFEST.json", R"({"format": "ignis-checkpoint", "version": 2, "files": {}})");
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(c.string()), FormatError, "version 2 is not supported");
  write(c / "MANIFEST.json", "{not json");
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(c.string()), FormatError, "not valid JSON");
  write(c / "MANIFEST.json", R"({"format": "other", "files": {}})");
  IGNIS_EXPECT_THROW_MSG(verify_checkpoint(c.string()), FormatError, "not an ignis checkpoint manifest");
  IGNIS_EXPECT_THROW_MSG(save_checkpoint("/proc/ignis_no", ctx, 1), FormatError, "/proc/ignis_no", "writable");
  fs::remove_all(dir);
}

TEST(Checkpoint, ResumingADifferentSetupIsAValueError) {
  const std::string dir = fresh_dir("mismatch");
  manual_seed(0);
  TrainingRun run;
  run.fit(1, {std::make_shared<TrainingCheckpoint>(TrainingCheckpointOptions{.directory = dir})});
  TrainingRun other;
  other.loader = data::DataLoader(TrainingRun::make_data(), {.batch_size = 16, .shuffle = true, .seed = 3});
  IGNIS_EXPECT_THROW_MSG(other.fit(2, {}, dir), ValueError, "batch_size is 16", "saved with 8");
  nn::Sequential wider(nn::Linear(6, 32), nn::ReLU(), nn::Dropout(0.25), nn::Linear(32, 3));
  optim::Adam adam(wider.parameters());
  train::TrainingContext ctx{&wider, &adam};
  IGNIS_EXPECT_THROW_MSG(restore_checkpoint(dir, ctx), ValueError, "scheduler");
  fs::remove_all(dir);
}

/// The epoch of the newest checkpoint under dir (0 when there is none).
std::int64_t newest_epoch(const std::string& dir) {
  const auto all = list_checkpoints(dir);
  return all.empty() ? 0 : std::stoll(fs::path(all.back()).filename().string().substr(5));
}

/// Starts the helper that saves checkpoints in a loop, lets it save at least two, kills it with
/// SIGKILL at a random moment, and checks that every checkpoint left verifies and restores.
TEST(Checkpoint, AWriterKilledMidSaveLeavesTheOldCheckpointsUsable) {
  const std::string dir = fresh_dir("crash");
  std::mt19937 rng(42);
  int mid_save = 0;  // rounds whose kill left a ".tmp-" directory: it hit a save in progress
  for (int round = 0; round < 6; ++round) {
    const std::int64_t before = newest_epoch(dir);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      execl(IGNIS_CKPT_HELPER, IGNIS_CKPT_HELPER, dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait (without a deadline: ctest's timeout guards) until this round's writer has saved twice;
    // it numbers its checkpoints on from the newest one present.
    while (newest_epoch(dir) < before + 2) ::usleep(1000);
    ::usleep(static_cast<useconds_t>(rng() % 20000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the helper exited by itself with status " << status;
    for (const auto& entry : fs::directory_iterator(dir)) {
      mid_save += entry.path().filename().string().find(".tmp-") != std::string::npos;
    }
    const auto all = list_checkpoints(dir);
    ASSERT_FALSE(all.empty());
    for (const auto& c : all) {
      try {
        verify_checkpoint(c);
      } catch (const Error& e) {
        ADD_FAILURE() << "round " << round << ": " << e.what();
      }
    }
    nn::Sequential model(nn::Linear(256, 256), nn::ReLU(), nn::Linear(256, 10));
    optim::Adam adam(model.parameters());
    train::TrainingContext ctx{&model, &adam};
    EXPECT_NO_THROW(restore_checkpoint(dir, ctx)) << "round " << round;
  }
  std::cout << "killed in the middle of a save in " << mid_save << " of 6 rounds\n";
  fs::remove_all(dir);
}

TEST(ModelCheckpoint, BestOnlySavesWhenTheMonitoredLogImproves) {
  const std::string dir = fresh_dir("best");
  fs::create_directories(dir);
  nn::Sequential model(nn::Linear(2, 1));
  train::TrainingContext ctx{&model, nullptr};
  ModelCheckpoint best({.filepath = dir + "/w-{epoch}.safetensors", .monitor = "val_loss", .save_best_only = true});
  best.on_train_begin(ctx);
  const double losses[] = {3, 2, 2.5, 1};
  for (int e = 0; e < 4; ++e) best.on_epoch_end(ctx, e, {{"loss", 9}, {"val_loss", losses[e]}});
  EXPECT_TRUE(fs::exists(dir + "/w-1.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/w-2.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/w-3.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/w-4.safetensors"));
  EXPECT_EQ(best.best(), 1.0);
  IGNIS_EXPECT_THROW_MSG(best.on_epoch_end(ctx, 4, {{"loss", 1}}), ValueError, "monitors \"val_loss\"", "[loss]");

  ModelCheckpoint acc({.filepath = dir + "/acc.safetensors", .monitor = "val_accuracy", .save_best_only = true});
  acc.on_train_begin(ctx);
  acc.on_epoch_end(ctx, 0, {{"val_accuracy", 0.5}});
  acc.on_epoch_end(ctx, 1, {{"val_accuracy", 0.4}});  // worse for an accuracy: not saved
  EXPECT_EQ(acc.best(), 0.5);

  ModelCheckpoint every({.filepath = dir + "/e-{epoch}.safetensors"});
  for (int e = 0; e < 3; ++e) every.on_epoch_end(ctx, e, {});
  for (int e = 1; e <= 3; ++e) EXPECT_TRUE(fs::exists(fmt::format("{}/e-{}.safetensors", dir, e)));
  nn::Sequential back(nn::Linear(2, 1));
  load_safetensors(dir + "/e-3.safetensors", back);
  EXPECT_EQ(testing::values_of(back.state_dict()[0].second), testing::values_of(model.state_dict()[0].second));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ignis::io

// SummaryWriter and the TensorBoard callback: what lands in the event file, read back with
// read_event_file (the Python cross-check reads the same files with TensorBoard itself).
#include "ignis/io/summary_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "ignis/io/event_file.hpp"
#include "ignis/io/tensorboard_callback.hpp"
#include "support/reference.hpp"

namespace ignis::io {
namespace {

std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("ignis_tb_{}_{}", ::getpid(), name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(SummaryWriter, WritesScalarsHistogramsAndText) {
  const std::string dir = fresh_dir("basic");
  std::string path;
  {
    SummaryWriter w(dir);
    path = w.path();
    EXPECT_NE(std::filesystem::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
    for (int step = 0; step < 5; ++step) w.add_scalar("loss", 1.0 / (step + 1), step);
    const std::vector<double> values{0, 1, 1, 2, 3, 3, 3, 10};
    w.add_histogram("weights", std::span<const double>(values), 7, 5);
    w.add_text("notes", "hello", 0);
    w.flush();
    // flush() returns once the records are in the file.
    const auto events = read_event_file(path);
    ASSERT_EQ(events.size(), 8u);
  }
  const auto events = read_event_file(path);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  for (int step = 0; step < 5; ++step) {
    const Event& e = events[static_cast<std::size_t>(step) + 1];
    EXPECT_EQ(e.step, step);
    ASSERT_EQ(e.values.size(), 1u);
    EXPECT_EQ(e.values[0].tag, "loss");
    EXPECT_EQ(e.values[0].scalar, static_cast<float>(1.0 / (step + 1)));
    EXPECT_GT(e.wall_time, 1.6e9);
  }
  const Histogram& h = events[6].values[0].histogram;
  EXPECT_EQ(events[6].step, 7);
  EXPECT_EQ(h.min, 0);
  EXPECT_EQ(h.max, 10);
  EXPECT_EQ(h.num, 8);
  EXPECT_EQ(h.sum, 23);
  EXPECT_EQ(h.sum_squares, 0 + 1 + 1 + 4 + 9 + 9 + 9 + 100);
  EXPECT_EQ(h.bucket_limit, (std::vector<double>{2, 4, 6, 8, 10}));
  EXPECT_EQ(h.bucket, (std::vector<double>{3, 4, 0, 0, 1}));
  EXPECT_EQ(events[7].values[0].kind, SummaryKind::kText);
  EXPECT_EQ(events[7].values[0].text, "hello");
  std::filesystem::remove_all(dir);
}

TEST(SummaryWriter, ManyThreadsLoseNothing) {
  const std::string dir = fresh_dir("threads");
  SummaryWriter w(dir, {.flush_interval = std::chrono::milliseconds(1)});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&w, t] {
      for (int i = 0; i < 250; ++i) w.add_scalar(fmt::format("t{}", t), i, i);
    });
  }
  for (auto& th : threads) th.join();
  w.close();
  const auto events = read_event_file(w.path());
  EXPECT_EQ(events.size(), 1001u);
  IGNIS_EXPECT_THROW_MSG(w.add_scalar("late", 1, 0), ValueError, "closed");
  std::filesystem::remove_all(dir);
}

TEST(SummaryWriter, HistogramEdgeCases) {
  const std::string dir = fresh_dir("histo");
  SummaryWriter w(dir);
  w.add_histogram("same", full({3}, 2.0), 0);
  const std::vector<double> bad{std::nan(""), INFINITY};
  IGNIS_EXPECT_THROW_MSG(w.add_histogram("nan", std::span<const double>(bad), 0), ValueError, "no finite value");
  IGNIS_EXPECT_THROW_MSG(w.add_histogram("zero", full({3}, 2.0), 0, 0), ValueError, "bins");
  w.close();
  const auto events = read_event_file(w.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].values[0].histogram.bucket, (std::vector<double>{3}));
  EXPECT_EQ(events[1].values[0].histogram.bucket_limit, (std::vector<double>{2}));
  std::filesystem::remove_all(dir);
}

TEST(SummaryWriter, TwoWritersInOneDirectoryGetTwoFiles) {
  const std::string dir = fresh_dir("two");
  SummaryWriter a(dir), b(dir);
  EXPECT_NE(a.path(), b.path());
  std::filesystem::remove_all(dir);
}

TEST(SummaryWriter, UnwritableDirectoryIsAFormatError) {
  IGNIS_EXPECT_THROW_MSG(SummaryWriter("/proc/ignis_cannot_be_here"), FormatError, "/proc/ignis_cannot_be_here");
}

TEST(TensorBoardCallback, LogsEveryEpochAndBatch) {
  const std::string dir = fresh_dir("callback");
  manual_seed(0);
  keras::Sequential model({keras::Dense(4, "relu"), keras::Dense(1)});
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}, .learning_rate = 0.05});
  auto tb = std::make_shared<TensorBoard>(TensorBoardOptions{.log_dir = dir, .per_batch = true, .histogram_freq = 1});
  const Tensor x = randn({32, 3});
  const Tensor y = sum(x, {1}, kKeepDim);
  const train::History h =
      model.fit(x, y, {.epochs = 3, .batch_size = 8, .callbacks = {tb}, .verbose = train::Verbosity::kSilent});
  const auto events = read_event_file(tb->path());
  std::map<std::string, std::vector<std::pair<std::int64_t, float>>> scalars;
  int histograms = 0, texts = 0;
  for (const Event& e : events) {
    for (const auto& v : e.values) {
      if (v.kind == SummaryKind::kScalar) scalars[v.tag].emplace_back(e.step, v.scalar);
      histograms += v.kind == SummaryKind::kHistogram;
      texts += v.kind == SummaryKind::kText;
    }
  }
  ASSERT_EQ(scalars["epoch_loss"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(scalars["epoch_loss"][i].first, static_cast<std::int64_t>(i));
    EXPECT_EQ(scalars["epoch_loss"][i].second, static_cast<float>(h["loss"][i]));
    EXPECT_EQ(scalars["epoch_mae"][i].second, static_cast<float>(h["mae"][i]));
  }
  EXPECT_EQ(scalars["epoch_lr"].size(), 3u);
  ASSERT_EQ(scalars["batch_loss"].size(), 12u);  // 4 batches x 3 epochs
  EXPECT_EQ(scalars["batch_loss"].back().first, 12);
  EXPECT_EQ(histograms, 3 * 4);  // two Dense layers' weight and bias each epoch
  EXPECT_EQ(texts, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ignis::io

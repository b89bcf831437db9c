#pragma once
// SummaryWriter: TensorBoard logs (scalars, histograms, text), as torch.utils.tensorboard's.
// Each writer creates one file "events.out.tfevents.<unix seconds>.<hostname>" in its log
// directory (".N" appended if that name exists). The add_* calls encode the event and queue it;
// a background thread appends the queue to the file every flush_interval, on flush() and on
// close(), so training never waits for the disk.
//
// Thread safety: every member may be called from any thread. An I/O error on the background
// thread is reported (FormatError) by the next flush() or close().
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::io {

struct SummaryWriterOptions {
  std::chrono::milliseconds flush_interval{2000};
};

class SummaryWriter {
 public:
  /// Creates log_dir (and parents) and the event file, whose first record is the file version.
  /// FormatError when the directory or file cannot be created.
  explicit SummaryWriter(const std::string& log_dir, SummaryWriterOptions options = {});
  /// Flushes and closes; errors at this point are swallowed (call close() to see them).
  ~SummaryWriter();
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  void add_scalar(const std::string& tag, double value, std::int64_t step);
  /// A histogram of `values` in `bins` equal-width buckets between their min and max (one bucket
  /// when all are equal). Non-finite values are left out; ValueError when none is finite.
  void add_histogram(const std::string& tag, std::span<const double> values, std::int64_t step, int bins = 30);
  void add_histogram(const std::string& tag, const Tensor& values, std::int64_t step, int bins = 30);
  /// Shown in TensorBoard's Text tab (markdown).
  void add_text(const std::string& tag, const std::string& text, std::int64_t step);

  /// Returns once everything added so far is written to the file.
  void flush();
  /// Flushes and stops the background thread; later add_* calls throw ValueError.
  void close();
  /// The event file's path.
  const std::string& path() const { return path_; }

 private:
  void enqueue(std::string record);
  void run();
  void rethrow_error();

  std::string path_;
  SummaryWriterOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_, written_;
  std::vector<std::string> queue_;
  std::uint64_t queued_ = 0, done_ = 0;  // records queued / written so far
  bool flush_requested_ = false, stop_ = false, closed_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace ignis::io

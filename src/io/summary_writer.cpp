#include "ignis/io/summary_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "core/check.hpp"
#include "ignis/io/event_file.hpp"

namespace ignis::io {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

/// A histogram of the finite values in `bins` equal-width buckets.
Histogram make_histogram(std::span<const double> values, int bins, const std::string& tag) {
  if (bins < 1) ignis::detail::fail<ValueError>("[add_histogram {}] bins must be at least 1, got {}", tag, bins);
  Histogram h;
  h.min = std::numeric_limits<double>::infinity();
  h.max = -h.min;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    h.min = std::min(h.min, v);
    h.max = std::max(h.max, v);
    h.num += 1;
    h.sum += v;
    h.sum_squares += v * v;
  }
  if (h.num == 0) {
    ignis::detail::fail<ValueError>("[add_histogram {}] no finite value among {} to draw a histogram of", tag, values.size());
  }
  if (h.min == h.max) {
    h.bucket_limit = {h.max};
    h.bucket = {h.num};
    return h;
  }
  const double width = (h.max - h.min) / bins;
  h.bucket.assign(static_cast<std::size_t>(bins), 0.0);
  for (int i = 0; i < bins; ++i) h.bucket_limit.push_back(i + 1 == bins ? h.max : h.min + width * (i + 1));
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    const auto i = std::min(static_cast<std::size_t>((v - h.min) / width), static_cast<std::size_t>(bins - 1));
    h.bucket[i] += 1;
  }
  return h;
}

std::string value_event(SummaryValue value, std::int64_t step) {
  Event e;
  e.wall_time = now_seconds();
  e.step = step;
  e.values.push_back(std::move(value));
  return frame_record(encode_event(e));
}

}  // namespace

SummaryWriter::SummaryWriter(const std::string& log_dir, SummaryWriterOptions options) : options_(options) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) ignis::detail::fail<FormatError>("[SummaryWriter] cannot create the log directory {}: {}", log_dir, ec.message());
  const auto base = std::filesystem::path(log_dir) /
                    fmt::format("events.out.tfevents.{}.{}", static_cast<std::int64_t>(now_seconds()), host_name());
  path_ = base.string();
  for (int n = 1; std::filesystem::exists(path_); ++n) path_ = fmt::format("{}.{}", base.string(), n);
  std::FILE* f = std::fopen(path_.c_str(), "wb");
  if (f == nullptr) ignis::detail::fail<FormatError>("[SummaryWriter] cannot create {}: check the directory is writable", path_);
  std::fclose(f);
  Event version;
  version.wall_time = now_seconds();
  version.file_version = "brain.Event:2";
  queue_.push_back(frame_record(encode_event(version)));
  queued_ = 1;
  thread_ = std::thread([this] { run(); });
}

SummaryWriter::~SummaryWriter() {
  try {
    close();
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void SummaryWriter::add_scalar(const std::string& tag, double value, std::int64_t step) {
  SummaryValue v;
  v.tag = tag;
  v.kind = SummaryKind::kScalar;
  v.scalar = static_cast<float>(value);
  enqueue(value_event(std::move(v), step));
}

void SummaryWriter::add_histogram(const std::string& tag, std::span<const double> values, std::int64_t step, int bins) {
  SummaryValue v;
  v.tag = tag;
  v.kind = SummaryKind::kHistogram;
  v.histogram = make_histogram(values, bins, tag);
  enqueue(value_event(std::move(v), step));
}

void SummaryWriter::add_histogram(const std::string& tag, const Tensor& values, std::int64_t step, int bins) {
  const std::vector<double> host = values.to_vector<double>();
  add_histogram(tag, std::span<const double>(host), step, bins);
}

void SummaryWriter::add_text(const std::string& tag, const std::string& text, std::int64_t step) {
  SummaryValue v;
  v.tag = tag;
  v.kind = SummaryKind::kText;
  v.text = text;
  enqueue(value_event(std::move(v), step));
}

void SummaryWriter::enqueue(std::string record) {
  std::lock_guard lock(mutex_);
  if (closed_) ignis::detail::fail<ValueError>("[SummaryWriter] {} is closed; create a new writer", path_);
  queue_.push_back(std::move(record));
  ++queued_;
}

void SummaryWriter::flush() {
  std::unique_lock lock(mutex_);
  if (thread_.joinable()) {
    const std::uint64_t target = queued_;
    flush_requested_ = true;
    wake_.notify_one();
    written_.wait(lock, [&] { return done_ >= target || error_ != nullptr; });
  }
  lock.unlock();
  rethrow_error();
}

void SummaryWriter::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  rethrow_error();
}

void SummaryWriter::rethrow_error() {
  std::exception_ptr error;
  {
    std::lock_guard lock(mutex_);
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

// The background thread: waits for the interval, a flush request or the stop, then appends what
// is queued (outside the lock, so add_* never waits for the disk).
void SummaryWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval, [&] { return flush_requested_ || stop_; });
    std::vector<std::string> batch;
    batch.swap(queue_);
    flush_requested_ = false;
    const bool stopping = stop_;
    const std::uint64_t target = queued_;
    lock.unlock();
    std::exception_ptr error;
    if (!batch.empty()) {
      std::FILE* f = std::fopen(path_.c_str(), "ab");
      bool ok = f != nullptr;
      for (const auto& record : batch) ok = ok && std::fwrite(record.data(), 1, record.size(), f) == record.size();
      if (f != nullptr) ok = (std::fclose(f) == 0) && ok;
      if (!ok) {
        error = std::make_exception_ptr(FormatError(
            fmt::format("[SummaryWriter] writing {} records to {} failed: check the disk has free space", batch.size(), path_)));
      }
    }
    lock.lock();
    if (error && !error_) error_ = error;
    done_ = target;
    written_.notify_all();
    if (stopping) return;
  }
}

}  // namespace ignis::io

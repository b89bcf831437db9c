#include "ignis/core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/check.hpp"

namespace ignis {

namespace {

[[noreturn]] void fail_errno(const char* what, const std::string& path, int err) {
  detail::fail<FormatError>("[write_file_atomic] {} {} failed: {} — check that the directory exists, is "
                            "writable and has free space",
                            what, path, std::strerror(err));
}

/// Closes the descriptor and removes the temporary unless released (the error path).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_errno("creating", path_, errno);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  void close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail_errno("closing", path_, errno);
  }
  void committed() { committed_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void fsync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("opening directory", directory, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems (tmpfs on old kernels) refuse fsync on directories; nothing to make durable.
  if (rc != 0 && err != EINVAL) fail_errno("fsync of directory", directory, err);
}

void write_file_atomic(const std::string& path, std::span<const unsigned char> bytes) {
  const std::filesystem::path target(path);
  const std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  TempFile file(temp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(file.fd(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("writing", temp, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(file.fd()) != 0) fail_errno("fsync of", temp, errno);
  file.close();
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail_errno("renaming the temporary file to", path, errno);
  file.committed();
  const std::filesystem::path parent = target.parent_path();
  fsync_directory(parent.empty() ? std::string(".") : parent.string());
}

void write_file_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

}  // namespace ignis

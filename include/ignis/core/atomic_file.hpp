#pragma once
// Atomic file replacement (used by every file ignis writes whole: safetensors, checkpoints,
// results.json, report.html): the bytes go to a temporary file in the same directory, which is
// fsync'ed, renamed over the target (rename(2) is atomic within a file system) and followed by an
// fsync of the directory so that the rename itself is durable. A reader, or a process started
// after a crash at any point, sees either the complete old file or the complete new one.
#include <span>
#include <string>
#include <string_view>

namespace ignis {

/// Replaces `path` with `bytes` atomically. The temporary is "<path>.tmp.<pid>"; it is removed
/// when writing fails. Throws FormatError naming the path and the system error on failure.
void write_file_atomic(const std::string& path, std::span<const unsigned char> bytes);
void write_file_atomic(const std::string& path, std::string_view text);

/// fsync(2) of a directory, so that entries created or renamed in it survive a crash.
void fsync_directory(const std::string& directory);

}  // namespace ignis

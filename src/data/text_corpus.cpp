// Byte-level text corpora and the King James Bible from Debian's bible-kjv.
#include "ignis/data/text_corpus.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/check.hpp"
#include "ignis/core/atomic_file.hpp"

namespace ignis::data {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBibleCommand = "bible -p /usr/lib \"gen1:1-rev22:21\" 2>/dev/null";
constexpr const char* kBibleHelp =
    "install Debian's bible-kjv and bible-kjv-text (scripts/setup run, or: apt-get install bible-kjv "
    "bible-kjv-text), or train on any text file with --data FILE";

fs::path cache_dir() {
  if (const char* dir = std::getenv("IGNIS_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "ignis";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return fs::path(home) / ".cache" / "ignis";
  return fs::temp_directory_path() / "ignis-cache";
}

}  // namespace

TextCorpus load_text_corpus(const std::string& path, std::size_t min_split_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::fail<FormatError>("[text] cannot open {}: check the path (any text file works)", path);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t split = bytes.size() * 9 / 10;
  if (split <= min_split_bytes || bytes.size() - split <= min_split_bytes) {
    detail::fail<FormatError>("[text] {} has {} bytes; its 90% / 10% splits each need more than {} (the block size "
                              "+ 1): use a longer text or a smaller --block-size",
                              path, bytes.size(), min_split_bytes);
  }
  TextCorpus corpus{.path = path, .train = {}, .validation = {}};
  corpus.validation.assign(bytes.begin() + static_cast<std::ptrdiff_t>(split), bytes.end());
  bytes.resize(split);
  corpus.train = std::move(bytes);
  return corpus;
}

std::string kjv_bible_path() {
  const fs::path path = cache_dir() / "kjv.txt";
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0) return path.string();
  FILE* pipe = popen(kBibleCommand, "r");
  std::string text;
  if (pipe != nullptr) {
    char buffer[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
    const int status = pclose(pipe);
    if (status != 0) text.clear();
  }
  if (text.size() < 1'000'000) {
    detail::fail<FormatError>("[text] the default corpus, the King James Bible, comes from the `bible` command, which "
                              "did not print it: {}",
                              kBibleHelp);
  }
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    detail::fail<FormatError>("[text] cannot create the cache folder {} ({}); set IGNIS_CACHE_DIR to a writable folder",
                              path.parent_path().string(), ec.message());
  }
  write_file_atomic(path.string(), text);
  return path.string();
}

}  // namespace ignis::data

#pragma once
// Text corpora for byte-level language models: a file's bytes are its tokens (vocabulary 256,
// token = byte value), the first 90% trains and the last 10% validates.
//
// The default corpus is the King James Bible shipped by Debian (packages bible-kjv and
// bible-kjv-text, installed by `scripts/setup run`): `bible -p /usr/lib "gen1:1-rev22:21"` prints
// it (4,298,239 bytes with bible-kjv 4.38). It is written once to the cache
// ($IGNIS_CACHE_DIR, else $XDG_CACHE_HOME/ignis, else ~/.cache/ignis) as kjv.txt, atomically.
#include <cstdint>
#include <string>
#include <vector>

namespace ignis::data {

struct TextCorpus {
  std::string path;                  // where the bytes came from
  std::vector<std::uint8_t> train;   // the first 90%
  std::vector<std::uint8_t> validation;  // the last 10%
};

/// The bytes of `path`, split 90/10. Throws FormatError for a missing, unreadable or too short
/// file (each split needs more than `min_split_bytes`, e.g. block_size + 1).
TextCorpus load_text_corpus(const std::string& path, std::size_t min_split_bytes = 2);

/// The path of the KJV text, generated into the cache on first use. Throws FormatError saying
/// how to install the Debian packages (or to pass --data FILE) when `bible` is not there.
std::string kjv_bible_path();

}  // namespace ignis::data

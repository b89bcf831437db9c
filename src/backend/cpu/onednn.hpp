#pragma once
// What the CPU backend's oneDNN primitives (convolution, pooling) share: the engine, the
// primitive cache keyed by arrays of sizes, and running a primitive on plain tensors with a scratchpad
// from the CPU allocator (primitives are created with scratchpad_mode::user, so that cached
// primitives may run from several threads at once).
#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/backend.hpp"

namespace ignis::backend::onednn {

dnnl::engine& engine();

/// An attribute with a user-provided scratchpad.
dnnl::primitive_attr user_scratchpad();

template <std::size_t N>
struct KeyHash {
  std::size_t operator()(const std::array<std::int64_t, N>& k) const {
    std::size_t h = 0;
    for (std::int64_t v : k) h = h * 1000003u ^ static_cast<std::size_t>(v);
    return h;
  }
};

/// Primitives keyed by N sizes, made on first use and kept for the process (creating one —
/// implementation dispatch, JIT — costs more than a small call). `get` runs `make()` on a miss
/// and `complete(entry)` on every lookup, both under the lock: `complete` adds the parts made on
/// first use (backward primitives). Entries never move and a part, once set, never changes, so
/// callers may read the returned entry's parts after the lock is released.
template <std::size_t N, class Entry>
class PrimitiveCache {
 public:
  using Key = std::array<std::int64_t, N>;

  template <class Make, class Complete>
  Entry& get(const Key& key, const Make& make, const Complete& complete) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(key, make()).first;
    complete(it->second);
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<Key, Entry, KeyHash<N>> entries_;
};

/// Runs `prim` with `args` (DNNL_ARG_* → data laid out as `pd` expects for that argument) and a
/// scratchpad allocated from `cpu`'s allocator; waits for it.
void run(Backend& cpu, const dnnl::primitive& prim, const dnnl::primitive_desc& pd,
         const std::vector<std::pair<int, void*>>& args);

}  // namespace ignis::backend::onednn

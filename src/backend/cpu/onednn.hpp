#pragma once
// What the CPU backend's oneDNN primitives share: the engine, a hash for the arrays of sizes
// that key the primitive caches, and running a primitive on plain tensors with a scratchpad
// from the CPU allocator (primitives are created with scratchpad_mode::user, so that cached
// primitives may run from several threads at once).
#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <cstdint>
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

/// Runs `prim` with `args` (DNNL_ARG_* → data laid out as `pd` expects for that argument) and a
/// scratchpad allocated from `cpu`'s allocator; waits for it.
void run(Backend& cpu, const dnnl::primitive& prim, const dnnl::primitive_desc& pd,
         const std::vector<std::pair<int, void*>>& args);

}  // namespace ignis::backend::onednn

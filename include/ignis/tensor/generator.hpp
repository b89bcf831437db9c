#pragma once
// The random number generator: Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC'11), counter-based. Element i of a random op is computed from (seed, offset
// + block(i)) alone, so the CPU and the GPU produce the same stream for the same seed.
#include <cstdint>
#include <mutex>

namespace ignis {

/// A position in a Philox stream: the key (seed) and the number of 128-bit blocks consumed.
struct PhiloxState {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  friend bool operator==(const PhiloxState&, const PhiloxState&) = default;
};

class Generator {
 public:
  /// PyTorch's default seed, so an unseeded run is reproducible.
  static constexpr std::uint64_t kDefaultSeed = 67280421310721ULL;

  explicit Generator(std::uint64_t seed = kDefaultSeed) : state_{seed, 0} {}

  /// Restarts the stream from the beginning for this seed.
  void manual_seed(std::uint64_t seed);
  std::uint64_t seed() const;

  /// The whole state, to save in a checkpoint and restore with set_state.
  PhiloxState state() const;
  void set_state(PhiloxState state);

  /// Reserves `blocks` consecutive Philox blocks and returns where they start (thread-safe).
  PhiloxState reserve(std::uint64_t blocks);

 private:
  mutable std::mutex mutex_;
  PhiloxState state_;
};

/// The generator used when a random op is given none.
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(std::uint64_t seed);

}  // namespace ignis

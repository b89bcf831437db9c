#pragma once
// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC'11; constants from the Random123 library) and the conversions from its 32-bit words to
// uniform, normal and integer values. Block b of a stream with seed s is
// philox(counter = {lo(b), hi(b), 0, 0}, key = {lo(s), hi(s)}); a random op producing n values
// uses blocks offset .. offset + ceil(n / values_per_block) - 1, on every device alike.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ignis/core/host_device.hpp"
#include "op_kinds.hpp"

namespace ignis::kernels {

struct PhiloxBlock {
  std::uint32_t w[4];
};

IGNIS_HOST_DEVICE inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, std::uint32_t k0,
                                                   std::uint32_t k1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * ctr.w[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * ctr.w[2];
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    ctr = PhiloxBlock{{hi1 ^ ctr.w[1] ^ k0, lo1, hi0 ^ ctr.w[3] ^ k1, lo0}};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

IGNIS_HOST_DEVICE inline PhiloxBlock philox_block(std::uint64_t seed, std::uint64_t block) {
  return philox4x32_10(
      PhiloxBlock{{static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0u, 0u}},
      static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

/// [0, 1) with 24 random bits (float) or from 32 bits (as double).
IGNIS_HOST_DEVICE inline float uniform24(std::uint32_t w) {
  return static_cast<float>(w >> 8) * (1.0f / 16777216.0f);
}
/// [0, 1) with 53 random bits from two words.
IGNIS_HOST_DEVICE inline double uniform53(std::uint32_t a, std::uint32_t b) {
  return (static_cast<double>(a >> 5) * 67108864.0 + static_cast<double>(b >> 6)) *
         (1.0 / 9007199254740992.0);
}
/// (0, 1] from 32 bits, safe for log().
IGNIS_HOST_DEVICE inline double uniform_open0(std::uint32_t w) {
  return (static_cast<double>(w) + 1.0) * (1.0 / 4294967296.0);
}

/// Values one Philox block yields: 4 floats, or 2 doubles or 64-bit integers.
IGNIS_HOST_DEVICE constexpr int values_per_block(RandomOp op, bool is_float64) {
  return (op == RandomOp::kRandint || is_float64) ? 2 : 4;
}

/// Fills out[0 .. per_block<T>()) from one block. Box-Muller is evaluated in double for every
/// dtype so that the CPU and GPU agree to the last bit of a float.
struct RandomFromBlock {
  RandomOp op;
  RandomParams p;

  template <class T>
  IGNIS_HOST_DEVICE static constexpr int per_block(RandomOp op) {
    return values_per_block(op, std::is_same_v<T, double>);
  }

  template <class T>
  IGNIS_HOST_DEVICE void operator()(const PhiloxBlock& r, T* out) const {
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    if (op == RandomOp::kRandint) {
      const auto range = static_cast<std::uint64_t>(p.ib - p.ia);
      for (int j = 0; j < 2; ++j) {
        const std::uint64_t u = (static_cast<std::uint64_t>(r.w[2 * j]) << 32) | r.w[2 * j + 1];
        out[j] = static_cast<T>(p.ia + static_cast<std::int64_t>(u % range));
      }
    } else if constexpr (std::is_same_v<T, double>) {
      const double u0 = uniform53(r.w[0], r.w[1]);
      const double u1 = uniform53(r.w[2], r.w[3]);
      if (op == RandomOp::kUniform) {
        const double v0 = p.a + u0 * (p.b - p.a), v1 = p.a + u1 * (p.b - p.a);
        out[0] = v0 >= p.b ? p.a : v0;  // rounding must not reach b
        out[1] = v1 >= p.b ? p.a : v1;
      } else {
        const double radius = std::sqrt(-2.0 * std::log(1.0 - u0));  // 1 - u0 in (0, 1]
        out[0] = p.a + p.b * radius * std::cos(kTwoPi * u1);
        out[1] = p.a + p.b * radius * std::sin(kTwoPi * u1);
      }
    } else {
      if (op == RandomOp::kUniform) {
        for (int j = 0; j < 4; ++j) {
          const T v = static_cast<T>(p.a + static_cast<double>(uniform24(r.w[j])) * (p.b - p.a));
          out[j] = v >= static_cast<T>(p.b) ? static_cast<T>(p.a) : v;  // rounding must not reach b
        }
      } else {
        for (int j = 0; j < 4; j += 2) {
          const double radius = std::sqrt(-2.0 * std::log(uniform_open0(r.w[j])));
          const double theta = kTwoPi * (static_cast<double>(r.w[j + 1]) * (1.0 / 4294967296.0));
          out[j] = static_cast<T>(p.a + p.b * radius * std::cos(theta));
          out[j + 1] = static_cast<T>(p.a + p.b * radius * std::sin(theta));
        }
      }
    }
  }
};

}  // namespace ignis::kernels

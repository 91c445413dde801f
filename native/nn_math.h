// Per-element math shared by the CPU and CUDA kernels of nn.h and loss.h, so both backends
// compute the same formulas and draw the same dropout masks (from the key that the dropout
// binding derives with dropout_key).
#pragma once
#include <cstdint>

#include "elementwise_ops.h"  // LC_HD, stable_sigmoid

namespace lc {

// splitmix64's finaliser: a bijective 64-bit mix with good avalanche.
LC_HD inline uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The per-call key of dropout: seeds that differ in one bit give unrelated masks.
inline uint64_t dropout_key(uint64_t seed) { return mix64(seed + 0x632be59bd9b4e019ULL); }

// Whether element i survives: the top 32 bits of a hash of (key, i), compared in integers so
// both backends decide alike.
LC_HD inline bool dropout_keep(uint64_t key, int64_t i, uint32_t threshold) {
  return uint32_t(mix64(key + uint64_t(i) * 0x9e3779b97f4a7c15ULL) >> 32) >= threshold;
}

// An index stored as a float (embedding row, class label) as an integer, or -1 when it is not
// in [0, V) (NaN included): kernels never follow an index out of their buffers.
LC_HD inline int64_t index_in_range(float index, int64_t V) {
  return index >= 0.0f && double(index) < double(V) ? int64_t(index) : -1;
}

// GLU's two halves at one position: out = a * s, da = dy * s, db = dy * a * s * (1 - s).
struct GluGrad {
  float da, db;
};
LC_HD inline GluGrad glu_grad(float a, float b, float dy) {
  float s = stable_sigmoid(b);
  return {dy * s, dy * a * s * (1.0f - s)};
}

}  // namespace lc

// The index arithmetic of the SGConv kernel (native/sgconv.h), shared by the CPU kernels and,
// compiled as __host__ __device__, by the CUDA kernels, so both backends compute the same sums.
//
// Layout of the concatenation: segment 0 (sub-kernel 0, scale s_0 = 2^initScale) covers
// [0, d*s_0); segment i >= 1 (scale s_i = 2^(i-1+initScale)) covers [d*s_i, 2*d*s_i). So the
// total length is T = d*2^(S-1+initScale) and position t lies in segment bit_length(t / (d*s_0)).
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace lc {
namespace sgconv {

LC_HOST_DEVICE inline int64_t scale_of(int64_t i, int64_t initScale) {
  return int64_t(1) << ((i > 0 ? i - 1 : 0) + initScale);
}

LC_HOST_DEVICE inline int64_t offset_of(int64_t i, int64_t d, int64_t initScale) {
  return i == 0 ? 0 : d * scale_of(i, initScale);
}

LC_HOST_DEVICE inline int64_t total_length(int64_t S, int64_t d, int64_t initScale) {
  return d << (S - 1 + initScale);
}

// The segment holding position t of the concatenation (t < T).
LC_HOST_DEVICE inline int64_t segment_of(int64_t t, int64_t d, int64_t initScale) {
  const int64_t q = t / (d << initScale);
  int64_t i = 0;
  while (q >> i) ++i;
  return i;
}

// How many samples of segment i survive the cut to min(L, T).
LC_HOST_DEVICE inline int64_t kept_in_segment(int64_t i, int64_t d, int64_t initScale, int64_t L) {
  const int64_t length = d * scale_of(i, initScale);
  const int64_t room = L - offset_of(i, d, initScale);
  return room <= 0 ? 0 : (room < length ? room : length);
}

// multiplier^(S-1-i), the decay of segment i.
LC_HOST_DEVICE inline float decay_of(float multiplier, int64_t S, int64_t i) {
  return static_cast<float>(::pow(static_cast<double>(multiplier), static_cast<double>(S - 1 - i)));
}

// Output j of a length-d signal upsampled by the integer factor s reads taps i0 and i1 with
// weights 1-lambda and lambda: source index (j+0.5)/s - 0.5 = (2j+1-s)/(2s), clamped at 0,
// evaluated in integers so that it is exact for any s.
struct Taps {
  int64_t i0, i1;
  float lambda;
};

LC_HOST_DEVICE inline Taps taps_of(int64_t j, int64_t s, int64_t d) {
  const int64_t numerator = 2 * j + 1 - s;
  if (numerator <= 0) return {0, d > 1 ? 1 : 0, 0.f};
  const int64_t i0 = numerator / (2 * s);
  const float lambda = static_cast<float>(numerator - 2 * s * i0) / static_cast<float>(2 * s);
  return {i0, i0 + 1 < d ? i0 + 1 : d - 1, lambda};
}

LC_HOST_DEVICE inline float upsampled(const float* w, int64_t j, int64_t s, int64_t d) {
  const Taps p = taps_of(j, s, d);
  return (1.f - p.lambda) * w[p.i0] + p.lambda * w[p.i1];
}

// The adjoint of upsampled for tap p: sum over the outputs j < kept that read tap p of
// dyRow[offset + j] times their weight on p. Only outputs with source index in (p-1, p+1) (or clamped to 0
// when p = 0) read p: j in [ceil((2s(p-1)+s-1)/2), ceil((2s(p+1)+s-1)/2)), at most 2s of them.
LC_HOST_DEVICE inline float tap_gradient(const float* dyRow, int64_t offset, int64_t p, int64_t s,
                                         int64_t d, int64_t kept) {
  const int64_t lowTwice = 2 * s * (p - 1) + s - 1, highTwice = 2 * s * (p + 1) + s - 1;
  int64_t begin = lowTwice <= 0 ? 0 : (lowTwice + 1) / 2;
  int64_t end = (highTwice + 1) / 2;
  if (end > kept) end = kept;
  float sum = 0.f;
  for (int64_t j = begin; j < end; ++j) {
    const Taps q = taps_of(j, s, d);
    if (q.i0 == p) sum += (1.f - q.lambda) * dyRow[offset + j];
    if (q.i1 == p) sum += q.lambda * dyRow[offset + j];
  }
  return sum;
}

}  // namespace sgconv
}  // namespace lc

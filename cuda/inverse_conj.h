// d / |d|^2 = 1 / conj(d) in float, for cuda/cauchy.cu. Host and device code, so the CPU tests
// it (test/native/cuda_host_test.cc).
#pragma once
#include <cmath>

#include "host_device.h"

namespace lc {

// |d|^2 itself would overflow or underflow in float for |d| beyond about [1e-19, 1.8e19] (the
// CPU backend works in double). Scaled by the larger component s first,
//   d / |d|^2 = (d/s) * (1/s) / |d/s|^2,  |d/s|^2 in [1, 2],
// it stays finite wherever the result fits a float.
LC_HOST_DEVICE inline void inverse_conj(float dr, float di, float& re, float& im) {
  const float rs = 1.f / fmaxf(fabsf(dr), fabsf(di));
  const float a = dr * rs, b = di * rs;
  const float q = rs / (a * a + b * b);
  re = a * q;
  im = b * q;
}

}  // namespace lc

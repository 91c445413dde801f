// Complex DFT of ANY length n on kFftLanes lane-interleaved rows (layout of native/fft.h):
// the Stockham FFT itself when n is 5-smooth, otherwise Bluestein's chirp z-transform,
//   X[k] = c_k * sum_j (x_j c_j) conj(c_{k-j}),   c_j = exp(-i pi j^2 / n),
// i.e. a circular convolution of 5-smooth length m >= 2n-1 done with two FFTs of length m.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "fft.h"

namespace lc {

struct DftPlan {
  int64_t n = 0;
  int64_t m = 0;                 // length of the underlying complex FFT: n, or Bluestein's m
  std::shared_ptr<const FftPlan> fft;  // fft_plan(2m): a complex FFT of length m
  bool bluestein = false;
  std::vector<float> chirp;   // n pairs c_j (computed in double, j^2 reduced mod 2n exactly)
  std::vector<float> kernel;  // m pairs: FFT_m of the wrapped conj(c), divided by m
};

// The cached plan for length n >= 1 (native/plan_cache.h). Thread-safe; hold the pointer while
// the plan is in use.
std::shared_ptr<const DftPlan> dft_plan(int64_t n);

// Floats of work space for dft_rows (2m lane-interleaved elements).
int64_t dft_work_floats(const DftPlan& plan);

// out[k] = sum_{j<n} in[j] exp(-2 pi i jk/n) for k < count (<= n), unnormalised, on all
// kFftLanes lanes. `in` holds n elements and is not modified.
void dft_rows(const DftPlan& plan, const float* in, int64_t count, float* out, float* work);

}  // namespace lc

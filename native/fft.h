// Real-input FFT of any even 5-smooth length n, written for the CPU fftConv kernels.
//
// Rows are transformed kFftLanes at a time, interleaved so that every butterfly is plain
// vertical SIMD across rows (no shuffles, any radix). A "lane-interleaved complex element"
// is 2*kFftLanes floats: re[0..8) then im[0..8), one lane per row.
//
// The real transform of length n runs as a complex FFT of length m = n/2 on
// z[j] = x[2j] + i x[2j+1] (mixed-radix 4/2/3/5 Stockham autosort, out-of-place ping-pong),
// followed by the standard split into the half spectrum X[0..m] (m+1 bins).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace lc {

constexpr int kFftLanes = 8;
constexpr int kCxFloats = 2 * kFftLanes;  // floats per lane-interleaved complex element

// Factorisation and twiddle tables for one length n (even, 5-smooth). Built once, cached.
struct FftPlan {
  // One Stockham pass: `len`-point sub-transforms, `stride` of them interleaved.
  struct Pass {
    int radix;
    int64_t len, stride;
    int64_t twiddle;  // offset into twiddles: (len/radix) x (radix-1) complex w_len^(p*t)
  };
  int64_t n = 0, m = 0;
  std::vector<Pass> passes;
  std::vector<float> twiddles;  // {re, im} pairs, forward sign e^{-2 pi i ...}
  std::vector<float> post;      // m+1 pairs: -i/2 * w_n^k, splits Z into X (forward)
  std::vector<float> pre;       // m pairs: i * conj(w_n^k), merges X into Z (inverse)
};

// The cached plan for length n (native/plan_cache.h); throws lc::Error unless n is even,
// positive and 5-smooth. Thread-safe; hold the pointer while the plan is in use.
// fft_plan(2 * m) also serves complex transforms of any 5-smooth length m (its plan.m).
std::shared_ptr<const FftPlan> fft_plan(int64_t n);

// The smallest 5-smooth (2^a 3^b 5^c) integer >= v (v >= 1).
int64_t next_5smooth(int64_t v);

// The hot loops, compiled twice (AVX2+FMA and baseline x86-64) from native/fft_kernels.inl.
// Buffers hold lane-interleaved complex elements; none needs any particular alignment.
struct FftKernels {
  // Unnormalised complex FFT of length plan.m of `a`, using `scratch` (m elements) as the
  // ping-pong partner; `a` is clobbered. Returns whichever of the two holds the result.
  float* (*complex_fft)(const FftPlan& plan, float* a, float* scratch, bool inverse);
  // z (m elements, FFT of the packed real rows) -> X (m+1 bins of the real FFT).
  void (*real_post)(const FftPlan& plan, const float* z, float* X);
  // X (m+1 bins) -> Z (m elements) whose unnormalised inverse complex FFT is n * x, packed.
  // When K is not null, the bins used are X*K (fusing the product of spectra).
  void (*real_pre)(const FftPlan& plan, const float* X, const float* K, float* Z);
  // Packs `lanes` rows (row i at src + i*row_stride, `count` samples, zero padded to 2m) into
  // z[j] = x[2j] + i x[2j+1]; unused lanes are zero.
  void (*load_rows)(const float* src, int64_t row_stride, int lanes, int64_t count, int64_t m,
                    float* z);
  // Unpacks the first `count` real samples of packed z into `lanes` rows, times `scale`.
  void (*store_rows)(const float* z, float scale, float* dst, int64_t row_stride, int lanes,
                     int64_t count);
  // acc[j] += a[j] * conj(b[j]) over `len` elements.
  void (*mul_conj_acc)(const float* a, const float* b, int64_t len, float* acc);
};

namespace fft_avx2 {
const FftKernels& kernels();
}
namespace fft_generic {
const FftKernels& kernels();
}
// The AVX2+FMA kernels when this CPU has both, else the baseline ones. Chosen once.
const FftKernels& fft_kernels();

// Floats of work space that rfft_rows / irfft_rows need for length n (2 * m elements).
int64_t fft_work_floats(int64_t n);

// Forward real FFT of `lanes` (<= kFftLanes) rows of `count` (<= n) samples, zero padded to n:
// row i starts at src + i*row_stride. X receives the m+1 bins, lane-interleaved.
void rfft_rows(const FftPlan& plan, const float* src, int64_t row_stride, int lanes,
               int64_t count, float* X, float* work);
// Inverse: writes the first `count` samples of scale * n * irfft(X*K) (numpy's irfft, which
// divides by n; K null means all ones) to each of `lanes` rows.
void irfft_rows(const FftPlan& plan, const float* X, const float* K, float scale, float* dst,
                int64_t row_stride, int lanes, int64_t count, float* work);

}  // namespace lc

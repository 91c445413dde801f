// CPU half of native/rfft.h. Rows go kFftLanes at a time through the lane-interleaved FFT of
// native/fft.h: even 5-smooth n uses its real transform (a half-length complex FFT); any other
// n a complex DFT of length n (native/dft.h: direct, or Bluestein) of the real rows, or of the
// Hermitian-extended spectrum for the inverse.
#include <algorithm>
#include <string>

#include "dft.h"
#include "errors.h"
#include "fft.h"
#include "rfft.h"
#include "storage.h"
#include "thread_pool.h"

namespace lc {
namespace {

// DC and (even n) Nyquist: bins that appear once in the full spectrum, whose imaginary parts
// are zero for real signals and ignored by the inverse.
bool self_conjugate(int64_t k, int64_t n) { return k == 0 || 2 * k == n; }
float hermitian_weight(int64_t k, int64_t n) { return self_conjugate(k, n) ? 1.0f : 2.0f; }

// The transforms of one length n, for one group of up to kFftLanes rows at a time.
class RealTransform {
 public:
  explicit RealTransform(int64_t n)
      : n_(n),
        bins_(n / 2 + 1),
        real_(n % 2 == 0 && next_5smooth(n / 2) == n / 2 ? fft_plan(n) : nullptr),
        dft_(real_ ? nullptr : dft_plan(n)) {}

  int64_t bins() const { return bins_; }

  // Floats of work space that one thread needs for forward and inverse, laid out as
  // [nb bins][the real FFT's work | two length-n complex buffers, then dft_rows' work].
  int64_t work_floats() const {
    return bins_ * kCxFloats +
           (real_ ? fft_work_floats(n_) : 2 * n_ * kCxFloats + dft_work_floats(*dft_));
  }
  // The lane-interleaved bins within the work space (both directions use it).
  float* spectrum(float* work) const { return work; }

  // spectrum(work) = the nb bins of the DFT of `count` (<= n) samples of each row (zero
  // padded to n); unused lanes get zeros.
  void forward(const float* src, int64_t stride, int lanes, int64_t count, float* work) const {
    float* X = spectrum(work);
    float* rest = X + bins_ * kCxFloats;
    if (real_) return rfft_rows(*real_, src, stride, lanes, count, X, rest);
    float* signal = rest;
    std::fill(signal, signal + n_ * kCxFloats, 0.0f);
    for (int lane = 0; lane < lanes; ++lane)
      for (int64_t j = 0; j < count; ++j) signal[j * kCxFloats + lane] = src[lane * stride + j];
    dft_rows(*dft_, signal, bins_, X, rest + 2 * n_ * kCxFloats);
  }

  // The first `count` (<= n) samples of sum_{k<nb} c_k Re(X_k exp(2 pi i jk/n)) from
  // X = spectrum(work), whose DC and Nyquist bins must be real, into each row.
  void inverse(float* dst, int64_t stride, int lanes, int64_t count, float* work) const {
    const float* X = spectrum(work);
    float* rest = work + bins_ * kCxFloats;
    if (real_) return irfft_rows(*real_, X, nullptr, 1.0f, dst, stride, lanes, count, rest);
    // The real part of the inverse DFT of the full spectrum Y is the real part of the forward
    // DFT of conj(Y); conj(Y)_k = conj(X_k) for k < nb and conj(Y)_{n-k} = X_k.
    float* conj_full = rest;
    float* signal = conj_full + n_ * kCxFloats;
    for (int64_t k = 0; k < bins_; ++k) {
      const float* bin = X + k * kCxFloats;
      float* low = conj_full + k * kCxFloats;
      float* high = conj_full + (n_ - k) * kCxFloats;
      for (int lane = 0; lane < kFftLanes; ++lane) {
        low[lane] = bin[lane];
        low[lane + kFftLanes] = -bin[lane + kFftLanes];
        if (k > 0 && n_ - k > k) {
          high[lane] = bin[lane];
          high[lane + kFftLanes] = bin[lane + kFftLanes];
        }
      }
    }
    dft_rows(*dft_, conj_full, count, signal, rest + 2 * n_ * kCxFloats);
    for (int lane = 0; lane < lanes; ++lane)
      for (int64_t j = 0; j < count; ++j) dst[lane * stride + j] = signal[j * kCxFloats + lane];
  }

 private:
  int64_t n_, bins_;
  std::shared_ptr<const FftPlan> real_;  // even 5-smooth n
  std::shared_ptr<const DftPlan> dft_;   // any other n
};

// Runs fn(group, lanes, work) over the groups of kFftLanes rows, in parallel.
template <typename Fn>
void for_each_group(int64_t rows, int64_t work_floats, const Fn& fn) {
  const int64_t groups = (rows + kFftLanes - 1) / kFftLanes;
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    WorkBuffer work(work_floats);
    for (int64_t g = begin; g < end; ++g)
      fn(g, static_cast<int>(std::min<int64_t>(kFftLanes, rows - g * kFftLanes)), work.data());
  });
}

}  // namespace

void rfft_cpu(const float* x, float* out, int64_t rows, int64_t L, int64_t n, int64_t bins,
              bool adjoint) {
  if (rows == 0 || bins == 0) return;
  const RealTransform transform(n);
  const int64_t kept = std::min(bins, transform.bins());
  for_each_group(rows, transform.work_floats(), [&](int64_t g, int lanes, float* work) {
    transform.forward(x + g * kFftLanes * L, L, lanes, std::min(L, n), work);
    const float* X = transform.spectrum(work);
    float* rows_out = out + g * kFftLanes * bins * 2;
    // Bins outer, lanes inner: X is read once, in order (one bin is one cache line), and each
    // row is written in order; lanes outer would sweep all of X once per lane.
    for (int64_t k = 0; k < kept; ++k) {
      const float w = adjoint ? hermitian_weight(k, n) / static_cast<float>(n) : 1.0f;
      const bool real_only = adjoint && self_conjugate(k, n);
      const float* bin = X + k * kCxFloats;
      for (int lane = 0; lane < lanes; ++lane) {
        float* row = rows_out + lane * bins * 2;
        row[2 * k] = bin[lane] * w;
        row[2 * k + 1] = real_only ? 0.0f : bin[kFftLanes + lane] * w;
      }
    }
    for (int lane = 0; lane < lanes; ++lane)
      std::fill(rows_out + lane * bins * 2 + 2 * kept, rows_out + (lane + 1) * bins * 2, 0.0f);
  });
}

void irfft_cpu(const float* X, float* out, int64_t rows, int64_t m, int64_t n, int64_t len,
               bool adjoint) {
  if (rows == 0 || len == 0) return;
  const RealTransform transform(n);
  const int64_t bins = transform.bins(), kept = std::min(m, bins), count = std::min(len, n);
  for_each_group(rows, transform.work_floats(), [&](int64_t g, int lanes, float* work) {
    float* spectrum = transform.spectrum(work);
    const float* rows_in = X + g * kFftLanes * m * 2;
    // Bins outer, lanes inner (as rfft_cpu): each bin's cache line is written once, whole.
    for (int64_t k = 0; k < kept; ++k) {
      // The transform applies c_k; forward divides by n, the adjoint cancels c_k instead.
      const float v = adjoint ? 1.0f / hermitian_weight(k, n) : 1.0f / static_cast<float>(n);
      const bool real_only = self_conjugate(k, n);
      float* bin = spectrum + k * kCxFloats;
      for (int lane = 0; lane < kFftLanes; ++lane) {
        const bool used = lane < lanes;
        bin[lane] = used ? rows_in[lane * m * 2 + 2 * k] * v : 0.0f;
        bin[kFftLanes + lane] = used && !real_only ? rows_in[lane * m * 2 + 2 * k + 1] * v : 0.0f;
      }
    }
    std::fill(spectrum + kept * kCxFloats, spectrum + bins * kCxFloats, 0.0f);
    float* dst = out + g * kFftLanes * len;
    transform.inverse(dst, len, lanes, count, work);
    for (int lane = 0; lane < lanes; ++lane)
      std::fill(dst + lane * len + count, dst + (lane + 1) * len, 0.0f);
  });
}

}  // namespace lc

#include "dft.h"

#include <cmath>
#include <cstring>
#include <memory>

#include "errors.h"
#include "plan_cache.h"

namespace lc {
namespace {

// out = a * (wr + i wi) on every lane of one lane-interleaved element (out may alias a).
inline void mul_element(const float* a, float wr, float wi, float* out) {
  for (int lane = 0; lane < kFftLanes; ++lane) {
    const float re = a[lane], im = a[lane + kFftLanes];
    out[lane] = re * wr - im * wi;
    out[lane + kFftLanes] = re * wi + im * wr;
  }
}

std::unique_ptr<DftPlan> build_plan(int64_t n) {
  auto plan = std::make_unique<DftPlan>();
  plan->n = n;
  plan->bluestein = next_5smooth(n) != n;
  plan->m = plan->bluestein ? next_5smooth(2 * n - 1) : n;
  plan->fft = fft_plan(2 * plan->m);
  if (!plan->bluestein) return plan;

  const int64_t m = plan->m;
  // c_j = exp(-i pi j^2/n) depends on j^2 mod 2n only; (j+1)^2 = j^2 + 2j + 1 keeps it exact.
  std::vector<double> re(n), im(n);
  for (int64_t j = 0, r = 0; j < n; r = (r + 2 * j + 1) % (2 * n), ++j) {
    const double angle = -M_PI * static_cast<double>(r) / static_cast<double>(n);
    re[j] = std::cos(angle);
    im[j] = std::sin(angle);
    plan->chirp.push_back(static_cast<float>(re[j]));
    plan->chirp.push_back(static_cast<float>(im[j]));
  }
  // The convolution kernel conj(c_{|d|}) for d in (-n, n), wrapped modulo m (m >= 2n-1 keeps
  // d and d-m apart), transformed once in lane 0 of the FFT's layout.
  std::vector<float> buffer(2 * m * kCxFloats, 0.0f);
  float* a = buffer.data();
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t at : {j, (m - j) % m}) {
      a[at * kCxFloats] = static_cast<float>(re[j]);
      a[at * kCxFloats + kFftLanes] = static_cast<float>(-im[j]);
    }
  }
  const float* spectrum = fft_kernels().complex_fft(*plan->fft, a, a + m * kCxFloats, false);
  const double inv_m = 1.0 / static_cast<double>(m);  // the inverse FFT's normalisation
  for (int64_t k = 0; k < m; ++k) {
    plan->kernel.push_back(static_cast<float>(spectrum[k * kCxFloats] * inv_m));
    plan->kernel.push_back(static_cast<float>(spectrum[k * kCxFloats + kFftLanes] * inv_m));
  }
  return plan;
}

// Its own tables; the FFT plan it runs on is a cache entry of its own.
int64_t plan_bytes(const DftPlan& plan) {
  return int64_t(sizeof(float) * (plan.chirp.size() + plan.kernel.size()) + sizeof(DftPlan));
}

}  // namespace

std::shared_ptr<const DftPlan> dft_plan(int64_t n) {
  if (n < 1) throw Error("DFT length must be positive");
  return cached_plan(n, build_plan, plan_bytes, "DFT plan: out of memory");
}

int64_t dft_work_floats(const DftPlan& plan) { return 2 * plan.m * kCxFloats; }

void dft_rows(const DftPlan& plan, const float* in, int64_t count, float* out, float* work) {
  const FftKernels& kern = fft_kernels();
  const int64_t n = plan.n, m = plan.m;
  float* a = work;
  float* scratch = work + m * kCxFloats;
  if (!plan.bluestein) {
    std::memcpy(a, in, sizeof(float) * n * kCxFloats);
    const float* result = kern.complex_fft(*plan.fft, a, scratch, false);
    std::memcpy(out, result, sizeof(float) * count * kCxFloats);
    return;
  }
  const float* chirp = plan.chirp.data();
  const float* kernel = plan.kernel.data();
  for (int64_t j = 0; j < n; ++j)
    mul_element(in + j * kCxFloats, chirp[2 * j], chirp[2 * j + 1], a + j * kCxFloats);
  std::memset(a + n * kCxFloats, 0, sizeof(float) * (m - n) * kCxFloats);
  float* spectrum = kern.complex_fft(*plan.fft, a, scratch, false);
  for (int64_t k = 0; k < m; ++k)
    mul_element(spectrum + k * kCxFloats, kernel[2 * k], kernel[2 * k + 1], spectrum + k * kCxFloats);
  float* other = spectrum == a ? scratch : a;
  const float* conv = kern.complex_fft(*plan.fft, spectrum, other, true);
  for (int64_t k = 0; k < count; ++k)
    mul_element(conv + k * kCxFloats, chirp[2 * k], chirp[2 * k + 1], out + k * kCxFloats);
}

}  // namespace lc

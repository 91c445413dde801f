#include "fft.h"

#include <cmath>
#include <memory>

#include "cpu_simd.h"
#include "errors.h"
#include "plan_cache.h"
#include "fftconv.h"

namespace lc {
namespace {

// Radix-4 passes first (fewest passes, cheapest butterflies), then the leftover 2, 3s and 5s.
std::vector<int> factorise(int64_t m) {
  std::vector<int> radices;
  while (m % 4 == 0) radices.push_back(4), m /= 4;
  while (m % 2 == 0) radices.push_back(2), m /= 2;
  while (m % 3 == 0) radices.push_back(3), m /= 3;
  while (m % 5 == 0) radices.push_back(5), m /= 5;
  if (m != 1) throw Error("FFT length is not 5-smooth");
  return radices;
}

void push_unit_root(std::vector<float>& table, int64_t num, int64_t den) {
  // Reduced index keeps the angle small, so double precision twiddles round to exact floats.
  const double angle = -2.0 * M_PI * static_cast<double>(num % den) / static_cast<double>(den);
  table.push_back(static_cast<float>(std::cos(angle)));
  table.push_back(static_cast<float>(std::sin(angle)));
}

std::unique_ptr<FftPlan> build_plan(int64_t n) {
  auto plan = std::make_unique<FftPlan>();
  plan->n = n;
  plan->m = n / 2;
  const int64_t m = plan->m;
  // Decimation in frequency: pass i turns `len`-point transforms (stride of them) into
  // len/radix-point ones, so len shrinks and stride grows by the radix each pass.
  int64_t len = m, stride = 1;
  for (int radix : factorise(m)) {
    FftPlan::Pass pass{radix, len, stride, static_cast<int64_t>(plan->twiddles.size())};
    for (int64_t p = 0; p < len / radix; ++p)
      for (int t = 1; t < radix; ++t) push_unit_root(plan->twiddles, p * t, len);
    plan->passes.push_back(pass);
    len /= radix;
    stride *= radix;
  }
  for (int64_t k = 0; k <= m; ++k) {
    const double angle = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(n);
    // -i/2 * w^k = (sin/2, -cos/2)
    plan->post.push_back(static_cast<float>(0.5 * std::sin(angle)));
    plan->post.push_back(static_cast<float>(-0.5 * std::cos(angle)));
    if (k < m) {
      // i * conj(w^k) = i (cos - i sin) = (sin, cos)
      plan->pre.push_back(static_cast<float>(std::sin(angle)));
      plan->pre.push_back(static_cast<float>(std::cos(angle)));
    }
  }
  return plan;
}

}  // namespace

int64_t next_5smooth(int64_t v) {
  int64_t best = INT64_MAX;
  for (int64_t p2 = 1;; p2 *= 2) {
    for (int64_t p3 = p2;; p3 *= 3) {
      int64_t p5 = p3;
      while (p5 < v) p5 *= 5;
      if (p5 < best) best = p5;
      if (p3 >= v) break;
    }
    if (p2 >= v) break;
  }
  return best;
}

int64_t fftconv_size(int64_t L) {
  if (L < 1) throw Error("fftconv_size: L must be positive");
  // n even and 5-smooth <=> n/2 is 5-smooth.
  return 2 * next_5smooth(L);
}

namespace {

int64_t plan_bytes(const FftPlan& plan) {
  return int64_t(sizeof(float) * (plan.twiddles.size() + plan.post.size() + plan.pre.size()) +
                 sizeof(FftPlan::Pass) * plan.passes.size() + sizeof(FftPlan));
}

}  // namespace

std::shared_ptr<const FftPlan> fft_plan(int64_t n) {
  if (n < 2 || n % 2 != 0) throw Error("FFT length must be even and positive");
  return cached_plan(n, build_plan, plan_bytes, "FFT plan: out of memory");
}

const FftKernels& fft_kernels() {
  static const FftKernels& chosen = cpu_has_avx2_fma() ? fft_avx2::kernels() : fft_generic::kernels();
  return chosen;
}

int64_t fft_work_floats(int64_t n) { return 2 * (n / 2) * kCxFloats; }

void rfft_rows(const FftPlan& plan, const float* src, int64_t row_stride, int lanes,
               int64_t count, float* X, float* work) {
  const FftKernels& k = fft_kernels();
  float* z = work;
  float* scratch = work + plan.m * kCxFloats;
  k.load_rows(src, row_stride, lanes, count, plan.m, z);
  k.real_post(plan, k.complex_fft(plan, z, scratch, false), X);
}

void irfft_rows(const FftPlan& plan, const float* X, const float* K, float scale, float* dst,
                int64_t row_stride, int lanes, int64_t count, float* work) {
  const FftKernels& k = fft_kernels();
  float* z = work;
  float* scratch = work + plan.m * kCxFloats;
  k.real_pre(plan, X, K, z);
  k.store_rows(k.complex_fft(plan, z, scratch, true), scale, dst, row_stride, lanes, count);
}

}  // namespace lc

// Standalone test of the CPU FFT (native/fft*.cc) and CPU fftConv kernels
// (native/fftconv_cpu.cc) against direct float64 sums. Target fft_test of CMakeLists.txt, built
// and run by scripts/test-native.sh (npm test).
// Exit status 0 when every check passes.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "errors.h"
#include "fft.h"
#include "fftconv.h"
#include "thread_pool.h"

namespace {

int failures = 0;
double worst_fft = 0, worst_conv = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s\n", what.c_str());
  }
}

// max |a - ref| / max |ref| (absolute when the reference is all zero).
template <typename A>
double rel_error(const A& a, const std::vector<double>& ref) {
  double err = 0, mag = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::fabs(double(a[i]) - ref[i]));
    mag = std::max(mag, std::fabs(ref[i]));
  }
  return mag > 0 ? err / mag : err;
}

std::vector<float> random_floats(size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

bool five_smooth(int64_t v) {
  for (int p : {2, 3, 5})
    while (v % p == 0) v /= p;
  return v == 1;
}

// Checks one kernel table at length n: forward bins against a direct DFT of zero-padded rows
// (several lane counts and row lengths), and the inverse against the direct inverse.
void test_fft_length(const lc::FftKernels& kern, const char* name, int64_t n, std::mt19937& rng) {
  const auto held_plan = lc::fft_plan(n);
  const lc::FftPlan& plan = *held_plan;
  const int64_t m = n / 2, bins = m + 1;
  std::vector<double> cos_table(n), sin_table(n);
  for (int64_t i = 0; i < n; ++i) {
    cos_table[i] = std::cos(2 * M_PI * double(i) / double(n));
    sin_table[i] = std::sin(2 * M_PI * double(i) / double(n));
  }
  std::vector<float> work(2 * m * lc::kCxFloats), X(bins * lc::kCxFloats), back(n * lc::kFftLanes);
  for (int64_t count : {n, (n + 1) / 2 | 1}) {
    if (count > n) continue;
    const int lanes = count == n ? lc::kFftLanes : 3;
    std::vector<float> rows = random_floats(size_t(lanes * n), rng);
    kern.load_rows(rows.data(), n, lanes, count, m, work.data());
    float* scratch = work.data() + m * lc::kCxFloats;
    kern.real_post(plan, kern.complex_fft(plan, work.data(), scratch, false), X.data());
    std::vector<double> ref(bins * lc::kCxFloats, 0.0);
    for (int lane = 0; lane < lanes; ++lane)
      for (int64_t k = 0; k < bins; ++k) {
        double re = 0, im = 0;
        for (int64_t t = 0; t < count; ++t) {
          const int64_t idx = (k * t) % n;
          re += rows[lane * n + t] * cos_table[idx];
          im -= rows[lane * n + t] * sin_table[idx];
        }
        ref[k * lc::kCxFloats + lane] = re;
        ref[k * lc::kCxFloats + lc::kFftLanes + lane] = im;
      }
    const double e_fwd = rel_error(X, ref);
    // Inverse of the reference spectrum must give back n times the (zero-padded) rows.
    std::vector<float> ref_f(ref.begin(), ref.end());
    kern.real_pre(plan, ref_f.data(), nullptr, work.data());
    kern.store_rows(kern.complex_fft(plan, work.data(), scratch, true), 1.0f / float(n),
                    back.data(), n, lanes, n);
    std::vector<double> expect(size_t(lanes * n), 0.0);
    for (int lane = 0; lane < lanes; ++lane)
      for (int64_t t = 0; t < count; ++t) expect[lane * n + t] = rows[lane * n + t];
    const double e_inv = rel_error(back, expect);
    worst_fft = std::max({worst_fft, e_fwd, e_inv});
    check(e_fwd < 1e-5 && e_inv < 1e-5,
          std::string(name) + " fft n=" + std::to_string(n) + " count=" + std::to_string(count) +
              " fwd " + std::to_string(e_fwd) + " inv " + std::to_string(e_inv));
  }
}

void test_fft() {
  std::mt19937 rng(1);
  std::vector<int64_t> lengths;
  for (int64_t n = 2; n <= 800; n += 2)
    if (five_smooth(n)) lengths.push_back(n);
  for (int64_t n : {1000, 1024, 1350, 1536, 2000, 2048, 2250, 3000, 3750, 4096, 4374, 4800, 5000})
    lengths.push_back(n);
  for (int64_t n : lengths) {
    test_fft_length(lc::fft_generic::kernels(), "generic", n, rng);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      test_fft_length(lc::fft_avx2::kernels(), "avx2", n, rng);
  }
  std::printf("fft: %zu lengths, worst relative error %.3g\n", lengths.size(), worst_fft);
  bool threw = false;
  try {
    lc::fft_plan(14);  // 7 is not a supported factor
  } catch (const lc::Error&) {
    threw = true;
  }
  check(threw, "fft_plan(14) throws");
  check(lc::fftconv_size(1) == 2 && lc::fftconv_size(7) == 16 && lc::fftconv_size(97) == 200 &&
            lc::fftconv_size(1000) == 2000 && lc::fftconv_size(4097) == 8640 &&
            lc::fftconv_size(65536) == 131072,
        "fftconv_size");
}

struct ConvOutputs {
  std::vector<float> y, du, dk, dkRev, dD;
};

ConvOutputs run_conv(const std::vector<float>& u, const std::vector<float>& k,
                     const std::vector<float>* kRev, const std::vector<float>* D,
                     const std::vector<float>& dy, int64_t B, int64_t C, int64_t H, int64_t L) {
  ConvOutputs out;
  std::vector<float> Kf(size_t(lc::fftconv_kernel_spectrum_floats_cpu(C, H, L)));
  std::vector<float> Uf(size_t(lc::fftconv_input_spectrum_floats_cpu(B, H, L)));
  lc::fftconv_kernel_spectrum_cpu(k.data(), kRev ? kRev->data() : nullptr, D ? D->data() : nullptr,
                                  Kf.data(), C, H, L);
  out.y.resize(size_t(B * C * H * L));
  lc::fftconv_forward_cpu(u.data(), Kf.data(), out.y.data(), Uf.data(), B, C, H, L);
  out.du.resize(size_t(B * H * L));
  out.dk.resize(size_t(C * H * L));
  out.dkRev.resize(size_t(C * H * L));
  out.dD.resize(size_t(C * H));
  lc::fftconv_backward_cpu(dy.data(), Kf.data(), Uf.data(), out.du.data(), out.dk.data(),
                           kRev ? out.dkRev.data() : nullptr, D ? out.dD.data() : nullptr, B, C, H, L);
  return out;
}

void test_conv_case(int64_t B, int64_t C, int64_t H, int64_t L, bool with_rev, bool with_d,
                    std::mt19937& rng) {
  const std::vector<float> u = random_floats(size_t(B * H * L), rng);
  const std::vector<float> k = random_floats(size_t(C * H * L), rng);
  const std::vector<float> kRev = random_floats(size_t(C * H * L), rng);
  const std::vector<float> D = random_floats(size_t(C * H), rng);
  const std::vector<float> dy = random_floats(size_t(B * C * H * L), rng);
  std::vector<double> y(B * C * H * L, 0.0), du(B * H * L, 0.0), dk(C * H * L, 0.0),
      dkRev(C * H * L, 0.0), dD(C * H, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h) {
        const float* ur = &u[(b * H + h) * L];
        const float* kr = &k[(c * H + h) * L];
        const float* rr = &kRev[(c * H + h) * L];
        const float* gr = &dy[((b * C + c) * H + h) * L];
        const double d = with_d ? D[c * H + h] : 0.0;
        double* yr = &y[((b * C + c) * H + h) * L];
        double* dur = &du[(b * H + h) * L];
        for (int64_t t = 0; t < L; ++t) {
          double acc = d * ur[t], acc_du = d * gr[t];
          for (int64_t s = 0; s <= t; ++s) acc += double(kr[s]) * ur[t - s];
          for (int64_t s = 0; s < L - t; ++s) acc_du += double(kr[s]) * gr[t + s];
          if (with_rev) {
            for (int64_t s = 1; s < L - t; ++s) acc += double(rr[s - 1]) * ur[t + s];
            for (int64_t s = 1; s <= t; ++s) acc_du += double(rr[s - 1]) * gr[t - s];
          }
          yr[t] = acc;
          dur[t] += acc_du;
          dD[c * H + h] += double(gr[t]) * ur[t];
        }
        for (int64_t s = 0; s < L; ++s) {
          double acc = 0, acc_rev = 0;
          for (int64_t t = s; t < L; ++t) acc += double(gr[t]) * ur[t - s];
          for (int64_t t = 0; t + s + 1 < L; ++t) acc_rev += double(gr[t]) * ur[t + s + 1];
          dk[(c * H + h) * L + s] += acc;
          dkRev[(c * H + h) * L + s] += acc_rev;
        }
      }
  lc::set_num_threads(1);
  const ConvOutputs one = run_conv(u, k, with_rev ? &kRev : nullptr, with_d ? &D : nullptr, dy,
                                   B, C, H, L);
  lc::set_num_threads(2);
  const ConvOutputs two = run_conv(u, k, with_rev ? &kRev : nullptr, with_d ? &D : nullptr, dy,
                                   B, C, H, L);
  const std::string tag = "conv B=" + std::to_string(B) + " C=" + std::to_string(C) +
                          " H=" + std::to_string(H) + " L=" + std::to_string(L) +
                          (with_rev ? " kRev" : "") + (with_d ? " D" : "");
  struct Named {
    const char* name;
    const std::vector<float>& got;
    const std::vector<double>& ref;
    const std::vector<float>& got2;
    bool used;
  };
  const Named outs[] = {{"y", one.y, y, two.y, true},
                        {"du", one.du, du, two.du, true},
                        {"dk", one.dk, dk, two.dk, true},
                        {"dkRev", one.dkRev, dkRev, two.dkRev, with_rev},
                        {"dD", one.dD, dD, two.dD, with_d}};
  for (const Named& o : outs) {
    if (!o.used) continue;
    const double e = rel_error(o.got, o.ref);
    worst_conv = std::max(worst_conv, e);
    check(e < 1e-5, tag + " " + o.name + " error " + std::to_string(e));
    check(std::memcmp(o.got.data(), o.got2.data(), sizeof(float) * o.got.size()) == 0,
          tag + " " + o.name + " differs between 1 and 2 threads");
  }
}

void test_conv() {
  std::mt19937 rng(2);
  for (int64_t L : {1, 2, 7, 97, 1000, 4097})
    for (int64_t C : {1, 3})
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_rev = variant & 1, with_d = variant & 2;
        if (L == 4097 && variant != 3) continue;  // the O(L^2) reference is slow
        const int64_t H = L >= 1000 ? 3 : 9;      // 9: one full lane group plus a partial one
        test_conv_case(2, C, H, L, with_rev, with_d, rng);
      }
  // Many groups and a batch split into chunks take the other backward accumulation paths.
  test_conv_case(3, 1, 70, 50, true, true, rng);
  test_conv_case(11, 2, 2, 33, true, true, rng);
  std::printf("fftconv: worst relative error %.3g\n", worst_conv);
}

}  // namespace

int main() {
  test_fft();
  test_conv();
  std::printf(failures ? "%d FAILED\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}

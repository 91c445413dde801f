// The FFT's hot loops, written once and compiled twice: native/fft_kernels_avx2.cc (-mavx2
// -mfma) and native/fft_kernels_generic.cc (baseline x86-64) include this file after defining
//   LC_FFT_NS       the namespace (inside lc) that gets kernels(),
//   LC_FMA(a, b, c) a*b + c on v8f (an explicit FMA where available: with -std=c++17 GCC
//                   does not contract a*b+c on its own).
// Every complex value is a Cx: 8 rows' real parts then 8 rows' imaginary parts, so all
// arithmetic is vertical across rows.
#include <cstring>
#include <utility>

#include "fft.h"

// v8f values only cross functions internal to this file, so the baseline build's note that
// 32-byte vectors are passed differently without AVX is irrelevant here.
#pragma GCC diagnostic ignored "-Wpsabi"

// Small helpers are forced inline: each is a few instructions on vectors in registers.
#define LC_INLINE inline __attribute__((always_inline))

namespace lc {
namespace LC_FFT_NS {
namespace {

typedef float v8f __attribute__((vector_size(32)));
static_assert(sizeof(v8f) == kFftLanes * sizeof(float), "one v8f per lane group");

struct Cx {
  v8f re, im;
};

// memcpy lets callers pass buffers of any alignment (spectra live in user arrays).
LC_INLINE v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LC_INLINE void store8(float* p, const v8f& v) { std::memcpy(p, &v, sizeof v); }
LC_INLINE Cx ld(const float* p) { return {load8(p), load8(p + kFftLanes)}; }
LC_INLINE void st(float* p, const Cx& c) {
  store8(p, c.re);
  store8(p + kFftLanes, c.im);
}
LC_INLINE v8f splat(float s) { return v8f{} + s; }

LC_INLINE Cx operator+(const Cx& a, const Cx& b) { return {a.re + b.re, a.im + b.im}; }
LC_INLINE Cx operator-(const Cx& a, const Cx& b) { return {a.re - b.re, a.im - b.im}; }
LC_INLINE Cx conj(const Cx& a) { return {a.re, -a.im}; }
LC_INLINE Cx scale(const Cx& a, float s) { return {a.re * s, a.im * s}; }
// a * (wr + i wi) with a scalar complex shared by all lanes.
LC_INLINE Cx mul_scalar(const Cx& a, float wr, float wi) {
  const v8f r = splat(wr), i = splat(wi);
  return {LC_FMA(a.re, r, -(a.im * i)), LC_FMA(a.re, i, a.im * r)};
}
LC_INLINE Cx mul(const Cx& a, const Cx& b) {
  return {LC_FMA(a.re, b.re, -(a.im * b.im)), LC_FMA(a.re, b.im, a.im * b.re)};
}
// a * conj(b)
LC_INLINE Cx mul_conj(const Cx& a, const Cx& b) {
  return {LC_FMA(a.re, b.re, a.im * b.im), LC_FMA(a.im, b.re, -(a.re * b.im))};
}
// Multiplies by -i (forward transform) or +i (inverse): the rotation inside butterflies.
template <bool INV>
LC_INLINE Cx rot(const Cx& a) {
  return INV ? Cx{-a.im, a.re} : Cx{a.im, -a.re};
}

// In-place DFT of a[0..P), sign e^{-2 pi i/P} forward, e^{+2 pi i/P} inverse.
template <int P, bool INV>
LC_INLINE void butterfly(Cx* a);

template <>
LC_INLINE void butterfly<2, false>(Cx* a) {
  const Cx t = a[0] - a[1];
  a[0] = a[0] + a[1];
  a[1] = t;
}
template <>
LC_INLINE void butterfly<2, true>(Cx* a) {
  butterfly<2, false>(a);
}

template <int P, bool INV>
LC_INLINE void butterfly(Cx* a) {
  static_assert(P == 3 || P == 4 || P == 5, "radix");
  if (P == 4) {
    const Cx t0 = a[0] + a[2], t1 = a[0] - a[2], t2 = a[1] + a[3], t3 = rot<INV>(a[1] - a[3]);
    a[0] = t0 + t2;
    a[2] = t0 - t2;
    a[1] = t1 + t3;
    a[3] = t1 - t3;
  } else if (P == 3) {
    const float s = 0.866025403784438647f;  // sin(2 pi/3)
    const Cx t = a[1] + a[2];
    const Cx m1 = a[0] - scale(t, 0.5f);
    const Cx m2 = rot<INV>(scale(a[1] - a[2], s));
    a[0] = a[0] + t;
    a[1] = m1 + m2;
    a[2] = m1 - m2;
  } else {
    const float c1 = 0.309016994374947424f, c2 = -0.809016994374947424f;  // cos(2pi/5), cos(4pi/5)
    const float s1 = 0.951056516295153572f, s2 = 0.587785252292473129f;   // sin(2pi/5), sin(4pi/5)
    const Cx t1 = a[1] + a[4], t2 = a[2] + a[3], t3 = a[1] - a[4], t4 = a[2] - a[3];
    const Cx r1 = a[0] + scale(t1, c1) + scale(t2, c2);
    const Cx r2 = a[0] + scale(t1, c2) + scale(t2, c1);
    const Cx i1 = rot<INV>(scale(t3, s1) + scale(t4, s2));
    const Cx i2 = rot<INV>(scale(t3, s2) - scale(t4, s1));
    a[0] = a[0] + t1 + t2;
    a[1] = r1 + i1;
    a[4] = r1 - i1;
    a[2] = r2 + i2;
    a[3] = r2 - i2;
  }
}

// One Stockham decimation-in-frequency pass: x holds `stride` interleaved `len`-point
// sequences; y receives `stride*radix` interleaved (len/radix)-point ones, already in
// natural order (autosort), so no bit reversal is ever needed. TWIDDLE is false for the last
// pass, where all twiddles are 1.
template <int P, bool INV, bool TWIDDLE>
void radix_pass(const float* x, float* y, int64_t len, int64_t stride, const float* tw) {
  const int64_t m = len / P;
  const int64_t step = stride * kCxFloats;  // floats between sequence positions p and p+1
  for (int64_t p = 0; p < m; ++p) {
    float wr[P], wi[P];
    for (int t = 1; t < P; ++t) {
      wr[t] = tw[2 * (p * (P - 1) + t - 1)];
      wi[t] = INV ? -tw[2 * (p * (P - 1) + t - 1) + 1] : tw[2 * (p * (P - 1) + t - 1) + 1];
    }
    const float* xp = x + p * step;
    float* yp = y + P * p * step;
    for (int64_t q = 0; q < stride * kCxFloats; q += kCxFloats) {
      Cx a[P];
      for (int r = 0; r < P; ++r) a[r] = ld(xp + q + r * m * step);
      butterfly<P, INV>(a);
      st(yp + q, a[0]);
      for (int t = 1; t < P; ++t)
        st(yp + q + t * step, TWIDDLE ? mul_scalar(a[t], wr[t], wi[t]) : a[t]);
    }
  }
}

template <int P, bool INV>
void run_pass(const FftPlan::Pass& pass, const float* tw, const float* x, float* y) {
  if (pass.len == P)
    radix_pass<P, INV, false>(x, y, pass.len, pass.stride, tw);
  else
    radix_pass<P, INV, true>(x, y, pass.len, pass.stride, tw);
}

template <bool INV>
void run_pass(const FftPlan::Pass& pass, const float* tw, const float* x, float* y) {
  switch (pass.radix) {
    case 2: return run_pass<2, INV>(pass, tw, x, y);
    case 3: return run_pass<3, INV>(pass, tw, x, y);
    case 4: return run_pass<4, INV>(pass, tw, x, y);
    default: return run_pass<5, INV>(pass, tw, x, y);
  }
}

float* complex_fft(const FftPlan& plan, float* a, float* scratch, bool inverse) {
  for (const FftPlan::Pass& pass : plan.passes) {
    const float* tw = plan.twiddles.data() + pass.twiddle;
    if (inverse)
      run_pass<true>(pass, tw, a, scratch);
    else
      run_pass<false>(pass, tw, a, scratch);
    std::swap(a, scratch);
  }
  return a;
}

// X[k] = (Z[k] + conj Z[m-k])/2 - i/2 w^k (Z[k] - conj Z[m-k]), indices mod m.
void real_post(const FftPlan& plan, const float* z, float* X) {
  const int64_t m = plan.m;
  const float* post = plan.post.data();
  for (int64_t k = 0; k <= m; ++k) {
    const Cx a = ld(z + (k == m ? 0 : k) * kCxFloats);
    const Cx b = conj(ld(z + (k == 0 ? 0 : m - k) * kCxFloats));
    st(X + k * kCxFloats, scale(a + b, 0.5f) + mul_scalar(a - b, post[2 * k], post[2 * k + 1]));
  }
}

// Z[k] = (X[k] + conj X[m-k]) + i conj(w^k) (X[k] - conj X[m-k]): the inverse of real_post
// times 2, so an unnormalised inverse FFT of length m yields n * x. With K, X is replaced by
// the product X*K on the fly (saves a pass over the spectra).
template <bool PRODUCT>
void real_pre_impl(const FftPlan& plan, const float* X, const float* K, float* Z) {
  const int64_t m = plan.m;
  const float* pre = plan.pre.data();
  for (int64_t k = 0; k < m; ++k) {
    const float* xa = X + k * kCxFloats;
    const float* xb = X + (m - k) * kCxFloats;
    const Cx a = PRODUCT ? mul(ld(xa), ld(K + k * kCxFloats)) : ld(xa);
    const Cx b = conj(PRODUCT ? mul(ld(xb), ld(K + (m - k) * kCxFloats)) : ld(xb));
    st(Z + k * kCxFloats, (a + b) + mul_scalar(a - b, pre[2 * k], pre[2 * k + 1]));
  }
}

void real_pre(const FftPlan& plan, const float* X, const float* K, float* Z) {
  if (K)
    real_pre_impl<true>(plan, X, K, Z);
  else
    real_pre_impl<false>(plan, X, nullptr, Z);
}

// 8x8 transpose of v[0..8): row i of rows packed as pairs (re, im, re, im, ...) becomes the
// lane-interleaved layout of 4 complex elements, and back (a transpose is its own inverse).
LC_INLINE void transpose8(v8f* v) {
  typedef int v8i __attribute__((vector_size(32)));
  v8f t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shuffle(v[i], v[i + 1], v8i{0, 8, 1, 9, 4, 12, 5, 13});
    t[i + 1] = __builtin_shuffle(v[i], v[i + 1], v8i{2, 10, 3, 11, 6, 14, 7, 15});
  }
  for (int i = 0; i < 8; i += 4)
    for (int j = 0; j < 2; ++j) {
      s[i + 2 * j] = __builtin_shuffle(t[i + j], t[i + j + 2], v8i{0, 1, 8, 9, 4, 5, 12, 13});
      s[i + 2 * j + 1] = __builtin_shuffle(t[i + j], t[i + j + 2], v8i{2, 3, 10, 11, 6, 7, 14, 15});
    }
  for (int i = 0; i < 4; ++i) {
    v[i] = __builtin_shuffle(s[i], s[i + 4], v8i{0, 1, 2, 3, 8, 9, 10, 11});
    v[i + 4] = __builtin_shuffle(s[i], s[i + 4], v8i{4, 5, 6, 7, 12, 13, 14, 15});
  }
}

// Rows are moved 8 floats (4 complex elements) at a time through transpose8; the tail of
// fewer than 8 samples goes one float at a time.
void load_rows(const float* src, int64_t row_stride, int lanes, int64_t count, int64_t m,
               float* z) {
  const int64_t pairs = count / 2;  // complex elements fully covered by samples
  const int64_t blocked = count / 8 * 8;
  std::memset(z + pairs * kCxFloats, 0, sizeof(float) * kCxFloats * (m - pairs));
  for (int64_t t = 0; t < blocked; t += 8) {
    v8f v[8];
    for (int lane = 0; lane < kFftLanes; ++lane)
      v[lane] = lane < lanes ? load8(src + lane * row_stride + t) : v8f{};
    transpose8(v);
    for (int i = 0; i < 8; ++i) store8(z + t * kFftLanes + i * kFftLanes, v[i]);
  }
  if (blocked == count) return;
  std::memset(z + blocked / 2 * kCxFloats, 0, sizeof(float) * kCxFloats * (pairs - blocked / 2));
  for (int lane = 0; lane < lanes; ++lane) {
    const float* row = src + lane * row_stride;
    float* out = z + lane;
    for (int64_t j = blocked / 2; j < pairs; ++j) {
      out[j * kCxFloats] = row[2 * j];
      out[j * kCxFloats + kFftLanes] = row[2 * j + 1];
    }
    if (count % 2) out[pairs * kCxFloats] = row[count - 1];
  }
}

void store_rows(const float* z, float scale_by, float* dst, int64_t row_stride, int lanes,
                int64_t count) {
  const int64_t pairs = count / 2;
  const int64_t blocked = count / 8 * 8;
  for (int64_t t = 0; t < blocked; t += 8) {
    v8f v[8];
    for (int i = 0; i < 8; ++i) v[i] = load8(z + t * kFftLanes + i * kFftLanes);
    transpose8(v);
    for (int lane = 0; lane < lanes; ++lane)
      store8(dst + lane * row_stride + t, v[lane] * scale_by);
  }
  for (int lane = 0; lane < lanes; ++lane) {
    float* row = dst + lane * row_stride;
    const float* in = z + lane;
    for (int64_t j = blocked / 2; j < pairs; ++j) {
      row[2 * j] = in[j * kCxFloats] * scale_by;
      row[2 * j + 1] = in[j * kCxFloats + kFftLanes] * scale_by;
    }
    if (count % 2) row[count - 1] = in[pairs * kCxFloats] * scale_by;
  }
}

void mul_conj_acc(const float* a, const float* b, int64_t len, float* acc) {
  for (int64_t j = 0; j < len * kCxFloats; j += kCxFloats)
    st(acc + j, ld(acc + j) + mul_conj(ld(a + j), ld(b + j)));
}

}  // namespace

const FftKernels& kernels() {
  static const FftKernels table{complex_fft, real_post,  real_pre,
                                load_rows,   store_rows, mul_conj_acc};
  return table;
}

}  // namespace LC_FFT_NS
}  // namespace lc

#undef LC_INLINE

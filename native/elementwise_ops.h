// The per-element math of native/elementwise.h, shared by the CPU and CUDA kernels so both
// backends compute the same formulas (GELU's erf and exp aside: see normal_cdf).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "elementwise.h"
#include "errors.h"

#ifdef __CUDACC__
#define LC_HD __host__ __device__
#else
#define LC_HD
#endif

namespace lc {

// Offsets of the linear index `i` over the first `ndim` dims of loop, for operand `which`.
LC_HD inline int64_t loop_offset(const Loop& loop, int which, int64_t i, int ndim) {
  int64_t offset = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    int64_t size = loop.size[d];
    offset += (i % size) * loop.stride[which][d];
    i /= size;
  }
  return offset;
}

// 1 / (1 + exp(-x)) without overflow for large |x|.
LC_HD inline float stable_sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

// log(1 + exp(x)) without overflow for large x and without losing small results to 1 + tiny
// (log1p): x + log1p(exp(-x)) for x > 0. Its derivative is stable_sigmoid.
LC_HD inline float stable_softplus(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

// GELU on the CPU: libm's erff and expf are scalar calls (GELU spent most of its time in erff),
// so the CPU uses erf_rational and exp_nonpositive below, straight-line code that the
// elementwise loops vectorize. CUDA keeps its own erff and expf (fast and accurate in float).
// docs/MATH.md §2.8.

// erf(x) = x P(x^2) / Q(x^2), in double, for |x| < 6, and ±1 beyond (where 1 - erf < 2e-17).
// P (degree 8) and Q (degree 6) fit erf(x)/x on [0, 6] to a relative error of 8e-9
// (scripts/fit_erf.py); rounded to float, the result is within 0.65 ulp of erf
// (test/native/math_test.cc checks every float). Double keeps the evaluation's rounding far
// below float's and the absolute error of 1 + erf near -1 at 8e-9 (erff's is 6e-8).
inline double erf_rational(double x) {
  // erf is odd: the magnitude from |x|, then x's sign. One comparison per select: chained ones
  // and trapping math keep GCC from vectorizing (elementwise_cpu.cc is built -fno-trapping-math).
  double z = fabs(x);
  z = z > 6.0 ? 6.0 : z;  // NaN stays NaN (so in the selects below)
  const double u = z * z;
  double p = -1.8977673591662012e-12;
  p = p * u + 5.8760898537489152e-10;
  p = p * u - 1.3092964647880603e-07;
  p = p * u - 7.4006128126633565e-08;
  p = p * u + 3.7731202839650263e-04;
  p = p * u + 3.3507147104263756e-03;
  p = p * u + 5.3320740002070426e-02;
  p = p * u + 1.7306680455936294e-01;
  p = p * u + 1.1283791759572519e+00;
  double q = -1.2000580330230709e-06;
  q = q * u + 5.7001982355124457e-05;
  q = q * u + 1.2086448552885705e-03;
  q = q * u + 1.4608442487890028e-02;
  q = q * u + 1.0948926298267124e-01;
  q = q * u + 4.8671008142064121e-01;
  q = q * u + 1.0;
  double r = z * p / q;
  r = r > 1.0 ? 1.0 : r;
  r = z >= 6.0 ? 1.0 : r;
  return copysign(r, x);
}

// exp(y) for y <= 0 (NaN stays NaN), within 1.5 ulp: y = n ln2 + r with |r| <= ln2/2 (ln2 in
// two parts, the first exact in n ln2), exp(r) by its degree-7 Taylor polynomial (error
// < 6e-9), times 2^n built in the exponent bits as two factors so that results down to the
// smallest subnormal round once. y < -104 gives 0.
inline float exp_nonpositive(float y) {
  y = y < -104.0f ? -104.0f : y;
  const float n = (y * 1.44269504f + 12582912.0f) - 12582912.0f;  // round to nearest (2^23 + 2^22)
  const float r = (y - n * 0.693145752f) - n * 1.42860677e-06f;
  float p = 1.98412698e-04f;
  p = p * r + 1.38888889e-03f;
  p = p * r + 8.33333333e-03f;
  p = p * r + 4.16666667e-02f;
  p = p * r + 1.66666667e-01f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t k = int32_t(n), half = k >> 1;
  const uint32_t bits1 = uint32_t(half + 127) << 23, bits2 = uint32_t(k - half + 127) << 23;
  float scale1, scale2;
  memcpy(&scale1, &bits1, sizeof scale1);
  memcpy(&scale2, &bits2, sizeof scale2);
  return p * scale1 * scale2;
}

// The exact (erf) GELU, x * Phi(x), and its derivative Phi(x) + x * phi(x), with Phi the
// standard normal CDF (1 + erf(x/√2)) / 2 and phi its density.
LC_HD inline float normal_cdf(float x) {
#ifdef __CUDA_ARCH__
  return 0.5f * (1.0f + erff(x * 0.70710678118654752f));
#else
  return float(0.5 * (1.0 + erf_rational(double(x) * 0.70710678118654752)));
#endif
}
LC_HD inline float gelu(float x) { return x * normal_cdf(x); }
LC_HD inline float gelu_derivative(float x) {
#ifdef __CUDA_ARCH__
  const float e = expf(-0.5f * x * x);
#else
  const float e = exp_nonpositive(-0.5f * x * x);
#endif
  return normal_cdf(x) + x * 0.39894228040143268f * e;
}

template <BinaryOp op>
LC_HD inline void apply_binary(const float* a, const float* b, float* out, float alpha) {
  if constexpr (op == BinaryOp::Add) out[0] = alpha * (a[0] + b[0]);
  if constexpr (op == BinaryOp::Sub) out[0] = alpha * (a[0] - b[0]);
  if constexpr (op == BinaryOp::Mul) out[0] = alpha * (a[0] * b[0]);
  if constexpr (op == BinaryOp::Div) out[0] = alpha * (a[0] / b[0]);
  if constexpr (op == BinaryOp::GeluGrad) out[0] = alpha * (a[0] * gelu_derivative(b[0]));
  if constexpr (op == BinaryOp::SigmoidGrad) out[0] = alpha * (a[0] * b[0] * (1.0f - b[0]));
  if constexpr (op == BinaryOp::TanhGrad) out[0] = alpha * (a[0] * (1.0f - b[0] * b[0]));
  if constexpr (op == BinaryOp::ReluGrad) out[0] = b[0] > 0 ? alpha * a[0] : 0.0f;
  if constexpr (op == BinaryOp::SoftplusGrad) out[0] = alpha * (a[0] * stable_sigmoid(b[0]));
  if constexpr (is_complex(op)) {
    // CMulConj and CDivConj use conj(b): the backward passes of cmul, cdiv, cexp and clog.
    constexpr bool conj = op == BinaryOp::CMulConj || op == BinaryOp::CDivConj;
    float ar = a[0], ai = a[1], br = b[0], bi = conj ? -b[1] : b[1];
    float re, im;
    if constexpr (op == BinaryOp::CMul || op == BinaryOp::CMulConj) {
      re = ar * br - ai * bi;
      im = ar * bi + ai * br;
    } else {
      float inv = 1.0f / (br * br + bi * bi);
      re = (ar * br + ai * bi) * inv;
      im = (ai * br - ar * bi) * inv;
    }
    out[0] = alpha * re;
    out[1] = alpha * im;
  }
}

template <UnaryOp op>
LC_HD inline void apply_unary(const float* x, float* out, float s, float t) {
  if constexpr (op == UnaryOp::Affine) out[0] = s * x[0] + t;
  if constexpr (op == UnaryOp::Exp) out[0] = expf(x[0]);
  if constexpr (op == UnaryOp::Log) out[0] = logf(x[0]);
  if constexpr (op == UnaryOp::Sqrt) out[0] = sqrtf(x[0]);
  if constexpr (op == UnaryOp::Square) out[0] = x[0] * x[0];
  if constexpr (op == UnaryOp::Gelu) out[0] = gelu(x[0]);
  if constexpr (op == UnaryOp::Sigmoid) out[0] = stable_sigmoid(x[0]);
  if constexpr (op == UnaryOp::Tanh) out[0] = tanhf(x[0]);
  if constexpr (op == UnaryOp::Relu) out[0] = x[0] < 0 ? 0.0f : x[0];  // NaN passes through
  if constexpr (op == UnaryOp::Softplus) out[0] = stable_softplus(x[0]);
  if constexpr (op == UnaryOp::CExp) {
    float r = expf(x[0]), im = x[1];
    out[0] = r * cosf(im);
    out[1] = r * sinf(im);
  }
  if constexpr (op == UnaryOp::CLog) {
    float re = x[0], im = x[1];  // principal branch: angle in (-pi, pi]
    out[0] = logf(hypotf(re, im));
    out[1] = atan2f(im, re);
  }
  if constexpr (op == UnaryOp::Conj) {
    out[0] = x[0];
    out[1] = -x[1];
  }
  if constexpr (op == UnaryOp::CExpm1) {
    // exp(z) - 1 without cancellation for small z: Re = expm1(x)cos(y) - 2 sin^2(y/2).
    float half = sinf(0.5f * x[1]);
    out[0] = expm1f(x[0]) * cosf(x[1]) - 2.0f * half * half;
    out[1] = expf(x[0]) * sinf(x[1]);
  }
}

// Calls fn(std::integral_constant<..., op>{}) for the runtime op, so each kernel is
// instantiated per op and the switch runs once per call, not per element.
#define LC_OP_CASE(member, jsName) \
  case E::member:                  \
    return fn(std::integral_constant<E, E::member>{});

template <typename Fn>
void with_op(BinaryOp op, Fn&& fn) {
  using E = BinaryOp;
  switch (op) {
    LC_BINARY_OPS(LC_OP_CASE)
    case E::Count: break;
  }
  throw Error("binary: unknown op");
}

template <typename Fn>
void with_op(UnaryOp op, Fn&& fn) {
  using E = UnaryOp;
  switch (op) {
    LC_UNARY_OPS(LC_OP_CASE)
    case E::Count: break;
  }
  throw Error("unary: unknown op");
}

#undef LC_OP_CASE

}  // namespace lc

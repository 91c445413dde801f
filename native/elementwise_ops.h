// The per-element math of native/elementwise.h, shared by the CPU and CUDA kernels so both
// backends compute exactly the same formulas.
#pragma once
#include <cmath>
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

// The exact (erf) GELU, x * Phi(x), and its derivative Phi(x) + x * phi(x).
LC_HD inline float gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
LC_HD inline float gelu_derivative(float x) {
  return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * 0.39894228040143268f * expf(-0.5f * x * x);
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

// The four general kernels behind the elementwise, complex, reduction and shape ops (CPU half:
// native/elementwise_cpu.cc; CUDA half: cuda/elementwise.cu; native/dispatch.h). Each walks a Loop: an iteration space of up to kMaxDims
// dimensions with per-operand strides, built by the binding with size-1 dims dropped and
// dims that are contiguous for every operand merged (so most calls run over 1 to 3 dims).
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

constexpr int kMaxDims = 8;

struct Loop {
  int ndim = 0;                  // 0: a single element
  int64_t size[kMaxDims] = {};
  int64_t stride[2][kMaxDims] = {};  // strides of two operands, in elements
};

inline int64_t loop_numel(const Loop& loop) {
  int64_t n = 1;
  for (int d = 0; d < loop.ndim; ++d) n *= loop.size[d];
  return n;
}

// The op codes, one X(Member, jsName) each: the enums below, with_op's switches
// (elementwise_ops.h) and the codes JS reads (native.opCodes, native/binding.cc) all come from
// these lists. Complex ops treat a (re, im) pair of floats as one element; their strides count
// pairs. Real ops come first (is_complex compares with the first complex member). The *Grad ops
// are the activations' backward passes: a is the output's gradient, b the activation's input x
// (GeluGrad, ReluGrad, SoftplusGrad) or its output y (SigmoidGrad, TanhGrad).
#define LC_BINARY_OPS(X)                                                                          \
  X(Add, add) X(Sub, sub) X(Mul, mul) X(Div, div) X(GeluGrad, geluGrad) X(SigmoidGrad, sigmoidGrad) \
  X(TanhGrad, tanhGrad) X(ReluGrad, reluGrad) X(SoftplusGrad, softplusGrad) X(CMul, cmul)          \
  X(CDiv, cdiv) X(CMulConj, cmulConj) X(CDivConj, cdivConj)
#define LC_UNARY_OPS(X)                                                                          \
  X(Affine, affine) X(Exp, exp) X(Log, log) X(Sqrt, sqrt) X(Square, square) X(Gelu, gelu)         \
  X(Sigmoid, sigmoid) X(Tanh, tanh) X(Relu, relu) X(Softplus, softplus) X(CExp, cexp)            \
  X(CLog, clog) X(Conj, conj) X(CExpm1, cexpm1)

#define LC_ENUM_MEMBER(member, jsName) member,
// Count: one past the last code (the binding rejects codes from it on).
enum class BinaryOp : int { LC_BINARY_OPS(LC_ENUM_MEMBER) Count };
enum class UnaryOp : int { LC_UNARY_OPS(LC_ENUM_MEMBER) Count };

constexpr bool is_complex(BinaryOp op) { return op >= BinaryOp::CMul; }
constexpr bool is_complex(UnaryOp op) { return op >= UnaryOp::CExp; }

// out = alpha * (a op b), out contiguous over `loop`; a and b read at loop.stride[0] and [1]
// (stride 0 broadcasts). CMulConj: a * conj(b); CDivConj: a / conj(b).
LC_KERNEL(void, binary, (const float* a, const float* b, float* out, const Loop& loop, BinaryOp op,
                         float alpha))

// out[i] = op(x[i]) over n floats (n / 2 pairs for complex ops). Affine: s * x + t. out may alias x.
LC_KERNEL(void, unary, (const float* x, float* out, int64_t n, UnaryOp op, float s, float t))

// out[o] = scale * sum over `reduced` of in[kept offset of o + reduced offset], out contiguous
// over `kept`; both loops read `in` at stride[0]. Deterministic (fixed summation order).
LC_KERNEL(void, sum_to, (const float* in, float* out, const Loop& kept, const Loop& reduced,
                         float scale))

// out[out_offset + idx . loop.stride[1]] = in[in_offset + idx . loop.stride[0]] for every idx.
LC_KERNEL(void, strided_copy, (const float* in, float* out, const Loop& loop, int64_t in_offset,
                               int64_t out_offset))

}  // namespace lc

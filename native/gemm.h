// Single-precision GEMM for matmul and linear: row-major C = op(A) op(B) (+ bias), over a batch
// described by dimensions with a stride per operand. CPU half: native/gemm_cpu.cc; CUDA half:
// cuda/gemm.cu, cuBLAS (native/dispatch.h).
//
// Batch dimensions: each has a size and the stride (in floats) of A, B and C along it; a stride
// of 0 broadcasts that operand. A dimension where C's stride is 0 is summed over (C receives the
// sum of the products along it): that is how gradients of broadcast operands are reduced.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch.h"
#include "elementwise.h"  // LC_ENUM_MEMBER

namespace lc {

struct GemmBatchDim {
  int64_t size, a, b, c;
};

// Where the bias goes: none, bias[m] added to row m of C, or bias[n] added to column n. JS passes
// these codes as native.opCodes.gemmBias (native/binding.cc); Count is one past the last.
#define LC_GEMM_BIAS(X) X(kNone, none) X(kRows, rows) X(kCols, cols)
enum class GemmBias : int { LC_GEMM_BIAS(LC_ENUM_MEMBER) Count };

struct GemmShape {
  bool transA = false, transB = false;  // op(A) = A^T: A is stored K x M (else M x K)
  int64_t M = 0, N = 0, K = 0;          // C is M x N; op(A) M x K; op(B) K x N
  int64_t lda = 0, ldb = 0, ldc = 0;    // row strides of A, B, C as stored
  std::vector<GemmBatchDim> batch;
  GemmBias bias = GemmBias::kNone;
};

// Throws lc::Error unless every size is >= 1 and each leading dimension covers its row.
void gemm_check(const GemmShape& s);
// One more than the largest float index that A, B or C reaches (for the binding's bounds checks).
int64_t gemm_extent_a(const GemmShape& s);
int64_t gemm_extent_b(const GemmShape& s);
int64_t gemm_extent_c(const GemmShape& s);

// The same product with size-1 dimensions dropped, contiguous dimensions merged, and a batch
// that only walks down the rows of A and C (B shared) folded into M, or a summed batch that only
// walks down the reduction dimension folded into K. Outer (C-stride != 0) dimensions come
// first, then the summed ones.
GemmShape gemm_normalize(const GemmShape& s);

// The batch dims of a normalised shape whose C stride is not 0 (they come first).
size_t gemm_outer_dims(const GemmShape& s);
// The operands' offsets at flat index `index` over batch dims [first, last) (the last fastest).
struct GemmOffsets {
  int64_t a = 0, b = 0, c = 0;
};
GemmOffsets gemm_offsets(const std::vector<GemmBatchDim>& dims, size_t first, size_t last,
                         int64_t index);
// The number of elements over batch dims [first, last).
int64_t gemm_batch_count(const std::vector<GemmBatchDim>& dims, size_t first, size_t last);

// C = sum over summed batch dims of op(A) op(B), + bias when shape.bias says so. C is
// overwritten. Requires a shape that passes gemm_check.
LC_KERNEL(void, gemm, (const float* A, const float* B, const float* bias, float* C,
                       const GemmShape& shape))

}  // namespace lc

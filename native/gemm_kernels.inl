// The GEMM micro-kernel, written once and compiled twice: native/gemm_kernels_avx2.cc (-mavx2
// -mfma) and native/gemm_kernels_generic.cc (baseline x86-64) include this file after defining
//   LC_GEMM_NS      the namespace (inside lc) that gets micro_kernel(),
//   LC_FMA(a, b, c) a*b + c on v8f (an explicit FMA where available).
#include <cstring>

#include "gemm_kernels.h"

// v8f values never cross this file's functions, so the baseline build's note that 32-byte
// vectors are passed differently without AVX is irrelevant here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace lc {
namespace LC_GEMM_NS {
namespace {

typedef float v8f __attribute__((vector_size(32)));
static_assert(kGemmNR == 2 * sizeof(v8f) / sizeof(float), "a row of the tile is two v8f");

inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, const v8f& v) { std::memcpy(p, &v, sizeof v); }

}  // namespace

// C[0..mr) x [0..nr) += a_panel . b_panel: kc steps of an MR x NR outer product, the whole tile
// held in registers (12 accumulators with AVX2).
void micro_kernel(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr,
                  int nr) {
  v8f acc[kGemmMR][2] = {};
  for (int64_t k = 0; k < kc; ++k, a += kGemmMR, b += kGemmNR) {
    const v8f b0 = load8(b), b1 = load8(b + 8);
#pragma GCC unroll 8
    for (int i = 0; i < kGemmMR; ++i) {
      const v8f ai = v8f{} + a[i];
      acc[i][0] = LC_FMA(ai, b0, acc[i][0]);
      acc[i][1] = LC_FMA(ai, b1, acc[i][1]);
    }
  }
  if (mr == kGemmMR && nr == kGemmNR) {
#pragma GCC unroll 8
    for (int i = 0; i < kGemmMR; ++i) {
      float* row = C + i * ldc;
      store8(row, load8(row) + acc[i][0]);
      store8(row + 8, load8(row + 8) + acc[i][1]);
    }
    return;
  }
  // A tile at the edge of C: only its valid part is written.
  float tile[kGemmMR][kGemmNR];
  std::memcpy(tile, acc, sizeof tile);
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) C[i * ldc + j] += tile[i][j];
}

}  // namespace LC_GEMM_NS
}  // namespace lc

// CPU GEMM (native/gemm.h): cache blocking around a register-tiled micro-kernel.
//
// C is cut into kMC x kNC tiles, one parallel task per (outer batch element, tile); each task
// owns its tile outright, so no two threads write the same float and the result does not depend
// on the thread count. For every summed batch element and every kKC-deep slice of K, the task
// packs its slice of op(A) (kMC x kKC, L2-sized) into MR-row panels and of op(B) (kKC x kNC)
// into NR-column panels, then sweeps the micro-kernel over them: an NR-wide B panel (16 KiB)
// stays in L1 while the A panels stream from L2.
#include <algorithm>
#include <memory>
#include <new>

#include "cpu_simd.h"
#include "errors.h"
#include "gemm.h"
#include "gemm_kernels.h"
#include "storage.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kMC = 72;   // rows of a tile: 12 micro-panels
constexpr int64_t kNC = 192;  // columns of a tile: 12 micro-panels
constexpr int64_t kKC = 256;  // depth of one packed slice

GemmMicroKernel micro_kernel() {
  static const GemmMicroKernel chosen = cpu_has_avx2_fma() ? gemm_avx2::micro_kernel : gemm_generic::micro_kernel;
  return chosen;
}

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packs an np x kc block, element (p, k) at X[p*ld + k] (kPMajor) or X[k*ld + p], into panels
// of W consecutive p: panel by panel, k by k, W values each, zero past np. Serves op(A) (p = row
// of C) and op(B) (p = column of C) alike.
template <int W, bool kPMajor>
void pack_panels(const float* X, int64_t ld, int64_t np, int64_t kc, float* dst) {
  for (int64_t p0 = 0; p0 < np; p0 += W) {
    const int width = static_cast<int>(std::min<int64_t>(W, np - p0));
    for (int64_t k = 0; k < kc; ++k, dst += W)
      for (int p = 0; p < W; ++p)
        dst[p] = p < width ? (kPMajor ? X[(p0 + p) * ld + k] : X[k * ld + p0 + p]) : 0.f;
  }
}

template <int W>
void pack(const float* X, int64_t ld, bool pMajor, int64_t np, int64_t kc, float* dst) {
  if (pMajor)
    pack_panels<W, true>(X, ld, np, kc, dst);
  else
    pack_panels<W, false>(X, ld, np, kc, dst);
}

// The tile's starting value: zero, or the bias of its rows or columns.
void init_tile(float* C, int64_t ldc, int64_t i0, int64_t j0, int64_t mc, int64_t nc,
               GemmBias kind, const float* bias) {
  for (int64_t i = 0; i < mc; ++i) {
    float* row = C + i * ldc;
    if (kind == GemmBias::kCols)
      std::copy(bias + j0, bias + j0 + nc, row);
    else
      std::fill(row, row + nc, kind == GemmBias::kRows ? bias[i0 + i] : 0.f);
  }
}

}  // namespace

void gemm_cpu(const float* A, const float* B, const float* bias, float* C, const GemmShape& shape) {
  const GemmShape s = gemm_normalize(shape);
  const size_t outerDims = gemm_outer_dims(s);
  const int64_t outerCount = gemm_batch_count(s.batch, 0, outerDims);
  const int64_t summedCount = gemm_batch_count(s.batch, outerDims, s.batch.size());

  const int64_t tilesM = (s.M + kMC - 1) / kMC, tilesN = (s.N + kNC - 1) / kNC;
  const int64_t depth = std::min(s.K, kKC);
  const int64_t packAFloats = round_up(std::min(s.M, kMC), kGemmMR) * depth;
  const int64_t packBFloats = round_up(std::min(s.N, kNC), kGemmNR) * depth;
  const GemmMicroKernel micro = micro_kernel();

  parallel_for(outerCount * tilesM * tilesN, 1, [&](int64_t begin, int64_t end) {
    WorkBuffer work(packAFloats + packBFloats);
    float* packA = work.data();
    float* packB = packA + packAFloats;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t tn = task % tilesN, tm = task / tilesN % tilesM, outer = task / tilesN / tilesM;
      const int64_t i0 = tm * kMC, j0 = tn * kNC;
      const int64_t mc = std::min(kMC, s.M - i0), nc = std::min(kNC, s.N - j0);
      const GemmOffsets o = gemm_offsets(s.batch, 0, outerDims, outer);
      float* tile = C + o.c + i0 * s.ldc + j0;
      init_tile(tile, s.ldc, i0, j0, mc, nc, s.bias, bias);
      for (int64_t r = 0; r < summedCount; ++r) {
        const GemmOffsets q = gemm_offsets(s.batch, outerDims, s.batch.size(), r);
        const float* At = A + o.a + q.a;
        const float* Bt = B + o.b + q.b;
        for (int64_t k0 = 0; k0 < s.K; k0 += kKC) {
          const int64_t kc = std::min(kKC, s.K - k0);
          pack<kGemmMR>(At + (s.transA ? k0 * s.lda + i0 : i0 * s.lda + k0), s.lda, !s.transA, mc,
                        kc, packA);
          pack<kGemmNR>(Bt + (s.transB ? j0 * s.ldb + k0 : k0 * s.ldb + j0), s.ldb, s.transB, nc,
                        kc, packB);
          for (int64_t jr = 0; jr < nc; jr += kGemmNR)
            for (int64_t ir = 0; ir < mc; ir += kGemmMR)
              micro(kc, packA + ir * kc, packB + jr * kc, tile + ir * s.ldc + jr, s.ldc,
                    static_cast<int>(std::min<int64_t>(kGemmMR, mc - ir)),
                    static_cast<int>(std::min<int64_t>(kGemmNR, nc - jr)));
        }
      }
    }
  });
}

}  // namespace lc

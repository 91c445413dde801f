// Shape checks and normalisation shared by the CPU and CUDA GEMM kernels (native/gemm.h).
#include <algorithm>
#include <string>

#include "errors.h"
#include "gemm.h"

namespace lc {
namespace {

int64_t checked_mul(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_mul_overflow(x, y, &r)) throw Error("gemm: sizes overflow 64 bits");
  return r;
}

int64_t checked_add(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_add_overflow(x, y, &r)) throw Error("gemm: sizes overflow 64 bits");
  return r;
}

// One past the last float of a rows x cols matrix with row stride ld, repeated over the batch.
int64_t extent(const GemmShape& s, int64_t rows, int64_t cols, int64_t ld,
               int64_t GemmBatchDim::*stride) {
  int64_t last = checked_add(checked_mul(rows - 1, ld), cols);
  for (const GemmBatchDim& d : s.batch) last = checked_add(last, checked_mul(d.size - 1, d.*stride));
  return last;
}

bool summed(const GemmBatchDim& d) { return d.c == 0; }

// Outer dimension `outer` followed by `inner` is one dimension when every operand steps over
// a whole inner dimension at each outer step.
bool mergeable(const GemmBatchDim& outer, const GemmBatchDim& inner) {
  return outer.a == inner.a * inner.size && outer.b == inner.b * inner.size &&
         outer.c == inner.c * inner.size;
}

}  // namespace

void gemm_check(const GemmShape& s) {
  if (s.M < 1 || s.N < 1 || s.K < 1) throw Error("gemm: M, N and K must be >= 1");
  if (s.lda < (s.transA ? s.M : s.K) || s.ldb < (s.transB ? s.K : s.N) || s.ldc < s.N)
    throw Error("gemm: a leading dimension is shorter than its row");
  for (const GemmBatchDim& d : s.batch) {
    if (d.size < 1) throw Error("gemm: batch sizes must be >= 1");
    if (d.a < 0 || d.b < 0 || d.c < 0) throw Error("gemm: batch strides must be >= 0");
  }
}

int64_t gemm_extent_a(const GemmShape& s) {
  return extent(s, s.transA ? s.K : s.M, s.transA ? s.M : s.K, s.lda, &GemmBatchDim::a);
}
int64_t gemm_extent_b(const GemmShape& s) {
  return extent(s, s.transB ? s.N : s.K, s.transB ? s.K : s.N, s.ldb, &GemmBatchDim::b);
}
int64_t gemm_extent_c(const GemmShape& s) { return extent(s, s.M, s.N, s.ldc, &GemmBatchDim::c); }

GemmShape gemm_normalize(const GemmShape& s) {
  GemmShape n = s;
  n.batch.clear();
  for (const GemmBatchDim& d : s.batch)
    if (d.size > 1) n.batch.push_back(d);
  std::stable_partition(n.batch.begin(), n.batch.end(), [](const GemmBatchDim& d) { return !summed(d); });

  std::vector<GemmBatchDim> merged;
  for (const GemmBatchDim& d : n.batch) {
    if (!merged.empty() && summed(merged.back()) == summed(d) && mergeable(merged.back(), d))
      merged.back() = {merged.back().size * d.size, d.a, d.b, d.c};
    else
      merged.push_back(d);
  }
  n.batch = merged;

  auto last_of = [&](bool sum) -> GemmBatchDim* {
    for (auto it = n.batch.rbegin(); it != n.batch.rend(); ++it)
      if (summed(*it) == sum) return &*it;
    return nullptr;
  };
  // A batch of row blocks of A and C sharing B is one taller product (not with per-row bias:
  // bias[m] would have to repeat).
  if (GemmBatchDim* d = last_of(false)) {
    if (d->b == 0 && !n.transA && d->a == n.M * n.lda && d->c == n.M * n.ldc &&
        n.bias != GemmBias::kRows) {
      n.M *= d->size;
      n.batch.erase(n.batch.begin() + (d - n.batch.data()));
    }
  }
  // A sum over consecutive blocks of the reduction dimension is one longer reduction.
  if (GemmBatchDim* d = last_of(true)) {
    if (n.transA && d->a == n.K * n.lda && !n.transB && d->b == n.K * n.ldb) {
      n.K *= d->size;
      n.batch.erase(n.batch.begin() + (d - n.batch.data()));
    }
  }
  return n;
}

size_t gemm_outer_dims(const GemmShape& s) {
  return static_cast<size_t>(std::count_if(s.batch.begin(), s.batch.end(),
                                           [](const GemmBatchDim& d) { return !summed(d); }));
}

GemmOffsets gemm_offsets(const std::vector<GemmBatchDim>& dims, size_t first, size_t last,
                         int64_t index) {
  GemmOffsets o;
  for (size_t d = last; d-- > first;) {
    const int64_t i = index % dims[d].size;
    index /= dims[d].size;
    o.a += i * dims[d].a;
    o.b += i * dims[d].b;
    o.c += i * dims[d].c;
  }
  return o;
}

int64_t gemm_batch_count(const std::vector<GemmBatchDim>& dims, size_t first, size_t last) {
  int64_t count = 1;
  for (size_t d = first; d < last; ++d) count = checked_mul(count, dims[d].size);
  return count;
}

}  // namespace lc

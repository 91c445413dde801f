// CPU kernels of native/nn.h, split over rows with parallel_for.
#include <algorithm>
#include <cstring>

#include "nn.h"
#include "nn_math.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads

// Rows of `length` elements per parallel chunk.
int64_t rows_grain(int64_t length) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, length)); }

// Masked sum weight of batch b: 1 / sum_l mask[b, l] (1 / L without a mask; 0 for an empty row).
float inverse_count(const float* mask, int64_t b, int64_t L) {
  if (!mask) return 1.0f / float(L);
  double count = 0;
  for (int64_t l = 0; l < L; ++l) count += mask[b * L + l];
  return count > 0 ? float(1.0 / count) : 0.0f;
}

}  // namespace

void glu_forward_cpu(const float* x, float* out, int64_t outer, int64_t half, int64_t inner) {
  int64_t block = half * inner;  // one half of one outer slice, contiguous
  parallel_for(outer, rows_grain(block), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const float* a = x + o * 2 * block;
      for (int64_t j = 0; j < block; ++j) out[o * block + j] = a[j] * stable_sigmoid(a[block + j]);
    }
  });
}

void glu_backward_cpu(const float* x, const float* dy, float* dx, int64_t outer, int64_t half, int64_t inner) {
  int64_t block = half * inner;
  parallel_for(outer, rows_grain(block), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const float* a = x + o * 2 * block;
      float* da = dx + o * 2 * block;
      for (int64_t j = 0; j < block; ++j) {
        GluGrad g = glu_grad(a[j], a[block + j], dy[o * block + j]);
        da[j] = g.da;
        da[block + j] = g.db;
      }
    }
  });
}

void dropout_cpu(const float* x, float* out, int64_t n, int64_t first, uint64_t key, uint32_t threshold,
                 float scale) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = dropout_keep(key, first + i, threshold) ? scale * x[i] : 0.0f;
  });
}

void embedding_forward_cpu(const float* indices, const float* weight, float* out, int64_t n, int64_t V, int64_t D) {
  parallel_for(n, rows_grain(D), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      int64_t row = index_in_range(indices[p], V);
      if (row < 0) std::memset(out + p * D, 0, size_t(D) * sizeof(float));
      else std::memcpy(out + p * D, weight + row * D, size_t(D) * sizeof(float));
    }
  });
}

void embedding_backward_cpu(const float* indices, const float* dy, float* dweight, int64_t n, int64_t V, int64_t D) {
  // Each thread owns a range of vocabulary rows and adds the positions that hit them in index
  // order: no races, and the sums do not depend on the thread count.
  std::memset(dweight, 0, size_t(V * D) * sizeof(float));
  parallel_for(V, std::max<int64_t>(1, V / 64), [&](int64_t begin, int64_t end) {
    for (int64_t p = 0; p < n; ++p) {
      int64_t row = index_in_range(indices[p], V);
      if (row < begin || row >= end) continue;
      float* dst = dweight + row * D;
      const float* src = dy + p * D;
      for (int64_t d = 0; d < D; ++d) dst[d] += src[d];
    }
  });
}

void masked_mean_pool_forward_cpu(const float* x, const float* mask, float* out, int64_t B, int64_t H, int64_t L) {
  parallel_for(B * H, rows_grain(L), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t b = r / H;
      const float* row = x + r * L;
      double acc = 0;
      for (int64_t l = 0; l < L; ++l) acc += double(row[l]) * (mask ? mask[b * L + l] : 1.0f);
      out[r] = float(acc * inverse_count(mask, b, L));
    }
  });
}

void masked_mean_pool_backward_cpu(const float* dy, const float* mask, float* dx, int64_t B, int64_t H, int64_t L) {
  parallel_for(B * H, rows_grain(L), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t b = r / H;
      float g = dy[r] * inverse_count(mask, b, L);
      for (int64_t l = 0; l < L; ++l) dx[r * L + l] = mask ? g * mask[b * L + l] : g;
    }
  });
}

}  // namespace lc

// CPU kernels of native/layernorm.h. Work is split into tiles of up to kTile neighbouring
// rows (o, i..i+kTile) so that the inner loop runs over contiguous i whatever the axis is;
// sums are in double.
#include <algorithm>
#include <cmath>

#include "layernorm.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk before work is split across threads
constexpr int64_t kTile = 64;

struct Tiles {
  int64_t per_outer, count;
};

Tiles tiles_of(int64_t outer, int64_t inner) {
  int64_t per_outer = (inner + kTile - 1) / kTile;
  return {per_outer, outer * per_outer};
}

// Calls fn(o, i0, width) for each tile, in parallel.
template <typename Fn>
void for_tiles(int64_t outer, int64_t n, int64_t inner, const Fn& fn) {
  Tiles tiles = tiles_of(outer, inner);
  int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n * std::min(inner, kTile)));
  parallel_for(tiles.count, grain, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t o = t / tiles.per_outer, i0 = (t % tiles.per_outer) * kTile;
      fn(o, i0, std::min(kTile, inner - i0));
    }
  });
}

}  // namespace

void layernorm_forward_cpu(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                           int64_t outer, int64_t n, int64_t inner, float eps) {
  for_tiles(outer, n, inner, [&](int64_t o, int64_t i0, int64_t width) {
    const float* base = x + o * n * inner + i0;
    double mu[kTile] = {}, var[kTile] = {};
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < width; ++i) mu[i] += base[j * inner + i];
    for (int64_t i = 0; i < width; ++i) mu[i] /= double(n);
    for (int64_t j = 0; j < n; ++j)  // two passes: no cancellation in the variance
      for (int64_t i = 0; i < width; ++i) {
        double d = base[j * inner + i] - mu[i];
        var[i] += d * d;
      }
    float m[kTile], r[kTile];
    for (int64_t i = 0; i < width; ++i) {
      m[i] = float(mu[i]);
      r[i] = float(1.0 / std::sqrt(var[i] / double(n) + double(eps)));
      mean[o * inner + i0 + i] = m[i];
      rstd[o * inner + i0 + i] = r[i];
    }
    float* out = y + o * n * inner + i0;
    for (int64_t j = 0; j < n; ++j) {
      float w = weight ? weight[j] : 1.0f, b = bias ? bias[j] : 0.0f;
      for (int64_t i = 0; i < width; ++i) out[j * inner + i] = (base[j * inner + i] - m[i]) * r[i] * w + b;
    }
  });
}

void layernorm_backward_cpu(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                            float* dx, float* dweight, float* dbias, int64_t outer, int64_t n, int64_t inner) {
  if (dx) {
    for_tiles(outer, n, inner, [&](int64_t o, int64_t i0, int64_t width) {
      int64_t offset = o * n * inner + i0;
      const float *m = mean + o * inner + i0, *r = rstd + o * inner + i0;
      double sum_g[kTile] = {}, sum_gx[kTile] = {};
      for (int64_t j = 0; j < n; ++j) {
        float w = weight ? weight[j] : 1.0f;
        for (int64_t i = 0; i < width; ++i) {
          int64_t at = offset + j * inner + i;
          double g = double(dy[at]) * w;
          sum_g[i] += g;
          sum_gx[i] += g * (x[at] - m[i]) * r[i];
        }
      }
      for (int64_t i = 0; i < width; ++i) {
        sum_g[i] /= double(n);
        sum_gx[i] /= double(n);
      }
      for (int64_t j = 0; j < n; ++j) {
        float w = weight ? weight[j] : 1.0f;
        for (int64_t i = 0; i < width; ++i) {
          int64_t at = offset + j * inner + i;
          double xhat = double(x[at] - m[i]) * r[i];
          dx[at] = float(r[i] * (double(dy[at]) * w - sum_g[i] - xhat * sum_gx[i]));
        }
      }
    });
  }
  if (dweight || dbias) {
    // One j per task, its sum over every row in a fixed order.
    parallel_for(n, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, outer * inner)), [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        double sum_w = 0, sum_b = 0;
        for (int64_t o = 0; o < outer; ++o) {
          const float *px = x + (o * n + j) * inner, *pg = dy + (o * n + j) * inner;
          const float *m = mean + o * inner, *r = rstd + o * inner;
          for (int64_t i = 0; i < inner; ++i) {
            sum_w += double(pg[i]) * (double(px[i] - m[i]) * r[i]);
            sum_b += pg[i];
          }
        }
        if (dweight) dweight[j] = float(sum_w);
        if (dbias) dbias[j] = float(sum_b);
      }
    });
  }
}

}  // namespace lc

// Shared by the backward passes of cauchy and vandermonde (CPU), whose outputs are sums over
// modes n of out[r, l] = sum_n f(v[r,n], w[r % Rw, n], l), with w broadcast over leading rows.
// Their kernels reduce over l in chunks and leave, per (row, chunk, mode), two complex partial
// sums A and B (4 values: A.re, A.im, B.re, B.im) such that
//   dv[r,n]  = scale * sum_chunk A,
//   dw[rw,n] = scale * sum_{r = rw mod Rw} conj(v[r,n]) * sum_chunk B.
// The chunking depends only on the sizes (never on the thread count), so results are
// reproducible to the bit.
#pragma once
#include <algorithm>
#include <cstdint>

#include "thread_pool.h"

namespace lc {

// Splits L into chunks so that R * chunks gives at least kTargetTasks tasks when possible,
// with chunks of at least `min_chunk` values of l (and a multiple of `align`).
struct LChunks {
  int64_t count, length;
};
inline LChunks l_chunks(int64_t R, int64_t L, int64_t min_chunk, int64_t align = 1) {
  constexpr int64_t kTargetTasks = 64;
  const int64_t wanted = std::max<int64_t>(1, (kTargetTasks + R - 1) / R);
  const int64_t most = std::max<int64_t>(1, L / min_chunk);
  int64_t length = (L + std::min(wanted, most) - 1) / std::min(wanted, most);
  length = (length + align - 1) / align * align;
  return {(L + length - 1) / length, length};
}

// part: [R][chunks][N][4] partial sums as above; v: [R,N,2]. dv: [R,N,2], dw: [Rw,N,2], either
// may be null.
inline void fold_modal_grads_cpu(const double* part, const float* v, int64_t R, int64_t Rw,
                                 int64_t chunks, int64_t N, double scale, float* dv, float* dw) {
  const int64_t grain = std::max<int64_t>(1, 4096 / (N * chunks));
  auto chunk_sum = [&](int64_t r, int64_t n, int which, double& re, double& im) {
    re = im = 0.0;
    for (int64_t c = 0; c < chunks; ++c) {
      const double* p = part + ((r * chunks + c) * N + n) * 4 + 2 * which;
      re += p[0];
      im += p[1];
    }
  };
  if (dv) {
    parallel_for(R, grain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r)
        for (int64_t n = 0; n < N; ++n) {
          double re, im;
          chunk_sum(r, n, 0, re, im);
          dv[(r * N + n) * 2] = static_cast<float>(scale * re);
          dv[(r * N + n) * 2 + 1] = static_cast<float>(scale * im);
        }
    });
  }
  if (dw) {
    parallel_for(Rw, grain, [&](int64_t begin, int64_t end) {
      for (int64_t rw = begin; rw < end; ++rw)
        for (int64_t n = 0; n < N; ++n) {
          double sum_re = 0.0, sum_im = 0.0;
          for (int64_t r = rw; r < R; r += Rw) {
            double re, im;
            chunk_sum(r, n, 1, re, im);
            const double vr = v[(r * N + n) * 2], vi = v[(r * N + n) * 2 + 1];
            sum_re += vr * re + vi * im;  // conj(v) * B
            sum_im += vr * im - vi * re;
          }
          dw[(rw * N + n) * 2] = static_cast<float>(scale * sum_re);
          dw[(rw * N + n) * 2 + 1] = static_cast<float>(scale * sum_im);
        }
    });
  }
}

}  // namespace lc

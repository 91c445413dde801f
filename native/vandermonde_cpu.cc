// CPU half of native/vandermonde.h, in double throughout.
//
// l runs in blocks of kBlock: exp(x l) = E(l0) * P(j) with l = l0 + j, where P(j) = exp(x j)
// (j < kBlock) is tabulated once per task and E(l0) = exp(x l0) is computed directly every
// kAnchorEvery blocks (glibc's sin/cos reduce even huge phases exactly) and carried between
// by a few multiplications by exp(x kBlock) in double, far too few to drift.
// Forward: a task is (row, chunk of l); per block the mode loop is outside and the loop over
// the block's l inside (no reduction: it vectorises). Backward: a task is (row, chunk of l);
// per l the mode loop is inside, accumulating per-mode sums (see native/modal_grads.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "modal_grads.h"
#include "thread_pool.h"
#include "vandermonde.h"

namespace lc {
namespace {

constexpr int64_t kBlock = 64;
constexpr int64_t kAnchorEvery = 8;

// The modes of one row: x as double, exp(x j) for j < kBlock and the running anchors.
struct Modes {
  int64_t N;
  std::vector<double> buf;
  double *xr, *xi, *pr, *pi, *qr, *qi, *er, *ei;

  explicit Modes(int64_t n) : N(n), buf(static_cast<size_t>(n * (6 + 2 * kBlock))) {
    xr = buf.data();
    xi = xr + N;
    qr = xi + N;  // exp(x kBlock)
    qi = qr + N;
    er = qi + N;  // exp(x l0) for the current block
    ei = er + N;
    pr = ei + N;  // exp(x j): [n][j] (layout_nj) or [j][n]
    pi = pr + N * kBlock;
  }

  static void exp_times(double xr, double xi, double l, double& re, double& im) {
    const double m = std::exp(xr * l);
    re = m * std::cos(xi * l);
    im = m * std::sin(xi * l);
  }

  // Loads the modes of one row with P for j < count; P is stored [n][j] when layout_nj, else
  // [j][n].
  void load(const float* x, int64_t count, bool layout_nj) {
    for (int64_t n = 0; n < N; ++n) {
      xr[n] = x[2 * n];
      xi[n] = x[2 * n + 1];
      exp_times(xr[n], xi[n], kBlock, qr[n], qi[n]);
      for (int64_t j = 0; j < count; ++j) {
        const int64_t at = layout_nj ? n * kBlock + j : j * N + n;
        exp_times(xr[n], xi[n], static_cast<double>(j), pr[at], pi[at]);
      }
    }
  }

  // Sets E = exp(x l0) for block index b = l0 / kBlock; `first` marks a task's first block.
  void anchor(int64_t b, bool first) {
    if (first || b % kAnchorEvery == 0) {
      for (int64_t n = 0; n < N; ++n)
        exp_times(xr[n], xi[n], static_cast<double>(b * kBlock), er[n], ei[n]);
      return;
    }
    for (int64_t n = 0; n < N; ++n) {
      const double re = er[n] * qr[n] - ei[n] * qi[n];
      ei[n] = er[n] * qi[n] + ei[n] * qr[n];
      er[n] = re;
    }
  }
};

}  // namespace

void vandermonde_forward_cpu(const float* v, const float* x, float* out, int64_t R, int64_t Rx,
                             int64_t N, int64_t L) {
  const LChunks chunks = l_chunks(R, L, 1024, kBlock);
  parallel_for(R * chunks.count, 1, [&](int64_t begin, int64_t end) {
    Modes modes(N);
    double acc[kBlock];
    int64_t loaded_row = -1;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / chunks.count, chunk = task % chunks.count;
      if (r % Rx != loaded_row) modes.load(x + (r % Rx) * N * 2, std::min(kBlock, L), true);
      loaded_row = r % Rx;
      const float* vrow = v + r * N * 2;
      const int64_t l_begin = chunk * chunks.length;
      const int64_t l_end = std::min(L, l_begin + chunks.length);
      for (int64_t l0 = l_begin; l0 < l_end; l0 += kBlock) {
        const int64_t count = std::min(kBlock, l_end - l0);
        modes.anchor(l0 / kBlock, l0 == l_begin);
        std::fill(acc, acc + count, 0.0);
        for (int64_t n = 0; n < N; ++n) {
          // a = v exp(x l0); Re(a exp(x j)) for every j of the block
          const double vr = vrow[2 * n], vi = vrow[2 * n + 1];
          const double ar = vr * modes.er[n] - vi * modes.ei[n];
          const double ai = vr * modes.ei[n] + vi * modes.er[n];
          const double* pr = modes.pr + n * kBlock;
          const double* pi = modes.pi + n * kBlock;
          for (int64_t j = 0; j < count; ++j) acc[j] += ar * pr[j] - ai * pi[j];
        }
        for (int64_t j = 0; j < count; ++j) out[r * L + l0 + j] = static_cast<float>(2.0 * acc[j]);
      }
    }
  });
}

// out = 2 Re sum_n v E with E = exp(x l). For a real loss with output gradient g:
//   dv = 2 sum_l g conj(E)              = 2 A,   A = sum_l g conj(E)
//   dx = 2 conj(v) sum_l g l conj(E)    = 2 conj(v) B.
void vandermonde_backward_cpu(const float* grad, const float* v, const float* x, float* dv,
                              float* dx, int64_t R, int64_t Rx, int64_t N, int64_t L) {
  if (!dv && !dx) return;
  const LChunks chunks = l_chunks(R, L, 1024, kBlock);
  std::vector<double> part(static_cast<size_t>(R * chunks.count * N * 4));
  parallel_for(R * chunks.count, 1, [&](int64_t begin, int64_t end) {
    Modes modes(N);
    // Per block: sums over its j of g conj(P) and g l conj(P); per chunk: the A and B above.
    std::vector<double> sums(static_cast<size_t>(N * 8));
    double *sa_re = sums.data(), *sa_im = sa_re + N, *sb_re = sa_im + N, *sb_im = sb_re + N;
    double* totals = sb_im + N;  // [n][4]
    int64_t loaded_row = -1;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / chunks.count, chunk = task % chunks.count;
      if (r % Rx != loaded_row) modes.load(x + (r % Rx) * N * 2, std::min(kBlock, L), false);
      loaded_row = r % Rx;
      std::fill(totals, totals + 4 * N, 0.0);
      const int64_t l_begin = chunk * chunks.length;
      const int64_t l_end = std::min(L, l_begin + chunks.length);
      for (int64_t l0 = l_begin; l0 < l_end; l0 += kBlock) {
        const int64_t count = std::min(kBlock, l_end - l0);
        modes.anchor(l0 / kBlock, l0 == l_begin);
        std::fill(sa_re, sa_re + 4 * N, 0.0);
        for (int64_t j = 0; j < count; ++j) {
          const double g = grad[r * L + l0 + j], gl = g * static_cast<double>(l0 + j);
          const double* pr = modes.pr + j * N;
          const double* pi = modes.pi + j * N;
          for (int64_t n = 0; n < N; ++n) {
            sa_re[n] += g * pr[n];
            sa_im[n] -= g * pi[n];
            sb_re[n] += gl * pr[n];
            sb_im[n] -= gl * pi[n];
          }
        }
        for (int64_t n = 0; n < N; ++n) {  // times conj(exp(x l0))
          const double er = modes.er[n], ei = modes.ei[n];
          totals[4 * n] += er * sa_re[n] + ei * sa_im[n];
          totals[4 * n + 1] += er * sa_im[n] - ei * sa_re[n];
          totals[4 * n + 2] += er * sb_re[n] + ei * sb_im[n];
          totals[4 * n + 3] += er * sb_im[n] - ei * sb_re[n];
        }
      }
      std::copy(totals, totals + 4 * N, part.data() + task * N * 4);
    }
  });
  fold_modal_grads_cpu(part.data(), v, R, Rx, chunks.count, N, 2.0, dv, dx);
}

}  // namespace lc

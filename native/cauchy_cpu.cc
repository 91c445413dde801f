// CPU half of native/cauchy.h. Inputs are float32; every term and sum is computed in double,
// which keeps 1/(z - w) free of overflow for any finite float and the sums accurate for any N.
//
// Forward: a task is (row, block of l); the loop over modes is outside and the loop over the
// block's l inside, so the inner loop has no reduction and vectorises.
// Backward: a task is (row, chunk of l); per l the loop over modes is inside, accumulating
// per-mode sums (again no reduction in the inner loop). See native/modal_grads.h.
#include <algorithm>
#include <vector>

#include "cauchy.h"
#include "modal_grads.h"
#include "thread_pool.h"

namespace lc {
namespace {

constexpr int64_t kForwardBlock = 128;  // l values accumulated at once by a forward task

// acc[j] += v / (zj - w) for j < count; v / d = v conj(d) / |d|^2.
void add_cauchy_terms(const double* zr, const double* zi, int64_t count, double vr, double vi,
                      double wr, double wi, double* acc_re, double* acc_im) {
  for (int64_t j = 0; j < count; ++j) {
    const double dr = zr[j] - wr, di = zi[j] - wi;
    const double inv = 1.0 / (dr * dr + di * di);
    acc_re[j] += (vr * dr + vi * di) * inv;
    acc_im[j] += (vi * dr - vr * di) * inv;
  }
}

// Per-mode sums over one l (see cauchy_backward_cpu for the formulas), both modes of a pair:
// with d = z - w, e = z - conj(w), g the output gradient,
//   A += d g / |d|^2 [+ conj(e g) / |e|^2],   B += d^2 g / |d|^4 [+ conj(e^2 g) / |e|^4].
template <bool kConj>
void add_grad_terms(double zr, double zi, double gr, double gi, const double* wr,
                    const double* wi, int64_t N, double* a_re, double* a_im, double* b_re,
                    double* b_im) {
  for (int64_t n = 0; n < N; ++n) {
    const double dr = zr - wr[n], di = zi - wi[n];
    const double p = 1.0 / (dr * dr + di * di);
    const double qr = (dr * gr - di * gi) * p, qi = (dr * gi + di * gr) * p;  // d g / |d|^2
    a_re[n] += qr;
    a_im[n] += qi;
    b_re[n] += (qr * dr - qi * di) * p;
    b_im[n] += (qr * di + qi * dr) * p;
    if (kConj) {
      const double er = zr - wr[n], ei = zi + wi[n];
      const double s = 1.0 / (er * er + ei * ei);
      const double ur = (er * gr - ei * gi) * s, ui = (er * gi + ei * gr) * s;  // e g / |e|^2
      a_re[n] += ur;
      a_im[n] -= ui;
      b_re[n] += (ur * er - ui * ei) * s;
      b_im[n] -= (ur * ei + ui * er) * s;
    }
  }
}

}  // namespace

void cauchy_forward_cpu(const float* v, const float* w, const float* z, float* out, int64_t R,
                        int64_t Rw, int64_t N, int64_t L, bool conj) {
  const int64_t blocks = (L + kForwardBlock - 1) / kForwardBlock;
  const int64_t grain = std::max<int64_t>(1, 8192 / (N * kForwardBlock));
  parallel_for(R * blocks, grain, [&](int64_t begin, int64_t end) {
    double zr[kForwardBlock], zi[kForwardBlock], acc_re[kForwardBlock], acc_im[kForwardBlock];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / blocks, l0 = (task % blocks) * kForwardBlock;
      const int64_t count = std::min(kForwardBlock, L - l0);
      for (int64_t j = 0; j < count; ++j) {
        zr[j] = z[(l0 + j) * 2];
        zi[j] = z[(l0 + j) * 2 + 1];
        acc_re[j] = acc_im[j] = 0.0;
      }
      const float* vr = v + r * N * 2;
      const float* wr = w + (r % Rw) * N * 2;
      for (int64_t n = 0; n < N; ++n) {
        const double a = vr[2 * n], b = vr[2 * n + 1], c = wr[2 * n], d = wr[2 * n + 1];
        add_cauchy_terms(zr, zi, count, a, b, c, d, acc_re, acc_im);
        if (conj) add_cauchy_terms(zr, zi, count, a, -b, c, -d, acc_re, acc_im);
      }
      float* o = out + (r * L + l0) * 2;
      for (int64_t j = 0; j < count; ++j) {
        o[2 * j] = static_cast<float>(acc_re[j]);
        o[2 * j + 1] = static_cast<float>(acc_im[j]);
      }
    }
  });
}

// With c = 1/(z - w) and b = 1/(z - conj w), out = sum v c [+ conj(v) b]; for a real loss
// (PyTorch's convention: holomorphic parts take conj(derivative) * g, antiholomorphic parts
// take derivative * conj(g)):
//   dv = sum_l conj(c) g [+ conj(g) b]            = A
//   dw = conj(v) sum_l conj(c)^2 g [+ conj(g) b^2] = conj(v) B.
void cauchy_backward_cpu(const float* grad, const float* v, const float* w, const float* z,
                         float* dv, float* dw, int64_t R, int64_t Rw, int64_t N, int64_t L,
                         bool conj) {
  if (!dv && !dw) return;
  const LChunks chunks = l_chunks(R, L, 256);
  std::vector<double> part(static_cast<size_t>(R * chunks.count * N * 4));
  parallel_for(R * chunks.count, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> buf(static_cast<size_t>(N * 6));
    double *wr = buf.data(), *wi = wr + N, *a_re = wi + N, *a_im = a_re + N, *b_re = a_im + N,
           *b_im = b_re + N;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / chunks.count, chunk = task % chunks.count;
      const float* wrow = w + (r % Rw) * N * 2;
      for (int64_t n = 0; n < N; ++n) {
        wr[n] = wrow[2 * n];
        wi[n] = wrow[2 * n + 1];
      }
      std::fill(a_re, a_re + 4 * N, 0.0);
      const int64_t l_end = std::min(L, (chunk + 1) * chunks.length);
      for (int64_t l = chunk * chunks.length; l < l_end; ++l) {
        const double zr = z[2 * l], zi = z[2 * l + 1];
        const double gr = grad[(r * L + l) * 2], gi = grad[(r * L + l) * 2 + 1];
        (conj ? add_grad_terms<true> : add_grad_terms<false>)(zr, zi, gr, gi, wr, wi, N, a_re,
                                                                a_im, b_re, b_im);
      }
      double* p = part.data() + task * N * 4;
      for (int64_t n = 0; n < N; ++n) {
        p[4 * n] = a_re[n];
        p[4 * n + 1] = a_im[n];
        p[4 * n + 2] = b_re[n];
        p[4 * n + 3] = b_im[n];
      }
    }
  });
  fold_modal_grads_cpu(part.data(), v, R, Rw, chunks.count, N, 1.0, dv, dw);
}

}  // namespace lc

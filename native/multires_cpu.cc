// CPU half of native/multires.h. Rows (b,h) run in parallel; each row walks all its levels
// while its data is in cache. Kernel gradients are summed per row in double, then over b in a
// fixed order, so results do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "errors.h"
#include "multires.h"
#include "storage.h"
#include "thread_pool.h"

namespace lc {
namespace {

// Lags r with r*d < L: the only ones that reach a sample of a length-L row.
int64_t live_lags(int64_t k, int64_t L, int64_t d) { return std::min(k, (L - 1) / d + 1); }

template <typename T>
std::vector<T> work_buffer(int64_t count) {
  try {
    return std::vector<T>(static_cast<size_t>(count));
  } catch (const std::bad_alloc&) {
    throw OutOfMemory("multiresConv (cpu): out of memory for work space");
  }
}

// One forward level of one row: lo_next = conv(lo, h0, d) and y += c * conv(lo, h1, d).
// Tap by tap, so the inner loops are shifted axpys that vectorize.
void level_forward(const float* __restrict__ lo, const float* h0, const float* h1, float c,
                   int64_t k, int64_t L, int64_t d, float* __restrict__ lo_next,
                   float* __restrict__ y) {
  std::fill(lo_next, lo_next + L, 0.0f);
  for (int64_t r = 0, lags = live_lags(k, L, d); r < lags; ++r) {
    const int64_t s = r * d;
    const float a0 = h0[k - 1 - r], a1 = c * h1[k - 1 - r];
    for (int64_t t = s; t < L; ++t) {
      const float v = lo[t - s];
      lo_next[t] += a0 * v;
      y[t] += a1 * v;
    }
  }
}

// The adjoint of one level for one row: g = conv^T(g_next, h0, d) + c * conv^T(dy, h1, d).
void level_backward(const float* __restrict__ g_next, const float* __restrict__ dy,
                    const float* h0, const float* h1, float c, int64_t k, int64_t L, int64_t d,
                    float* __restrict__ g) {
  std::fill(g, g + L, 0.0f);
  for (int64_t r = 0, lags = live_lags(k, L, d); r < lags; ++r) {
    const int64_t s = r * d;
    const float a0 = h0[k - 1 - r], a1 = c * h1[k - 1 - r];
    for (int64_t u = 0; u < L - s; ++u) g[u] += a0 * g_next[u + s] + a1 * dy[u + s];
  }
}

// sum_{t=s}^{L-1} a[t] * b[t-s] in double, over kLanes independent partial sums (they
// vectorize, and their fixed order keeps the result deterministic).
constexpr int kLanes = 8;
double lag_dot(const float* __restrict__ a, const float* __restrict__ b, int64_t s, int64_t L) {
  double lanes[kLanes] = {};
  int64_t t = s;
  for (; t + kLanes <= L; t += kLanes)
    for (int i = 0; i < kLanes; ++i) lanes[i] += double(a[t + i]) * double(b[t + i - s]);
  double sum = 0.0;
  for (; t < L; ++t) sum += double(a[t]) * double(b[t - s]);
  for (int i = 0; i < kLanes; ++i) sum += lanes[i];
  return sum;
}

}  // namespace

void multires_forward_cpu(const float* x, const float* h0, const float* h1, const float* w,
                          float* y, float* levels, int64_t B, int64_t H, int64_t L, int64_t k,
                          int64_t J) {
  const int64_t n = B * H * L;
  parallel_for(B * H, 1, [&](int64_t begin, int64_t end) {
    // Without `levels`, lo_1..lo_J ping-pong between two rows.
    WorkBuffer scratch(levels || J == 0 ? 0 : 2 * L);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t h = row % H;
      const float* x_row = x + row * L;
      const float* wh = w + h * (J + 2);
      float* y_row = y + row * L;
      for (int64_t t = 0; t < L; ++t) y_row[t] = wh[J + 1] * x_row[t];
      if (levels) std::memcpy(levels + row * L, x_row, sizeof(float) * L);
      const float* lo = x_row;
      for (int64_t m = 0; m < J; ++m) {
        float* next = levels ? levels + (m + 1) * n + row * L : scratch.data() + (m % 2) * L;
        level_forward(lo, h0 + h * k, h1 + h * k, wh[J - m], k, L, int64_t(1) << m, next, y_row);
        lo = next;
      }
      for (int64_t t = 0; t < L; ++t) y_row[t] += wh[0] * lo[t];
    }
  });
}

void multires_backward_cpu(const float* dy, const float* levels, const float* h0, const float* h1,
                           const float* w, float* dx, float* dh0, float* dh1, float* dw, int64_t B,
                           int64_t H, int64_t L, int64_t k, int64_t J) {
  const bool kernel_grads = dh0 || dh1 || dw;
  if (!dx && !kernel_grads) return;
  // glo_m is needed for dx (m = 0) and for dh0 (m >= 1).
  const bool need_glo = dx || (dh0 && J > 0);
  const int64_t n = B * H * L, rows = B * H;
  // Per row: dh0 [k], dh1 [k], dw [J+2].
  const int64_t stride = 2 * k + J + 2;
  std::vector<double> partial = work_buffer<double>(kernel_grads ? rows * stride : 0);

  parallel_for(rows, 1, [&](int64_t begin, int64_t end) {
    // glo_J..glo_1 ping-pong between two rows (slot m % 2); glo_0 goes straight into dx.
    WorkBuffer scratch(need_glo ? 2 * L : 0);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t h = row % H;
      const float* dy_row = dy + row * L;
      const float* wh = w + h * (J + 2);
      const float *h0h = h0 + h * k, *h1h = h1 + h * k;
      double* p_dh0 = kernel_grads ? partial.data() + row * stride : nullptr;
      double* p_dh1 = kernel_grads ? p_dh0 + k : nullptr;
      double* p_dw = kernel_grads ? p_dh1 + k : nullptr;
      float* glo = nullptr;  // glo_{m+1} while level m runs
      if (need_glo) {
        glo = scratch.data() + (J % 2) * L;
        for (int64_t t = 0; t < L; ++t) glo[t] = wh[0] * dy_row[t];
      }
      for (int64_t m = J - 1; m >= 0; --m) {
        const int64_t d = int64_t(1) << m;
        const float c = wh[J - m];
        if (kernel_grads) {
          const float* lo = levels + m * n + row * L;
          for (int64_t r = 0, lags = live_lags(k, L, d); r < lags; ++r) {
            const double corr = lag_dot(dy_row, lo, r * d, L);
            p_dh1[k - 1 - r] += c * corr;
            p_dw[J - m] += h1h[k - 1 - r] * corr;
            if (dh0) p_dh0[k - 1 - r] += lag_dot(glo, lo, r * d, L);
          }
        }
        if (need_glo && (m > 0 || dx)) {
          float* out = m == 0 ? dx + row * L : scratch.data() + (m % 2) * L;
          level_backward(glo, dy_row, h0h, h1h, c, k, L, d, out);
          glo = out;
        }
      }
      if (kernel_grads) {
        p_dw[0] = lag_dot(dy_row, levels + J * n + row * L, 0, L);
        p_dw[J + 1] = lag_dot(dy_row, levels + row * L, 0, L);
      }
      if (dx) {
        float* dx_row = dx + row * L;  // may already hold glo_0 (J >= 1)
        for (int64_t t = 0; t < L; ++t) dx_row[t] = glo[t] + wh[J + 1] * dy_row[t];
      }
    }
  });

  if (!kernel_grads) return;
  parallel_for(H, 1, [&](int64_t begin, int64_t end) {
    for (int64_t h = begin; h < end; ++h) {
      auto sum_over_b = [&](int64_t i) {
        double sum = 0.0;
        for (int64_t b = 0; b < B; ++b) sum += partial[(b * H + h) * stride + i];
        return static_cast<float>(sum);
      };
      for (int64_t j = 0; j < k; ++j) {
        if (dh0) dh0[h * k + j] = sum_over_b(j);
        if (dh1) dh1[h * k + j] = sum_over_b(k + j);
      }
      if (dw)
        for (int64_t i = 0; i < J + 2; ++i) dw[h * (J + 2) + i] = sum_over_b(2 * k + i);
    }
  });
}

}  // namespace lc

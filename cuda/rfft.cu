// Real FFTs of any length on CUDA (contract in native/rfft.h): cuFFT (any n) in its padded
// in-place layout, rows of 2*(n/2+1) floats, on a scratch copy; small kernels move the user's
// rows in and out of that layout, truncating or zero-padding, and apply the weights.
// Everything is queued on the legacy default stream; scratch goes back to the caching
// allocator in stream order.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <string>

#include "cufft_loader.h"
#include "kernel_common.cuh"
#include "rfft.h"

namespace lc {
namespace {

// DC and (even n) Nyquist: bins that appear once in the full spectrum (weight 1, real).
__device__ inline bool self_conjugate(int64_t k, int64_t n) { return k == 0 || 2 * k == n; }
__device__ inline float hermitian_weight(int64_t k, int64_t n) {
  return self_conjugate(k, n) ? 1.f : 2.f;
}

// padded[row][t] = x[row][t] for t < count, zeros up to the row's end (for n = 1 this makes
// the row its own spectrum: the length-1 transform is the identity).
__global__ void load_signals(const float* __restrict__ x, int64_t rows, int64_t L, int64_t count,
                             int64_t rowFloats, float* __restrict__ padded) {
  for (int64_t i : grid_stride(rows * rowFloats)) {
    const int64_t row = i / rowFloats, t = i % rowFloats;
    padded[i] = t < count ? x[row * L + t] : 0.f;
  }
}

// out[row][k] = w_k * spectrum[row][k] for k < kept, zero for kept <= k < bins (rfft.h).
__global__ void store_bins(const float* __restrict__ padded, int64_t rows, int64_t n,
                           int64_t bins, int64_t kept, bool adjoint, float* __restrict__ out) {
  const int64_t rowFloats = 2 * (n / 2 + 1);
  for (int64_t i : grid_stride(rows * bins)) {
    const int64_t row = i / bins, k = i % bins;
    float re = 0.f, im = 0.f;
    if (k < kept) {
      const float w = adjoint ? hermitian_weight(k, n) / static_cast<float>(n) : 1.f;
      re = padded[row * rowFloats + 2 * k] * w;
      im = adjoint && self_conjugate(k, n) ? 0.f : padded[row * rowFloats + 2 * k + 1] * w;
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
}

// spectrum[row][k] = v_k * X[row][k] for k < kept, zero up to n/2+1 bins; the DC and Nyquist
// bins real. C2R then gives sum_k c_k Re(spectrum_k e^{2 pi i jk/n}), so v_k = 1/n for irfft
// and 1/c_k for the adjoint of rfft (rfft.h).
__global__ void load_bins(const float* __restrict__ X, int64_t rows, int64_t m, int64_t n,
                          int64_t kept, bool adjoint, float* __restrict__ padded) {
  const int64_t bins = n / 2 + 1;
  for (int64_t i : grid_stride(rows * bins)) {
    const int64_t row = i / bins, k = i % bins;
    float re = 0.f, im = 0.f;
    if (k < kept) {
      const float v = adjoint ? 1.f / hermitian_weight(k, n) : 1.f / static_cast<float>(n);
      re = X[2 * (row * m + k)] * v;
      im = self_conjugate(k, n) ? 0.f : X[2 * (row * m + k) + 1] * v;
    }
    padded[2 * i] = re;
    padded[2 * i + 1] = im;
  }
}

// out[row][j] = padded[row][j] for j < count, zero for count <= j < len.
__global__ void store_signals(const float* __restrict__ padded, int64_t rows, int64_t rowFloats,
                              int64_t count, int64_t len, float* __restrict__ out) {
  for (int64_t i : grid_stride(rows * len)) {
    const int64_t row = i / len, j = i % len;
    out[i] = j < count ? padded[row * rowFloats + j] : 0.f;
  }
}

}  // namespace

void rfft_cuda(const float* x, float* out, int64_t rows, int64_t L, int64_t n, int64_t bins,
               bool adjoint) {
  if (rows == 0 || bins == 0) return;
  const int64_t rowFloats = 2 * (n / 2 + 1);
  DeviceFloats padded = device_floats(rows * rowFloats);
  auto load = [&] {
    launch("load_signals", load_signals, over_items(rows * rowFloats), x, rows, L, std::min(L, n),
           rowFloats, padded.get());
  };
  if (n > 1)
    cufft_forward_real_inplace(padded.get(), n, rows, load);
  else
    load();
  launch("store_bins", store_bins, over_items(rows * bins), padded.get(), rows, n, bins,
         std::min(bins, n / 2 + 1), adjoint, out);
}

void irfft_cuda(const float* X, float* out, int64_t rows, int64_t m, int64_t n, int64_t len,
                bool adjoint) {
  if (rows == 0 || len == 0) return;
  const int64_t bins = n / 2 + 1, rowFloats = 2 * bins;
  // C2R overwrites its input, so it only ever sees this scratch copy.
  DeviceFloats padded = device_floats(rows * rowFloats);
  auto load = [&] {
    launch("load_bins", load_bins, over_items(rows * bins), X, rows, m, n, std::min(m, bins),
           adjoint, padded.get());
  };
  if (n > 1)
    cufft_inverse_real_inplace(padded.get(), n, rows, load);
  else
    load();
  launch("store_signals", store_signals, over_items(rows * len), padded.get(), rows, rowFloats,
         std::min(len, n), len, out);
}

}  // namespace lc

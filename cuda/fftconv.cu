// fftConv on CUDA (contract in native/fftconv.h): cuFFT for the transforms, our kernels for the
// zero padding / kernel folding, the broadcast spectral products and the truncation.
//
// Spectrum layout (Kf and Uf, and every scratch spectrum): one row per signal, rows in the
// order of the signal's tensor ([C][H] for Kf, [B][H] for Uf), each row n/2+1 interleaved
// (re, im) float pairs = 2*(n/2+1) floats, bin f at floats [2f, 2f+1]. This is cuFFT's padded
// in-place layout, so each row is first filled with its real length-n signal and transformed
// where it lies. Pointers must be 8-byte aligned (any cuda_alloc block is).
//
// Everything is queued on the legacy default stream; the functions return before the device
// has finished, and scratch blocks go back to the caching allocator in stream order.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>

#include "cufft_loader.h"
#include "fftconv.h"
#include "kernel_common.cuh"

namespace lc {
namespace {

int64_t spectrum_row_floats(int64_t n) { return 2 * (n / 2 + 1); }

// The kernels below run over [rows][columns] (over_rows): a thread per column of a row, whose
// blocks stride over the rows.

// Builds real length-n rows (row stride rowFloats) from length-L rows:
//   out[t] = head[t] for t < L,  out[n-s] = tail[s-1] for s = 1..L,  out[0] += diag,  else 0.
// n >= 2L keeps the head and tail ranges apart. tail and diag may be null (plain zero padding).
__global__ void fold_rows(const float* __restrict__ head, const float* __restrict__ tail,
                          const float* __restrict__ diag, int64_t rows, int64_t L, int64_t n,
                          int64_t rowFloats, float* __restrict__ out) {
  const int64_t t = global_thread();
  if (t >= n) return;
  for (int64_t row : row_stride(rows)) {
    float value = 0.f;
    if (t < L) value = head[row * L + t];
    if (tail && t >= n - L) value = tail[row * L + (n - 1 - t)];
    if (diag && t == 0) value += diag[row];
    out[row * rowFloats + t] = value;
  }
}

// The adjoint of fold_rows, scaled: head[t] = scale*in[t], tail[s-1] = scale*in[n-s],
// diag = scale*in[0]. Any output may be null.
__global__ void unfold_rows(const float* __restrict__ in, int64_t rows, int64_t L, int64_t n,
                            int64_t rowFloats, float scale, float* __restrict__ head,
                            float* __restrict__ tail, float* __restrict__ diag) {
  const int64_t t = global_thread();
  if (t >= L) return;
  for (int64_t row : row_stride(rows)) {
    const float* signal = in + row * rowFloats;
    if (head) head[row * L + t] = scale * signal[t];
    if (tail) tail[row * L + t] = scale * signal[n - 1 - t];
    if (diag && t == 0) diag[row] = scale * signal[0];
  }
}

// Where an operand of spectral_product keeps spectrum row (p, q, j, h):
// p*strides.p + q*strides.q + j*strides.j + h.
struct RowStrides {
  int64_t p, q, j;
};
// out[p,q,h] = sum_{j<J} a[p,q,j,h] * b[p,q,j,h] (b conjugated when asked), bin by bin, over
// output rows (p, q, h) in row-major order with extents (rows/(Q*H), Q, H).
struct ProductShape {
  int64_t Q, H, J;
  RowStrides out, a, b;
};

template <bool kConjugateB>
__global__ void spectral_product(const float2* __restrict__ a, const float2* __restrict__ b,
                                 ProductShape shape, int64_t rows, int64_t bins,
                                 float2* __restrict__ out) {
  const int64_t f = global_thread();
  if (f >= bins) return;
  for (int64_t row : row_stride(rows)) {
    const int64_t h = row % shape.H, pq = row / shape.H;
    const int64_t q = pq % shape.Q, p = pq / shape.Q;
    const int64_t aRow = p * shape.a.p + q * shape.a.q + h;
    const int64_t bRow = p * shape.b.p + q * shape.b.q + h;
    float2 sum = make_float2(0.f, 0.f);
    for (int64_t j = 0; j < shape.J; ++j) {
      const float2 x = a[(aRow + j * shape.a.j) * bins + f];
      float2 y = b[(bRow + j * shape.b.j) * bins + f];
      if (kConjugateB) y.y = -y.y;
      sum.x += x.x * y.x - x.y * y.y;
      sum.y += x.x * y.y + x.y * y.x;
    }
    out[(p * shape.out.p + q * shape.out.q + h) * bins + f] = sum;
  }
}

// Spectra of `rows` length-L signals (folded with tail/diag as in fold_rows) into `spectra`.
void spectra_of(const float* head, const float* tail, const float* diag, int64_t rows, int64_t L,
                int64_t n, float* spectra) {
  cufft_forward_real_inplace(spectra, n, rows, [&] {
    launch("fold_rows", fold_rows, over_rows(rows, n), head, tail, diag, rows, L, n,
           spectrum_row_floats(n), spectra);
  });
}

// The product of two spectra (see ProductShape), back to `rows` signals and unfolded into
// head/tail/diag with the 1/n that cuFFT's unnormalized transforms leave.
template <bool kConjugateB>
void product_to_signals(const float* a, const float* b, const ProductShape& shape, int64_t rows,
                        int64_t L, int64_t n, float* head, float* tail, float* diag) {
  const int64_t rowFloats = spectrum_row_floats(n), bins = n / 2 + 1;
  DeviceFloats product = device_floats(rows * rowFloats);
  cufft_inverse_real_inplace(product.get(), n, rows, [&] {
    launch("spectral_product", spectral_product<kConjugateB>, over_rows(rows, bins),
           reinterpret_cast<const float2*>(a), reinterpret_cast<const float2*>(b), shape, rows,
           bins, reinterpret_cast<float2*>(product.get()));
  });
  launch("unfold_rows", unfold_rows, over_rows(rows, L), product.get(), rows, L, n, rowFloats,
         1.f / static_cast<float>(n), head, tail, diag);
}

}  // namespace

// Sizes are plain arithmetic; the functions that touch the device check for CUDA.
int64_t fftconv_kernel_spectrum_floats_cuda(int64_t C, int64_t H, int64_t L) {
  return C * H * spectrum_row_floats(fftconv_size(L));
}

int64_t fftconv_input_spectrum_floats_cuda(int64_t B, int64_t H, int64_t L) {
  return B * H * spectrum_row_floats(fftconv_size(L));
}

void fftconv_kernel_spectrum_cuda(const float* k, const float* kRev, const float* D, float* Kf,
                                  int64_t C, int64_t H, int64_t L) {
  spectra_of(k, kRev, D, C * H, L, fftconv_size(L), Kf);
}

void fftconv_forward_cuda(const float* u, const float* Kf, float* y, float* Uf, int64_t B,
                          int64_t C, int64_t H, int64_t L) {
  const int64_t n = fftconv_size(L);
  DeviceFloats uScratch(nullptr, cuda_free);
  if (!Uf) {
    uScratch = device_floats(B * H * spectrum_row_floats(n));
    Uf = uScratch.get();
  }
  spectra_of(u, nullptr, nullptr, B * H, L, n, Uf);
  // Y[b,c,h] = U[b,h] * Kf[c,h]
  const ProductShape shape{C, H, 1, {C * H, H, 0}, {H, 0, 0}, {0, H, 0}};
  product_to_signals<false>(Uf, Kf, shape, B * C * H, L, n, y, nullptr, nullptr);
}

void fftconv_backward_cuda(const float* dy, const float* Kf, const float* Uf, float* du, float* dk,
                           float* dkRev, float* dD, int64_t B, int64_t C, int64_t H, int64_t L) {
  const bool kernelGrad = dk || dkRev || dD;
  if (!du && !kernelGrad) return;
  const int64_t n = fftconv_size(L);
  DeviceFloats dyf = device_floats(B * C * H * spectrum_row_floats(n));
  spectra_of(dy, nullptr, nullptr, B * C * H, L, n, dyf.get());
  if (du) {
    // DU[b,h] = sum_c DY[b,c,h] * conj(Kf[c,h])
    const ProductShape shape{1, H, C, {H, 0, 0}, {C * H, 0, H}, {0, 0, H}};
    product_to_signals<true>(dyf.get(), Kf, shape, B * H, L, n, du, nullptr, nullptr);
  }
  if (kernelGrad) {
    // DKC[c,h] = sum_b DY[b,c,h] * conj(U[b,h]); dkc splits into dk, dkRev and dD.
    const ProductShape shape{1, H, B, {H, 0, 0}, {H, 0, C * H}, {0, 0, H}};
    product_to_signals<true>(dyf.get(), Uf, shape, C * H, L, n, dk, dkRev, dD);
  }
}

}  // namespace lc

// fftConv (docs/MATH.md §2.1): y = causal conv(u, k) + anti-causal conv(u, kRev) + D*u, by real FFTs
// of length n = fftconv_size(L). CPU half: native/fftconv_cpu.cc; CUDA half: cuda/fftconv.cu
// (native/dispatch.h). Requires B, C, H, L >= 1.
//
// k, kRev and D are folded into one combined length-n kernel per (c,h):
//   kc[0..L) = k (kc[0] += D),  kc[n-s] = kRev[s-1] for s = 1..L,  zeros elsewhere,
// whose circular convolution with the zero-padded u is exactly the sum above (n >= 2L keeps the
// causal and anti-causal parts apart). Its spectrum Kf is computed once per call and reused by
// the backward pass; the gradient of kc splits back into dk, dkRev and dD.
//
// Spectra use a backend-specific layout; their sizes (in floats) come from the *_floats
// functions below, and only the same backend reads them back.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

// The FFT length for sequence length L: the smallest even 5-smooth (2^a 3^b 5^c) n >= 2L.
// Even, so a real transform runs as a half-length complex one.
int64_t fftconv_size(int64_t L);

LC_KERNEL(int64_t, fftconv_kernel_spectrum_floats, (int64_t C, int64_t H, int64_t L))
LC_KERNEL(int64_t, fftconv_input_spectrum_floats, (int64_t B, int64_t H, int64_t L))
// k, kRev: [C,H,L]; D: [C,H]; kRev and D may be null. Writes Kf.
LC_KERNEL(void, fftconv_kernel_spectrum, (const float* k, const float* kRev, const float* D,
                                          float* Kf, int64_t C, int64_t H, int64_t L))
// u: [B,H,L] -> y: [B,C,H,L]. When Uf is not null, also stores u's spectrum there for backward.
LC_KERNEL(void, fftconv_forward, (const float* u, const float* Kf, float* y, float* Uf, int64_t B,
                                  int64_t C, int64_t H, int64_t L))
// dy: [B,C,H,L]. Each output may be null (not needed); dk, dkRev and dD need Uf.
// du: [B,H,L]; dk, dkRev: [C,H,L]; dD: [C,H]. Outputs are overwritten, not accumulated.
LC_KERNEL(void, fftconv_backward, (const float* dy, const float* Kf, const float* Uf, float* du,
                                   float* dk, float* dkRev, float* dD, int64_t B, int64_t C,
                                   int64_t H, int64_t L))

}  // namespace lc

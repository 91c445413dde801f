// Real FFTs of any length n along the last axis (numpy.fft.rfft / irfft semantics), and the
// adjoints their backward passes need. CPU half: native/rfft_cpu.cc; CUDA half: cuda/rfft.cu
// (native/dispatch.h). Requires every size >= 1.
//
// With nb = n/2 + 1 bins and the Hermitian weight c_k = 1 for the DC bin (k = 0) and, for even
// n, the Nyquist bin (k = n/2), c_k = 2 for the other bins (they stand for k and n-k):
//
// rfft:  x [rows, L] -> out [rows, bins, 2], for k < bins
//          out_k = w_k * sum_{j < min(L,n)} x_j exp(-2 pi i jk/n)   (0 for k >= nb)
//        w_k = 1; with `adjoint`, w_k = c_k/n and the imaginary parts of the DC and Nyquist
//        bins are zeroed: the gradient of irfft(., n) with respect to its first `bins` bins.
// irfft: X [rows, m, 2] -> out [rows, len], for j < len
//          out_j = (1/n) sum_{k < nb} c_k Re(X'_k exp(2 pi i jk/n))   (0 for j >= n)
//        where X' is X truncated or zero-padded to nb bins, with the imaginary parts of the DC
//        and Nyquist bins ignored (numpy.fft.irfft); with `adjoint`, the factor c_k/n becomes
//        1: the gradient of rfft(., n) with respect to its `len` input samples.
#pragma once
#include <cstdint>

#include "dispatch.h"

namespace lc {

LC_KERNEL(void, rfft, (const float* x, float* out, int64_t rows, int64_t L, int64_t n, int64_t bins,
                       bool adjoint))
LC_KERNEL(void, irfft, (const float* X, float* out, int64_t rows, int64_t m, int64_t n, int64_t len,
                        bool adjoint))

}  // namespace lc

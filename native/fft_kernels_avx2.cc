// The FFT kernels built with -mavx2 -mfma; chosen at run time by lc::fft_kernels().
#include <immintrin.h>

#define LC_FFT_NS fft_avx2
#define LC_FMA(a, b, c) ((v8f)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#include "fft_kernels.inl"

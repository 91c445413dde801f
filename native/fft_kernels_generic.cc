// The FFT kernels for any x86-64 CPU (the build gives this file baseline flags).
#define LC_FFT_NS fft_generic
#define LC_FMA(a, b, c) ((a) * (b) + (c))
#include "fft_kernels.inl"

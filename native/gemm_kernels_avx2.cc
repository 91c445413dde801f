// The GEMM micro-kernel built with -mavx2 -mfma; chosen at run time by native/gemm_cpu.cc.
#include <immintrin.h>

#define LC_GEMM_NS gemm_avx2
#define LC_FMA(a, b, c) ((v8f)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#include "gemm_kernels.inl"

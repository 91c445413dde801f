// The GEMM micro-kernel for any x86-64 CPU (the build gives this file baseline flags).
#define LC_GEMM_NS gemm_generic
#define LC_FMA(a, b, c) ((a) * (b) + (c))
#include "gemm_kernels.inl"

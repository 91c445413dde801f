// The CPU GEMM's register tile and its micro-kernel, compiled twice from native/gemm_kernels.inl
// (AVX2+FMA and baseline x86-64); native/gemm_cpu.cc picks one at run time.
#pragma once
#include <cstdint>

namespace lc {

// The micro-kernel's tile of C: MR rows by NR columns. Packed A panels hold MR values per k,
// packed B panels NR values per k.
constexpr int kGemmMR = 6;
constexpr int kGemmNR = 16;

// C[0..mr) x [0..nr) (row stride ldc) += sum over k < kc of a[k*MR + i] * b[k*NR + j].
using GemmMicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* C,
                                 int64_t ldc, int mr, int nr);

namespace gemm_avx2 {
void micro_kernel(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr);
}
namespace gemm_generic {
void micro_kernel(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr);
}

}  // namespace lc

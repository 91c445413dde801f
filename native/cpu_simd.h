// The CPU's vector instruction set, checked once: the AVX2+FMA kernels (native/*_avx2.cc) run
// where the CPU has both, the SSE2 ones (x86-64's baseline) elsewhere. One check serves the FFT,
// the GEMM and backendInfo(), so what `longconv info` reports is what the kernels use.
#pragma once

namespace lc {

inline bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

// "AVX2+FMA" or "SSE2": the instruction set of the CPU kernels in use.
inline const char* cpu_simd_name() { return cpu_has_avx2_fma() ? "AVX2+FMA" : "SSE2"; }

}  // namespace lc

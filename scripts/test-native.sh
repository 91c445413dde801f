#!/usr/bin/env bash
# Builds and runs the standalone C++ test of the CPU FFT and fftConv kernels
# (test/native/fft_test.cc): both kernel sets (AVX2 and baseline) against float64 sums.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
flags=(-std=c++17 -O2 -Wall -Wextra -Werror -pthread -Inative)
g++ "${flags[@]}" -mavx2 -mfma -c native/fft_kernels_avx2.cc -o "$out/fft_kernels_avx2.o"
g++ "${flags[@]}" test/native/fft_test.cc native/fft.cc native/fft_kernels_generic.cc \
  native/fftconv_cpu.cc native/thread_pool.cc native/storage.cc native/host_cache.cc \
  cuda/cuda_backend_stub.cc -Icuda "$out/fft_kernels_avx2.o" -o "$out/fft_test"
"$out/fft_test"

#!/usr/bin/env bash
# Builds and runs the standalone C++ tests, targets of CMakeLists.txt (its sources and flags),
# CPU-only and with -Werror in build/native-test:
#  - fft_test (test/native/fft_test.cc): the CPU FFT and fftConv kernels, both kernel sets
#    (AVX2 and baseline), against float64 sums;
#  - cuda_host_test (test/native/cuda_host_test.cc): the CUDA backend's host-side logic (caching
#    allocator, cuFFT plan cache, library search order, Cauchy's 1/conj(d)), without CUDA,
#    against two fake CUDA libraries built alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
cmake -S . -B "$out" -DLONGCONV_CUDA=OFF -DCMAKE_CXX_FLAGS=-Werror >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log"; exit 1; }
cmake --build "$out" --target fft_test cuda_host_test --parallel "$(nproc)"
"$out/fft_test"
"$out/cuda_host_test" "$PWD/$out/fakecuda"

#!/usr/bin/env bash
# Builds and runs the standalone C++ tests:
#  - test/native/fft_test.cc: the CPU FFT and fftConv kernels, both kernel sets (AVX2 and
#    baseline), against float64 sums;
#  - test/native/cuda_host_test.cc: the CUDA backend's host-side logic (caching allocator,
#    cuFFT plan cache, library search order, Cauchy's 1/conj(d)), without CUDA, against two
#    fake CUDA libraries built here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
flags=(-std=c++17 -O2 -Wall -Wextra -Werror -pthread -Inative -Icuda)
g++ "${flags[@]}" -mavx2 -mfma -c native/fft_kernels_avx2.cc -o "$out/fft_kernels_avx2.o"
g++ "${flags[@]}" test/native/fft_test.cc native/fft.cc native/fft_kernels_generic.cc \
  native/fftconv_cpu.cc native/thread_pool.cc native/storage.cc native/host_cache.cc \
  cuda/cuda_backend_stub.cc -Icuda "$out/fft_kernels_avx2.o" -o "$out/fft_test"
"$out/fft_test"
mkdir -p "$out/fakecuda"
for major in 11 12; do
  echo "extern \"C\" int fake_major() { return $major; }" |
    g++ -shared -fPIC -x c++ - -o "$out/fakecuda/libfakecuda.so.$major"
done
g++ "${flags[@]}" test/native/cuda_host_test.cc cuda/library_search.cc -ldl \
  -o "$out/cuda_host_test"
"$out/cuda_host_test" "$PWD/$out/fakecuda"

#!/usr/bin/env bash
# Builds and runs the standalone C++ tests:
#  - test/native/fft_test.cc: the CPU FFT and fftConv kernels, both kernel sets (AVX2 and
#    baseline), against float64 sums;
#  - test/native/cuda_host_test.cc: the CUDA backend's host-side logic (caching allocator,
#    cuFFT plan cache, library search order, Cauchy's 1/conj(d)), without CUDA, against two
#    fake CUDA libraries built here;
#  - test/native/mpi_abi_test.cc: native/mpi_abi.h against Open MPI's and MPICH's mpi.h, for
#    each whose headers are installed (libopenmpi-dev, libmpich-dev); LONGCONV_TEST_MPI=require
#    (set by .ci/run) makes a missing one a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
flags=(-std=c++17 -O2 -Wall -Wextra -Werror -pthread -Inative -Icuda)
g++ "${flags[@]}" -mavx2 -mfma -c native/fft_kernels_avx2.cc -o "$out/fft_kernels_avx2.o"
g++ "${flags[@]}" test/native/fft_test.cc native/fft.cc native/fft_kernels_generic.cc \
  native/fftconv_cpu.cc native/thread_pool.cc "$out/fft_kernels_avx2.o" -o "$out/fft_test"
"$out/fft_test"
mkdir -p "$out/fakecuda"
for major in 11 12; do
  echo "extern \"C\" int fake_major() { return $major; }" |
    g++ -shared -fPIC -x c++ - -o "$out/fakecuda/libfakecuda.so.$major"
done
g++ "${flags[@]}" test/native/cuda_host_test.cc native/library_search.cc -ldl \
  -o "$out/cuda_host_test"
"$out/cuda_host_test" "$PWD/$out/fakecuda"
for mpi in "ompi-c LC_OPEN_MPI" "mpich LC_MPICH"; do
  read -r package define <<< "$mpi"
  if ! pkg-config --exists "$package" 2>/dev/null; then
    echo "mpi_abi_test: skipped for $package: its headers are not installed (pkg-config $package)"
    [[ "${LONGCONV_TEST_MPI:-}" != require ]] || { echo "LONGCONV_TEST_MPI=require: failing"; exit 1; }
    continue
  fi
  # shellcheck disable=SC2046  # pkg-config's flags are words
  g++ "${flags[@]}" -D"$define" -DOMPI_SKIP_MPICXX -DMPICH_SKIP_MPICXX test/native/mpi_abi_test.cc \
    $(pkg-config --cflags --libs "$package") -ldl -o "$out/mpi_abi_test_$package"
  "$out/mpi_abi_test_$package"
done

#!/usr/bin/env bash
# Builds and runs the standalone C++ tests, targets of CMakeLists.txt (its sources and flags),
# CPU-only and with -Werror in build/native-test:
#  - fft_test (test/native/fft_test.cc): the CPU FFT and fftConv kernels, both kernel sets
#    (AVX2 and baseline), against float64 sums;
#  - math_test (test/native/math_test.cc): the vectorizable erf and exp of
#    native/elementwise_ops.h and the GELU built on them, against float64 libm;
#  - cuda_host_test (test/native/cuda_host_test.cc): the CUDA backend's host-side logic (caching
#    allocator, cuFFT plan cache, library search order, Cauchy's 1/conj(d)), without CUDA,
#    against two fake CUDA libraries built alongside;
#  - mpi_abi_test_openmpi, mpi_abi_test_mpich (test/native/mpi_abi_test.cc): native/mpi_abi.h
#    against Open MPI's and MPICH's mpi.h, each when its headers are installed (libopenmpi-dev,
#    libmpich-dev); LONGCONV_TEST_MPI=require (set by .ci/run) makes a missing one a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native-test
mkdir -p "$out"
cmake -S . -B "$out" -DLONGCONV_CUDA=OFF -DCMAKE_CXX_FLAGS=-Werror >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log"; exit 1; }
mpi_tests=()
for vendor in "ompi-c openmpi" "mpich mpich"; do
  read -r package name <<< "$vendor"
  if pkg-config --exists "$package" 2>/dev/null; then
    mpi_tests+=("mpi_abi_test_$name")
  else
    echo "mpi_abi_test_$name: skipped: the $package headers are not installed (pkg-config $package)"
    [[ "${LONGCONV_TEST_MPI:-}" != require ]] || { echo "LONGCONV_TEST_MPI=require: failing"; exit 1; }
  fi
done
cmake --build "$out" --target fft_test math_test cuda_host_test "${mpi_tests[@]}" --parallel "$(nproc)"
"$out/fft_test"
"$out/math_test"
"$out/cuda_host_test" "$PWD/$out/fakecuda"
for test in "${mpi_tests[@]}"; do "$out/$test"; done

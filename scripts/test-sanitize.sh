#!/usr/bin/env bash
# The CPU addon and the C++ tests built with AddressSanitizer + UndefinedBehaviorSanitizer
# (CPU-only, in build/sanitize and build/sanitize-test), then the C++ tests and the jest suite
# run on them: any out-of-bounds access, use after free or undefined behaviour in native code
# aborts the process that hit it, which fails the test. Node itself is not instrumented, so the
# sanitizer runtimes are preloaded; leak checking is off (Node and V8 keep memory to exit).
# Time-boxed by LONGCONV_SANITIZE_MINUTES (default 50; the suite took 9 min on 2 busy cores);
# prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${LONGCONV_SANITIZE_MINUTES:-50}
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
# vptr checks need the RTTI of Node's own classes, which is not there.
flags="$flags -fno-sanitize=vptr"
jobs=$(nproc)
t0=$SECONDS
mkdir -p build

node node_modules/cmake-js/bin/cmake-js build --out build/sanitize --parallel "$jobs" \
  --CDLONGCONV_CUDA=OFF "--CDCMAKE_CXX_FLAGS=$flags" "--CDCMAKE_SHARED_LINKER_FLAGS=$flags" \
  >build/sanitize.log 2>&1 || { tail -40 build/sanitize.log; exit 1; }
cmake -S . -B build/sanitize-test -DLONGCONV_CUDA=OFF "-DCMAKE_CXX_FLAGS=$flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=$flags" >/dev/null
cmake --build build/sanitize-test --target fft_test cuda_host_test --parallel "$jobs" >/dev/null
echo "sanitize: built in $((SECONDS - t0)) s"

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
t1=$SECONDS
build/sanitize-test/fft_test
build/sanitize-test/cuda_host_test "$PWD/build/sanitize-test/fakecuda"
echo "sanitize: C++ tests in $((SECONDS - t1)) s"

# jest and every node it spawns load the instrumented addon with the runtimes preloaded.
compiler=$(grep -m1 '^CMAKE_CXX_COMPILER:' build/sanitize/CMakeCache.txt | cut -d= -f2)
export LD_PRELOAD="$("$compiler" -print-file-name=libasan.so):$("$compiler" -print-file-name=libubsan.so)"
export LONGCONV_BUILD_DIR="$PWD/build/sanitize" LONGCONV_SANITIZE=1 LONGCONV_CUDA=OFF
t2=$SECONDS
timeout --signal=TERM --kill-after=60 "${minutes}m" npx jest --ci "$@" || {
  status=$?
  [[ $status != 124 ]] || echo "sanitize: the jest suite passed the ${minutes}-minute box"
  exit $status
}
echo "sanitize: jest in $((SECONDS - t2)) s; total $((SECONDS - t0)) s"

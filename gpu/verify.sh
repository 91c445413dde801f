#!/usr/bin/env bash
# Verifies longconv's CUDA path on an offline Linux GPU machine from the bundle beside this
# script (`npm run gpu:bundle` writes it): no Node, npm or network needed.
#
#   bash verify.sh OUTDIR [--quick] [--dry-run] [--only=LIST]
#
# Unpacks the bundle's Node into a temporary folder, points longconv at the cuFFT, cuBLAS and
# NCCL of the Python environment's nvidia packages, prints `longconv info`, then runs the stages
#   parity       every op and layer, forward and gradients, CUDA against the CPU backend
#   sanitizer    compute-sanitizer memcheck over every CUDA kernel on small shapes; racecheck
#                and synccheck over the kernels that use shared memory or warp shuffles
#   bench        CUDA against PyTorch on the same GPU (`longconv bench`)
#   distributed  lc.distributed's CUDA paths (test/distributed_worker.js under an MPI launcher):
#                prints what MPI the machine has, takes its own if it works, else the bundle's
#                Open MPI (openmpi.tar.xz, relocated); two ranks sharing the GPU: CUDA tensors
#                over MPI (host copies) and a DataParallel training equal to one process; NCCL
#                on one rank (dlopen, the unique id, the stream); NCCL on two ranks, which NCCL
#                refuses on one GPU: reported as that refusal, a named error on every rank
#   profile      only when asked (--only=profile; its ~2 minutes do not fit beside the others in
#                a 10-minute command): Nsight Compute (ncu: PATH, the CUDA toolkit, the nvidia
#                wheels) on one fftconv forward at B=4 H=768 L=65536 (the third of three calls),
#                longconv's and torch.fft's (python/bench_torch.py's fft_conv) side by side:
#                per kernel its time and share of the forward, DRAM and SM throughput (% of
#                peak), L2 hit rate, occupancy, registers, grid and block; the raw CSV in
#                OUTDIR/ncu-longconv.csv.gz and ncu-torch.csv.gz. No ncu, or counters closed to
#                this user (ERR_NVGPUCTRPERM, reported verbatim with the fix): skipped
#   summary      OUTDIR/summary.md, OUTDIR/results.json (and OUTDIR/log.txt, the whole run)
# each in its own time box, a failure never stopping the next. The whole run (profile apart)
# fits in 10 minutes on an H100/H200; --quick (small shapes, memcheck of fftConv only, no
# benchmarks) in 4.
# --dry-run, for a machine without a GPU (CI): the CPU stands in for the GPU in the parity
# cases, the sanitizer and benchmark stages check their plumbing, the distributed stage runs its
# probe and a two-rank CPU all-reduce under the chosen MPI (CUDA cases skipped), and the
# self-checks test the library search, the time boxes and the stage isolation; the profile
# stage checks the ncu search, the CSV parser (on gpu/fixtures/ncu-details.csv), the summary's
# tables and both forward drivers (on the CPU). --only=LIST (comma-separated: parity, memcheck,
# racecheck, synccheck, bench, distributed, profile) runs those alone,
# each stage in its usual box: for a second run on the same GPU that repeats only what the first
# found wrong or left unfinished. Exit status 0: everything (that ran) passed.
#
# Environment: LONGCONV_PYTHON (the Python with torch and the nvidia packages; default: python3
# or /usr/bin/python3, whichever imports torch), LONGCONV_CUFFT_PATH / LONGCONV_CUBLAS_PATH /
# LONGCONV_NCCL_PATH (override the search), LONGCONV_VERIFY_MPI (auto: the machine's MPI when
# it works, else the bundle's; device or bundled: only that one), LONGCONV_VERIFY_BOX_PARITY /
# _SANITIZER / _BENCH / _DISTRIBUTED / _PROFILE (a stage's time box in seconds), TMPDIR.
set -uo pipefail # no -e: a failed stage must not stop the next

usage() {
  echo "usage: bash verify.sh OUTDIR [--quick] [--dry-run] [--only=parity,memcheck,racecheck,synccheck,bench,distributed,profile]" >&2
  exit 2
}

BUNDLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APP="$BUNDLE/app"
OUT="" QUICK=0 DRY=0 ONLY=""
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --only=*)
      ONLY="${arg#--only=}"
      for part in ${ONLY//,/ }; do
        case "$part" in parity | memcheck | racecheck | synccheck | bench | distributed | profile) ;; *) echo "verify.sh: --only: unknown stage $part" >&2; usage ;; esac
      done
      ;;
    --dry-run) DRY=1 ;;
    -h | --help) usage ;;
    -*) echo "verify.sh: unknown option $arg" >&2; usage ;;
    *) [ -z "$OUT" ] || usage; OUT="$arg" ;;
  esac
done
[ -n "$OUT" ] || usage
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/summary.md" "$OUT/results.json" "$OUT/log.txt" "$OUT"/ncu-*.csv.gz
WORK=$(mktemp -d "${TMPDIR:-/tmp}/longconv-verify.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
exec > >(tee -a "$OUT/log.txt") 2>&1
TEE_PID=$!
# finish STATUS: waits for log.txt to be complete, then exits.
finish() {
  exec 1>&- 2>&-
  wait "$TEE_PID" 2>/dev/null
  exit "$1"
}
# The Python with torch (and its nvidia packages): $LONGCONV_PYTHON, else the first of python3
# and /usr/bin/python3 that imports torch; `longconv bench` uses the same one.
PYTHON="${LONGCONV_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  PYTHON=python3
  for candidate in python3 /usr/bin/python3; do
    if timeout 120 "$candidate" -c 'import torch' >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
export LONGCONV_PYTHON="$PYTHON"
FLAGS=()
[ "$QUICK" = 1 ] && FLAGS+=(--quick)
[ "$DRY" = 1 ] && FLAGS+=(--dry-run)

# Time boxes in seconds (the sum stays under 10 minutes, 4 with --quick, with room for set-up).
if [ "$QUICK" = 1 ]; then
  BOX_PARITY=100 BOX_SANITIZER=50 BOX_BENCH=10 BOX_DISTRIBUTED=60
else
  BOX_PARITY=110 BOX_SANITIZER=170 BOX_BENCH=165 BOX_DISTRIBUTED=90
fi
BOX_PROFILE=120 # two ncu passes per side; opt-in, so not in the sums above
BOX_SUMMARY=20
# A shorter box for a second run on what is left of a GPU lease.
BOX_PARITY=${LONGCONV_VERIFY_BOX_PARITY:-$BOX_PARITY}
BOX_SANITIZER=${LONGCONV_VERIFY_BOX_SANITIZER:-$BOX_SANITIZER}
BOX_BENCH=${LONGCONV_VERIFY_BOX_BENCH:-$BOX_BENCH}
BOX_DISTRIBUTED=${LONGCONV_VERIFY_BOX_DISTRIBUTED:-$BOX_DISTRIBUTED}
BOX_PROFILE=${LONGCONV_VERIFY_BOX_PROFILE:-$BOX_PROFILE}

now() { date +%s.%N; }
T_START=$(now)
echo "verify: bundle $BUNDLE, output $OUT, work $WORK, mode $([ "$DRY" = 1 ] && echo dry-run || ([ "$QUICK" = 1 ] && echo quick || echo full))"

# stage NAME BOX COMMAND...: runs COMMAND within BOX seconds, logs and records how it ended.
stage() {
  local name="$1" box="$2"
  shift 2
  local t0 rc status
  t0=$(now)
  echo "verify: ── $name (time box ${box} s)"
  timeout --kill-after=10 "$box" "$@"
  rc=$?
  case "$rc" in
    0) status=passed ;;
    124 | 137) status=timed-out ;;
    3) status=incomplete ;;
    4) status=skipped ;; # it could not run here (the stage records why)
    *) status=failed ;;
  esac
  local secs
  secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "$secs" "$box" "$status" >>"$WORK/stages.tsv"
  echo "verify: ── $name: $status (exit $rc, $secs s)"
}

selfcheck() { # NAME OK(0/1) DETAIL: one line of WORK/selfchecks.jsonl
  local ok=false
  [ "$2" = 0 ] && ok=true
  printf '{"name":"%s","ok":%s,"detail":"%s"}\n' "$1" "$ok" "$(printf '%s' "$3" | sed 's/["\\]/\\&/g')" >>"$WORK/selfchecks.jsonl"
  echo "verify: self-check $1: $([ "$ok" = true ] && echo ok || echo FAILED) ($3)"
}

# unxz_to FILE.xz OUT: decompresses FILE.xz into OUT.
unxz_to() {
  if command -v xz >/dev/null; then
    xz -dc "$1" >"$2"
  else # no xz-utils: Python's lzma module reads the same format
    "$PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

# ---- Node: the bundle's own, never one on PATH ----
NODE="$WORK/node/bin/node"
unpack_node() {
  mkdir -p "$WORK/node/bin"
  unxz_to "$BUNDLE/node.xz" "$NODE" || return 1
  chmod +x "$NODE"
  local want got
  want=$(cut -d' ' -f1 "$BUNDLE/node.sha256")
  got=$(sha256sum "$NODE" | cut -d' ' -f1)
  [ "$want" = "$got" ] || { echo "verify: node checksum mismatch ($got, expected $want)"; return 1; }
  "$NODE" --version
}
if ! unpack_node; then
  echo "verify: could not unpack Node from $BUNDLE/node.xz; no stage can run"
  printf '# longconv GPU verification: FAILED\n\nNode could not be unpacked from the bundle (see log.txt).\n' >"$OUT/summary.md"
  finish 1
fi

# ---- cuFFT, cuBLAS and NCCL from the Python environment's nvidia packages ----
# Site-packages folders of $PYTHON (or LONGCONV_VERIFY_SITE_DIRS, ':'-separated, for the self-check).
site_dirs() {
  if [ -n "${LONGCONV_VERIFY_SITE_DIRS:-}" ]; then
    tr ':' '\n' <<<"$LONGCONV_VERIFY_SITE_DIRS"
    return
  fi
  timeout 60 "$PYTHON" -c '
import site, sys
dirs = list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()]
dirs += [p for p in sys.path if p.endswith("-packages")]
seen = []
for d in dirs:
    if d not in seen:
        seen.append(d)
        print(d)' 2>/dev/null
}
# find_lib SONAME...: the first soname (newest first) found in any site folder's nvidia/*/lib
# (CUDA 13 wheels: nvidia/cu13/lib; CUDA 12: nvidia/cufft/lib, nvidia/cublas/lib; NCCL, either
# CUDA: nvidia/nccl/lib) or torch/lib.
find_lib() {
  local sites so site dir
  sites=$(site_dirs)
  for so in "$@"; do
    while IFS= read -r site; do
      [ -n "$site" ] || continue
      for dir in "$site"/nvidia/*/lib "$site"/torch/lib; do
        if [ -e "$dir/$so" ]; then
          echo "$dir/$so"
          return 0
        fi
      done
    done <<<"$sites"
  done
  return 1
}
CUFFT_SONAMES=(libcufft.so.12 libcufft.so.11 libcufft.so.10) # the addon's order (cuda/cufft_loader.cc)
CUBLAS_SONAMES=(libcublas.so.13 libcublas.so.12 libcublas.so.11)
NCCL_SONAMES=(libnccl.so.2) # cuda/nccl_loader.cc

if [ "$DRY" = 1 ]; then
  # The search against fake CUDA 12 and CUDA 13 wheel layouts: the newest soname wins wherever it is.
  fake="$WORK/fake-site"
  mkdir -p "$fake/a/nvidia/cufft/lib" "$fake/a/nvidia/cublas/lib" "$fake/b/nvidia/cu13/lib" "$fake/b/nvidia/nccl/lib" "$fake/c/torch/lib"
  touch "$fake/a/nvidia/cufft/lib/libcufft.so.11" "$fake/a/nvidia/cublas/lib/libcublas.so.12" \
    "$fake/b/nvidia/cu13/lib/libcufft.so.12" "$fake/b/nvidia/cu13/lib/libcublas.so.13" "$fake/b/nvidia/nccl/lib/libnccl.so.2" \
    "$fake/c/torch/lib/libcufft.so.10"
  got=$(LONGCONV_VERIFY_SITE_DIRS="$fake/a:$fake/b" find_lib "${CUFFT_SONAMES[@]}")
  [ "$got" = "$fake/b/nvidia/cu13/lib/libcufft.so.12" ]
  selfcheck "library search: CUDA 13 wheel preferred" $? "cuFFT -> ${got#$WORK/}"
  got=$(LONGCONV_VERIFY_SITE_DIRS="$fake/a:$fake/c" find_lib "${CUBLAS_SONAMES[@]}")
  [ "$got" = "$fake/a/nvidia/cublas/lib/libcublas.so.12" ]
  selfcheck "library search: CUDA 12 wheel layout" $? "cuBLAS -> ${got#$WORK/}"
  got=$(LONGCONV_VERIFY_SITE_DIRS="$fake/c" find_lib "${CUFFT_SONAMES[@]}")
  [ "$got" = "$fake/c/torch/lib/libcufft.so.10" ]
  selfcheck "library search: torch/lib" $? "cuFFT -> ${got#$WORK/}"
  got=$(LONGCONV_VERIFY_SITE_DIRS="$fake/a:$fake/b" find_lib "${NCCL_SONAMES[@]}")
  [ "$got" = "$fake/b/nvidia/nccl/lib/libnccl.so.2" ]
  selfcheck "library search: NCCL wheel beside a CUDA 13 wheel" $? "NCCL -> ${got#$WORK/}"
  LONGCONV_VERIFY_SITE_DIRS="$fake/a/nvidia" find_lib libcufft.so.99 >/dev/null
  [ $? = 1 ]
  selfcheck "library search: nothing found" $? "a missing soname is reported as not found"
fi

site_dirs >"$WORK/site-dirs.txt" # where the stages look for the wheels' ncu and compute-sanitizer
: >"$WORK/libraries.txt"
for lib in CUFFT CUBLAS NCCL; do
  var="LONGCONV_${lib}_PATH"
  if [ -n "${!var:-}" ]; then
    echo "$var=${!var} (given)" | tee -a "$WORK/libraries.txt"
    continue
  fi
  sonames="${lib}_SONAMES[@]"
  found=$(find_lib "${!sonames}")
  if [ -n "$found" ]; then
    export "$var=$found"
    echo "$var=$found (from $PYTHON's nvidia packages)" | tee -a "$WORK/libraries.txt"
  else
    echo "$var not set: no ${!sonames} in $PYTHON's nvidia packages; the addon searches the loader path and CUDA_PATH" | tee -a "$WORK/libraries.txt"
  fi
done

# ---- the machine ----
if command -v nvidia-smi >/dev/null; then
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$WORK/nvidia-smi.txt" 2>&1
  cat "$WORK/nvidia-smi.txt"
fi
timeout 120 "$PYTHON" -c 'import torch; print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, GPU available: {torch.cuda.is_available()}")' >"$WORK/torch.txt" 2>/dev/null ||
  echo "torch not importable by $PYTHON" >"$WORK/torch.txt"
cat "$WORK/torch.txt"
echo "verify: longconv info"
timeout 60 "$NODE" "$APP/bin/longconv.js" info --json | tee "$WORK/info.json"
if [ "$DRY" = 0 ] && ! grep -q '"available":true' "$WORK/info.json"; then
  echo "verify: CUDA is unavailable to longconv (see info above): the CUDA stages will fail. On a machine without a GPU, run with --dry-run."
fi

# ---- the stages ----
if [ "$DRY" = 1 ]; then
  # Stage isolation and time boxes: a stage that overruns is stopped, one that fails is recorded,
  # and the stages after them run all the same.
  stage selfcheck:timebox 2 "$NODE" -e 'setTimeout(() => {}, 60000)'
  stage selfcheck:failure 30 "$NODE" -e 'process.exit(1)'
fi
selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
TOOLS=""
for tool in memcheck racecheck synccheck; do selected "$tool" && TOOLS="$TOOLS${TOOLS:+,}$tool"; done
selected parity && stage parity "$BOX_PARITY" "$NODE" "$APP/gpu/verify.js" parity --work "$WORK" --box "$BOX_PARITY" ${FLAGS[@]+"${FLAGS[@]}"}
[ -n "$TOOLS" ] && stage sanitizer "$BOX_SANITIZER" "$NODE" "$APP/gpu/verify.js" sanitizer --work "$WORK" --box "$BOX_SANITIZER" --tools "$TOOLS" ${FLAGS[@]+"${FLAGS[@]}"}
selected bench && stage bench "$BOX_BENCH" "$NODE" "$APP/gpu/verify.js" bench --work "$WORK" --box "$BOX_BENCH" ${FLAGS[@]+"${FLAGS[@]}"}
if selected distributed; then
  # The bundle's Open MPI, for a machine without a working MPI of its own.
  mkdir -p "$WORK/bundled-mpi"
  if unxz_to "$BUNDLE/openmpi.tar.xz" "$WORK/openmpi.tar" && tar -xf "$WORK/openmpi.tar" -C "$WORK/bundled-mpi"; then
    rm -f "$WORK/openmpi.tar"
  else
    echo "verify: could not unpack $BUNDLE/openmpi.tar.xz: only the machine's MPI can serve"
  fi
  stage distributed "$BOX_DISTRIBUTED" "$NODE" "$APP/gpu/verify.js" distributed --work "$WORK" --box "$BOX_DISTRIBUTED" --mpi-bundle "$WORK/bundled-mpi/openmpi" ${FLAGS[@]+"${FLAGS[@]}"}
fi
# Opt-in (see the header); a dry run checks its plumbing.
if [[ ",$ONLY," == *",profile,"* ]] || { [ -z "$ONLY" ] && [ "$DRY" = 1 ]; }; then
  stage profile "$BOX_PROFILE" "$NODE" "$APP/gpu/verify.js" profile --work "$WORK" --box "$BOX_PROFILE" --out "$OUT" ${FLAGS[@]+"${FLAGS[@]}"}
fi
total=$(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
echo "verify: stages done in $total s"
timeout "$BOX_SUMMARY" "$NODE" "$APP/gpu/verify.js" summary --work "$WORK" --out "$OUT" ${FLAGS[@]+"${FLAGS[@]}"}
rc=$?
if [ ! -s "$OUT/summary.md" ]; then
  printf '# longconv GPU verification: FAILED\n\nThe summary could not be written (exit %s); see log.txt.\n' "$rc" >"$OUT/summary.md"
  rc=1
fi
echo "verify: finished in $(awk -v a="$T_START" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s; $OUT: $(ls "$OUT" | tr '\n' ' ')"
finish "$rc"

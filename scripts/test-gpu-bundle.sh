#!/usr/bin/env bash
# `npm run test:gpu-bundle`: the bundle of `npm run gpu:bundle` is at most 60 MiB and its
# verify.sh runs end to end in dry-run mode with a `node` on PATH that fails if it is ever run
# (the bundle must use its own Node, as on a GPU machine without one), and with the bundle's
# Open MPI forced (LONGCONV_VERIFY_MPI=bundled) behind an `mpirun` and an `mpiexec` on PATH
# that fail too: its distributed stage must run two ranks through the relocated Open MPI, the
# ranks loading only the bundle's MPI libraries and plug-ins; its profile stage must parse the
# ncu fixture into the summary's kernel tables. Prints the summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "test:gpu-bundle: $*"; }
fail() { echo "test:gpu-bundle: FAIL: $*" >&2; exit 1; }

[[ -f "$root/.gpu/verify.sh" ]] || fail ".gpu/ is missing: run npm run gpu:bundle first"
bytes=$(du -sb "$root/.gpu" | cut -f1)
(( bytes <= 60 * 1024 * 1024 )) || fail ".gpu/ is $bytes bytes, over 60 MiB"
say ".gpu/ is $(( bytes / 1024 / 1024 )) MiB (limit 60)"

work="$(mktemp -d "${TMPDIR:-/tmp}/longconv-gpu-bundle-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
for cmd in node mpirun mpiexec; do
  printf '#!/bin/sh\necho "the %s on PATH was run" >&2\nexit 97\n' "$cmd" >"$work/bin/$cmd"
  chmod +x "$work/bin/$cmd"
done
# A copy outside the repository, as on the GPU machine: inside it, Node would find the repo's
# node_modules above .gpu/app and hide a runtime package the bundle lacks.
cp -r "$root/.gpu" "$work/bundle"
rc=0
LONGCONV_VERIFY_MPI=bundled PATH="$work/bin:$PATH" bash "$work/bundle/verify.sh" "$work/out" --dry-run || rc=$?
[[ -f "$work/out/summary.md" ]] || fail "verify.sh wrote no summary.md"
cat "$work/out/summary.md"
files=$(ls "$work/out" | wc -l)
(( files <= 8 )) || fail "verify.sh wrote $files files into OUTDIR (at most 8)"
if grep -q 'the node on PATH was run' "$work/out/log.txt"; then fail "verify.sh ran the node on PATH"; fi
# The two-rank CPU all-reduce ran under the bundle's mpirun, its ranks loading only the bundle's
# MPI libraries and plug-ins (this machine's own Open MPI in /usr must not stand in for them).
distributed=$(node -e '
const r = require(process.argv[1]).distributed;
const ok = r && r.mpi && r.mpi.origin === "bundled" && r.mpi.files.length > 0 && r.mpi.files.every((f) => f.startsWith(r.mpi.launcher.replace(/bin\/mpirun$/, ""))) && r.cases[0].status === "passed";
console.log(ok ? "ok" : JSON.stringify(r));' "$work/out/results.json")
[[ "$distributed" == ok ]] || fail "the distributed stage did not run two ranks through the bundle's Open MPI: $distributed"
# The profile stage's plumbing: its self-checks (ncu search, CSV parser, both drivers) are among
# the verdict's; here its tables reach summary.md and results.json.
profile=$(node -e '
const p = require(process.argv[1]).profile;
const ok = p && p.sides.length === 2 && p.sides.every((s) => s.rows.length === 2 && s.totalNs === 5e5);
console.log(ok ? "ok" : JSON.stringify(p));' "$work/out/results.json")
[[ "$profile" == ok ]] || fail "the profile stage's dry run did not turn the ncu fixture into rows: $profile"
grep -q '^| fold_rows | 2 | (512, 1, 1) | (256, 1, 1) | 16 | 200.0 | 40.0 | 70.0 |' "$work/out/summary.md" || fail "summary.md lacks the profile table's fold_rows row"
(( rc == 0 )) || fail "the dry run failed (exit $rc); see the summary above"
say "ok: the dry run passed, $files files in OUTDIR"

#!/usr/bin/env bash
# `npm run test:gpu-bundle`: the bundle of `npm run gpu:bundle` is at most 60 MiB and its
# verify.sh runs end to end in dry-run mode with a `node` on PATH that fails if it is ever run
# (the bundle must use its own Node, as on a GPU machine without one). Prints the summary.
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
printf '#!/bin/sh\necho "a node on PATH was run: the bundle must use its own" >&2\nexit 97\n' >"$work/bin/node"
chmod +x "$work/bin/node"
# A copy outside the repository, as on the GPU machine: inside it, Node would find the repo's
# node_modules above .gpu/app and hide a runtime package the bundle lacks.
cp -r "$root/.gpu" "$work/bundle"
rc=0
PATH="$work/bin:$PATH" bash "$work/bundle/verify.sh" "$work/out" --dry-run || rc=$?
[[ -f "$work/out/summary.md" ]] || fail "verify.sh wrote no summary.md"
cat "$work/out/summary.md"
files=$(ls "$work/out" | wc -l)
(( files <= 8 )) || fail "verify.sh wrote $files files into OUTDIR (at most 8)"
if grep -q 'a node on PATH was run' "$work/out/log.txt"; then fail "verify.sh ran the node on PATH"; fi
(( rc == 0 )) || fail "the dry run failed (exit $rc); see the summary above"
say "ok: the dry run passed, $files files in OUTDIR"

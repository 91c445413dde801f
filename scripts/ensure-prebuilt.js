#!/usr/bin/env node
// The prebuilt CUDA addon (prebuilds/linux-x64/longconv.napi.node) up to date, or a clear
// refusal. `npm pack` and `npm publish` run this as `prepack`, so no tarball ever lacks the
// binary its users' installs need (without it an install compiles, and fails without compilers);
// `npm run gpu:bundle` uses it too.
//
// Missing, or older than anything in native/, cuda/ or CMakeLists.txt: `npm run prebuild`
// (scripts/prebuild.js) builds it; if that fails this exits 1 and says what to do.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PREBUILT = path.join(root, 'prebuilds', 'linux-x64', 'longconv.napi.node');

function newestMtime(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((n) => newestMtime(path.join(p, n))));
}

/** Why the prebuilt addon must be built again, or null when it is up to date. */
function staleReason() {
  if (!fs.existsSync(PREBUILT)) return `${path.relative(root, PREBUILT)} is missing`;
  const sources = ['native', 'cuda', 'CMakeLists.txt'].map((p) => path.join(root, p)).filter((p) => fs.existsSync(p));
  const newest = Math.max(...sources.map(newestMtime));
  return fs.statSync(PREBUILT).mtimeMs < newest ? `${path.relative(root, PREBUILT)} is older than native/, cuda/ or CMakeLists.txt` : null;
}

/** Builds the prebuilt addon when staleReason() says so; exits 1 with `what` in the message if that fails. */
function ensurePrebuilt(what) {
  const reason = staleReason();
  if (reason === null) return PREBUILT;
  console.log(`${what}: ${reason}: building it (npm run prebuild)`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      `${what}: refused: the package needs ${path.relative(root, PREBUILT)} (the CUDA-enabled addon users install ` +
        `without compilers), and building it failed (${r.error ? r.error.message : `exit ${r.status}`}, see above). ` +
        'Run `npm run prebuild` on a Linux x64 machine with cmake and nvcc, then try again.',
    );
    process.exit(1);
  }
  return PREBUILT;
}

module.exports = { PREBUILT, staleReason, ensurePrebuilt };

if (require.main === module) {
  const what = process.env.npm_lifecycle_event === 'prepack' ? `npm ${process.env.npm_command || 'pack'} (prepack)` : 'ensure-prebuilt';
  const file = ensurePrebuilt(what);
  console.log(`${what}: ${path.relative(root, file)} is up to date`);
}

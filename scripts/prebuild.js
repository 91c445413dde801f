#!/usr/bin/env node
// `npm run prebuild`: builds the CUDA-enabled addon with cmake-js (as scripts/build-native.js
// does, but with LONGCONV_CUDA=ON so a missing nvcc is an error, not a CPU-only binary, and
// LONGCONV_CUDA_ARCHITECTURES=fat: machine code for every supported GPU generation, where a
// source build compiles for the local GPUs only), strips it and places it where node-gyp-build
// finds it:
//   prebuilds/<platform>-<arch>/longconv.napi.node
// (prebuildify's layout: the `napi` tag makes node-gyp-build accept it on every Node ABI;
// the leading package name is not a tag and is ignored when matching.)
//
// The build is incremental in build/ (the folder the install step uses); after a source build
// for other targets the CUDA sources are compiled again. `--clean` rebuilds from scratch.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build');
const built = path.join(buildDir, 'Release', 'longconv.node');
const destDir = path.join(root, 'prebuilds', `${os.platform()}-${os.arch()}`);
const dest = path.join(destDir, 'longconv.napi.node');

function run(cmd, args, opts = {}) {
  console.log(`prebuild: ${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`prebuild: ${path.basename(cmd)} failed (${r.error ? r.error.message : `exit ${r.status}`})`);
    process.exit(r.status || 1);
  }
}

// Loads a binary in a fresh process and returns its backendInfo().
function probe(file) {
  const code = `console.log(JSON.stringify(require(${JSON.stringify(file)}).backendInfo()))`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`prebuild: ${file} does not load:\n${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.max(1, os.availableParallelism?.() ?? 2));
const options = ['--CDLONGCONV_CUDA=ON', '--CDLONGCONV_CUDA_ARCHITECTURES=fat'];
const clean = process.argv.includes('--clean') || !fs.existsSync(path.join(buildDir, 'CMakeCache.txt'));
if (clean) {
  run(process.execPath, [cmakeJs, 'rebuild', '--parallel', jobs, ...options]);
} else {
  // Re-configure with CUDA required for every target (a cache from a LONGCONV_CUDA=OFF or a
  // native build is overridden), then build what changed.
  run(process.execPath, [cmakeJs, 'configure', ...options]);
  run(process.execPath, [cmakeJs, 'build', '--parallel', jobs]);
}

const info = probe(built);
if (/built without CUDA/.test(info.cuda.reason || '')) {
  console.error(`prebuild: ${built} has no CUDA backend (${info.cuda.reason})`);
  process.exit(1);
}

fs.mkdirSync(destDir, { recursive: true });
fs.rmSync(dest, { force: true });
run('strip', ['--strip-unneeded', '-o', dest, built]);
probe(dest);
const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;
console.log(
  `prebuild: ${path.relative(root, dest)} (${mb(fs.statSync(dest).size)}, unstripped ${mb(fs.statSync(built).size)}); ` +
    `CUDA backend compiled in; on this machine: ${info.cuda.available ? `CUDA on ${info.cuda.device}` : `CPU only (${info.cuda.reason})`}`,
);

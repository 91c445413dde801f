#!/usr/bin/env node
// Builds the native addon. With --if-needed (the npm install step) a prebuilt binary that
// loads on this machine is used as it is. Otherwise cmake-js builds it from CMakeLists.txt,
// the one build description (CPU + CUDA when nvcc is found); cmake must be on PATH. Nothing is
// downloaded.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(cmd, args) {
  console.log(`longconv: ${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

function prebuiltLoads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

if (process.argv.includes('--if-needed') && prebuiltLoads()) {
  console.log('longconv: using the prebuilt native addon');
  process.exit(0);
}

const cuda = (process.env.LONGCONV_CUDA || 'AUTO').toUpperCase();
// CUDA targets (CMakeLists.txt): the GPUs of this machine, or one PTX target without any
// ('native'); LONGCONV_CUDA_ARCHITECTURES=fat or a CMake list such as "86-real" overrides it.
const archs = process.env.LONGCONV_CUDA_ARCHITECTURES || 'native';
if (!onPath('cmake')) {
  console.error(
    'longconv: cmake not found: building the native addon from source needs cmake (>= 3.18) and a ' +
      'C++17 compiler on PATH, e.g. `apt-get install cmake g++` (and nvcc for the CUDA backend)',
  );
  process.exit(1);
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.max(1, require('os').availableParallelism?.() ?? 2));
run(process.execPath, [
  cmakeJs,
  'rebuild',
  '--parallel',
  jobs,
  `--CDLONGCONV_CUDA=${cuda}`,
  `--CDLONGCONV_CUDA_ARCHITECTURES=${archs}`,
]);

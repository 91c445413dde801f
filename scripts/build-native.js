#!/usr/bin/env node
// Builds the native addon. With --if-needed (the npm install step) a prebuilt binary that
// loads on this machine is used as it is. Otherwise: cmake-js (CPU + CUDA when nvcc is found)
// if cmake is on PATH, else node-gyp with binding.gyp (CPU only). Nothing is downloaded.
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

// node-gyp needs Node's headers; point it at the local installation so it never fetches them.
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const header = path.join(prefix, 'include', 'node', 'node_api.h');
  if (!fs.existsSync(header)) {
    console.error(`longconv: Node headers not found at ${header}; set npm_config_nodedir`);
    process.exit(1);
  }
  return [`--nodedir=${prefix}`];
}

if (process.argv.includes('--if-needed') && prebuiltLoads()) {
  console.log('longconv: using the prebuilt native addon');
  process.exit(0);
}

const cuda = (process.env.LONGCONV_CUDA || 'AUTO').toUpperCase();
// CUDA targets (CMakeLists.txt): the GPUs of this machine, or one PTX target without any
// ('native'); LONGCONV_CUDA_ARCHITECTURES=fat or a CMake list such as "86-real" overrides it.
const archs = process.env.LONGCONV_CUDA_ARCHITECTURES || 'native';
if (onPath('cmake')) {
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
} else {
  if (cuda === 'ON') {
    console.error('longconv: LONGCONV_CUDA=ON needs cmake (the CUDA build is driven by cmake-js)');
    process.exit(1);
  }
  if (onPath('nvcc')) console.warn('longconv: cmake not found: building the CPU-only addon with node-gyp');
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', {
    paths: [root, path.join(path.dirname(process.execPath), '../lib/node_modules/npm')],
  });
  run(process.execPath, [nodeGyp, 'rebuild', ...nodedirArgs()]);
}

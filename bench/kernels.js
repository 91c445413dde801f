// Structured kernels on each available device: cauchy and vandermonde (H=256, N=64),
// multiresConv (B=8, H=128, k=2): median times, forward and forward+backward. On CUDA, also
// the achieved bandwidth (bytes each call must move at least) as a fraction of the device's
// measured copy bandwidth.
'use strict';
const lc = require('../dist');
const { medianMs, printTable } = require('./util');

// The device's streaming bandwidth in bytes/s: an add over 256 MiB buffers (two reads, one write).
function copyBandwidth() {
  const n = 64 << 20;
  const x = lc.zeros([n], { device: 'cuda' });
  const t = medianMs(() => lc.tidy(() => { lc.add(x, x); lc.synchronize(); }), { reps: 5 });
  x.dispose();
  return (3 * 4 * n) / (t / 1e3);
}

function cases(quick) {
  const H = 256, N = 64;
  const lengths = quick ? [1024] : [1024, 16384];
  const out = [];
  for (const L of lengths) {
    out.push({
      op: 'cauchy', L,
      // S4's use: v, w [H, N], z on the imaginary axis, conjugate pairs.
      make: (device) => ({
        v: lc.randn([H, N, 2], { seed: 1, device, requiresGrad: true }),
        w: lc.tidy(() => lc.sub(lc.scale(lc.randn([H, N, 2], { seed: 2, device }), 0.1), lc.tensor([0.5, 0], [2], { device }))),
        z: lc.tensor(Float32Array.from({ length: 2 * L }, (_, i) => (i % 2 ? 2 * Math.tan((Math.PI * (i >> 1)) / (2 * L)) : 0)), [L, 2], { device }),
      }),
      run: ({ v, z, w }) => lc.cauchy(v, z, w, { conj: true }),
      bytes: 4 * (2 * H * N * 2 + 2 * L + H * L * 2),
    });
    out.push({
      op: 'vandermonde', L,
      make: (device) => ({
        v: lc.randn([H, N, 2], { seed: 1, device, requiresGrad: true }),
        x: lc.tidy(() => lc.scale(lc.randn([H, N, 2], { seed: 3, device }), 0.01)),
      }),
      run: ({ v, x }) => lc.vandermonde(v, x, L),
      bytes: 4 * (2 * H * N * 2 + H * L),
    });
  }
  const B = 8, Hm = 128, k = 2;
  for (const L of lengths) {
    const J = Math.ceil(Math.log2((L - 1) / (k - 1) + 1));
    out.push({
      op: 'multiresConv', L,
      make: (device) => ({
        x: lc.randn([B, Hm, L], { seed: 1, device, requiresGrad: true }),
        h0: lc.randn([Hm, k], { seed: 2, device }),
        h1: lc.randn([Hm, k], { seed: 3, device }),
        w: lc.randn([Hm, J + 2], { seed: 4, device }),
      }),
      run: ({ x, h0, h1, w }) => lc.multiresConv(x, h0, h1, w),
      bytes: 4 * 2 * B * Hm * L,
    });
  }
  return out;
}

function run({ quick }) {
  const devices = ['cpu'];
  const cuda = lc.backendInfo().cuda;
  if (cuda.available) devices.push('cuda');
  const bandwidth = cuda.available ? copyBandwidth() : null;
  const rows = [];
  for (const device of devices) {
    for (const c of cases(quick)) {
      const inputs = c.make(device);
      const reps = device === 'cpu' && c.L > 4096 ? 3 : 7;
      const sync = () => device === 'cuda' && lc.synchronize();
      const fwd = medianMs(() => { lc.tidy(() => lc.noGrad(() => { c.run(inputs); sync(); })); }, { reps, warmup: 1 });
      const fwdBwd = medianMs(() => {
        lc.tidy(() => {
          const y = c.run(inputs);
          y.backward(lc.ones(y.shape, { device }));
          sync();
        });
        Object.values(inputs).forEach((t) => { if (t.grad) { t.grad.dispose(); t.grad = null; } });
      }, { reps, warmup: 1 });
      rows.push({
        device, op: c.op, L: c.L,
        'fwd ms': fwd, 'fwd+bwd ms': fwdBwd,
        'fwd GB/s': c.bytes / (fwd / 1e3) / 1e9,
        'fraction of copy bw': bandwidth && device === 'cuda' ? c.bytes / (fwd / 1e3) / bandwidth : 'n/a',
      });
      lc.dispose(inputs);
    }
  }
  printTable('Structured kernels (cauchy/vandermonde H=256 N=64; multiresConv B=8 H=128 k=2)', rows);
  if (bandwidth) console.log(`CUDA device copy bandwidth: ${(bandwidth / 1e9).toFixed(0)} GB/s`);
  return {
    suite: 'kernels',
    date: new Date().toISOString(),
    machine: { cpus: require('os').cpus().length, cpu: require('os').cpus()[0]?.model, threads: lc.getNumThreads(), cuda },
    copyBandwidthBytesPerSecond: bandwidth,
    rows,
  };
}

module.exports = { run };

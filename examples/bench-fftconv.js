#!/usr/bin/env node
// Microbenchmark of one op: lc.fftConv forward, and forward + backward (gradients of u, k and
// D), for u [B, H, L], k [H, L], D [H] at a few lengths, on the best device (or --device).
// Prints the median time per call and the data rate (bytes of u, k, y moved per second).
//
//   node examples/bench-fftconv.js [--sizes 1024,4096,16384,65536] [--batch 8] [--h 32]
//        [--reps 10] [--warmup 2] [--device auto|cpu|cuda] [--json]
'use strict';
const lc = require('..');
const { parseFlags } = require('./flags');

function parseArgs(argv) {
  const opts = parseFlags(argv, { sizes: '1024,4096,16384,65536', batch: 8, h: 32, reps: 10, warmup: 2, device: 'auto', json: false });
  opts.sizes = opts.sizes.split(',').map(Number);
  return opts;
}

// Median wall time of fn() in milliseconds; synchronize() makes CUDA timings include the work.
// Each repetition runs in its own tidy scope that returns nothing: tidy keeps the tensors its
// function returns, so `lc.tidy(fn)` with an fn that returns the op's output would keep every
// repetition's output alive (memory growing, and the forward timed slower than forward+backward).
function time(fn, reps, warmup) {
  const once = () => lc.tidy(() => { fn(); });
  for (let i = 0; i < warmup; i++) once();
  lc.synchronize();
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    once();
    lc.synchronize();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const opts = parseArgs(process.argv.slice(2));
const device = opts.device === 'auto' ? (lc.backendInfo().cuda.available ? 'cuda' : 'cpu') : opts.device;
const B = opts.batch, H = opts.h;
const where = device === 'cuda' ? lc.backendInfo().cuda.device : `${lc.getNumThreads()} CPU threads`;
if (!opts.json) {
  console.log(`fftConv u [${B}, ${H}, L] * k [${H}, L] + D [${H}] on ${device} (${where}); median of ${opts.reps}`);
  console.log('       L   forward ms   GB/s   fwd+bwd ms');
}
const rows = [];
for (const L of opts.sizes) {
  const u = lc.randn([B, H, L], { seed: 1, device, requiresGrad: true });
  const k = lc.randn([H, L], { seed: 2, device, std: 1 / Math.sqrt(L), requiresGrad: true });
  const D = lc.randn([H], { seed: 3, device, requiresGrad: true });
  const g = lc.randn([B, H, L], { seed: 4, device });
  const forward = time(() => lc.noGrad(() => lc.fftConv(u, k, { D })), opts.reps, opts.warmup);
  const backward = time(() => {
    lc.fftConv(u, k, { D }).backward(g);
    lc.dispose([u.grad, k.grad, D.grad]); // do not accumulate across repetitions
    u.grad = k.grad = D.grad = null;
  }, opts.reps, opts.warmup);
  const bytes = 4 * (2 * B * H * L + H * L); // read u and k, write y
  const row = { device, B, H, L, forwardMs: forward, forwardBackwardMs: backward, forwardGBs: bytes / forward / 1e6 };
  rows.push(row);
  if (opts.json) console.log(JSON.stringify(row));
  else console.log(`${String(L).padStart(8)} ${forward.toFixed(3).padStart(12)} ${row.forwardGBs.toFixed(2).padStart(6)} ${backward.toFixed(3).padStart(12)}`);
  lc.dispose([u, k, D, g]);
  // Nothing outlives its row: every repetition's output and gradients were freed.
  const live = lc.memory()[device].tensors;
  if (live !== 0) throw new Error(`bench-fftconv: ${live} tensors left on ${device} after L = ${L}`);
}

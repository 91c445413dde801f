#!/usr/bin/env node
// Stands in for a Python interpreter in test/bench.test.ts (CI has no numpy or PyTorch): run
// as `fake_python_peer.js <peer script> <peer>`, it speaks bench_peer.py's protocol with made-up
// timings, so the subprocess path of `longconv bench --python` is exercised without Python.
//   numpy: ready, covers fftconv and rfft, every timing 1000 ms (so the ratio is 1000/longconv)
//   torch: ready, covers fftconv and rfft; answers rfft with {"skipped"}; fftconv 5000 ms
//   fftw:  cannot be imported
'use strict';
const readline = require('readline');

const peer = process.argv[3];
const say = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
if (peer === 'fftw') {
  say({ ready: false, skipped: "fake python cannot import pyfftw (No module named 'pyfftw')" });
  process.exit(0);
}
say({ ready: true, peer, version: 'fake-1.0', python: 'fake_python_peer.js', ops: ['fftconv', 'rfft'] });
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line);
  const count = req.repeat ?? 3;
  const ms = peer === 'numpy' ? 1000 : 5000;
  if (peer === 'torch' && req.op === 'rfft') say({ id: req.id, skipped: `fake torch failed on ${req.op} at L=${req.L}` });
  else say({ id: req.id, fwdMs: Array(count).fill(ms), fwdBwdMs: Array(count).fill(2 * ms) });
});

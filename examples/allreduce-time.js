#!/usr/bin/env node
// Times the gradient all-reduce of data-parallel training: DataParallel.synchronize() on the
// gradients of a SequenceClassifier (by default the one of `npm start`: S4D, dModel 64, 4 layers,
// dState 64, sMNIST's L = 784), after a barrier each time so that no rank waits for a slower
// one. Prints the median and the fastest of --repeat runs, on rank 0.
//
//   mpirun -np 2 node examples/allreduce-time.js [--d-model 64] [--layers 4] [--d-state 64]
//        [--repeat 50] [--bucket-mb 25]
'use strict';
const lc = require('..');
const { parseFlags } = require('./flags');

const opts = parseFlags(process.argv.slice(2), { dModel: 64, layers: 4, dState: 64, repeat: 50, bucketMb: 25 });

const { rank, size, backend } = lc.distributed.init();
const model = new lc.nn.SequenceClassifier({ dInput: 1, dModel: opts.dModel, nLayers: opts.layers, nClasses: 10, layer: { type: 's4d', dState: opts.dState }, lMax: 784, seed: 0 });
const dp = new lc.distributed.DataParallel(model, { bucketBytes: Math.round(opts.bucketMb * 2 ** 20) });
const params = model.parameters();
const floats = params.reduce((s, p) => s + p.size, 0);
const times = [];
for (let i = 0; i < opts.repeat + 1; i++) {
  for (const p of params) p.grad = lc.ones(p.shape); // every rank: 1, so the mean is 1 again
  lc.distributed.barrier();
  const t0 = process.hrtime.bigint();
  dp.synchronize();
  if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // the first run warms up
  for (const p of params) p.grad.dispose();
}
times.sort((a, b) => a - b);
if (rank === 0) {
  console.log(`${size} rank${size > 1 ? 's' : ''} (${backend}): all-reduce of ${params.length} gradients, ${floats} floats ` +
    `(${((floats * 4) / 2 ** 20).toFixed(2)} MiB): median ${times[times.length >> 1].toFixed(3)} ms, fastest ${times[0].toFixed(3)} ms (${opts.repeat} runs)`);
}

#!/usr/bin/env node
// Data-parallel training with the library API: every process (rank) holds the same S4D
// classifier, computes the gradient of its share of each global batch of sequential MNIST, and
// lc.distributed.DataParallel averages the gradients over the ranks before each AdamW step, so
// all ranks take the same step — the step one process would take on the whole batch.
//
//   mpirun -np 2 node examples/data-parallel.js [--train 1000] [--test 200] [--epochs 2]
//        [--batch 32] [--d-model 32] [--layers 2] [--seed 0]
//   node examples/data-parallel.js ...      (alone: a world of one process, the same result)
//
// Only rank 0 prints. Evaluation is sharded too: each rank scores its part of the test split
// and an all-reduce adds up the counts.
'use strict';
const lc = require('..');
const { parseFlags } = require('./flags');


const opts = parseFlags(process.argv.slice(2), { train: 1000, test: 200, epochs: 2, batch: 32, dModel: 32, layers: 2, seed: 0 });
// Joins the ranks of an mpirun launch (or makes a world of one), and stops them all if this
// process fails later.
const { rank, size } = lc.distributed.init();
const log = (line) => rank === 0 && console.log(line);

const task = lc.data.mnistTask(false);
const train = { ...task.train, size: Math.min(opts.train, task.train.size) };
const test = { ...task.test, size: Math.min(opts.test, task.test.size) };

// This rank's part [first, last) of rows [0, n): contiguous, sizes differing by at most one.
function share(n) {
  return [Math.floor((rank * n) / size), Math.floor(((rank + 1) * n) / size)];
}

// A small seeded generator of numbers in [0, 1) (a linear congruential one) for the shuffles.
function seeded(seed) {
  let s = (seed * 2654435761 + 1) >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function batchOf(split, rows) {
  const x = new Float32Array(rows.length * task.L);
  rows.forEach((row, i) => x.set(split.x.subarray(row * task.L, (row + 1) * task.L), i * task.L));
  return { x: lc.tensor(x, [rows.length, task.L, 1]), labels: Int32Array.from(rows, (row) => split.y[row]) };
}

const model = new lc.nn.SequenceClassifier({
  dInput: 1, dModel: opts.dModel, nLayers: opts.layers, nClasses: task.nClasses,
  layer: { type: 's4d', dState: 32 }, dropout: 0.1, lMax: task.L, seed: opts.seed,
});
// Checks that every rank built the same model and copies rank 0's weights to all.
const dp = new lc.distributed.DataParallel(model);
const optimizer = new lc.optim.AdamW(model, { lr: 0.01, weightDecay: 0.01 });

log(`${size} rank${size > 1 ? 's' : ''}: ${train.size} training digits in global batches of ${opts.batch}, ` +
  `${model.parameters().reduce((s, p) => s + p.size, 0)} parameters`);
const t0 = Date.now();
for (let epoch = 1; epoch <= opts.epochs; epoch++) {
  // The same seeded order on every rank: each global batch is the same everywhere.
  const order = lc.data.permutation(train.size, seeded(opts.seed * 1000 + epoch));
  let lossSum = 0;
  for (let start = 0, step = 0; start < train.size; start += opts.batch, step++) {
    const batch = order.subarray(start, Math.min(train.size, start + opts.batch));
    const [first, last] = share(batch.length);
    lc.seed(opts.seed * 100003 + epoch * 1009 + step); // the same dropout seeds on every rank
    lossSum += lc.tidy(() => {
      const { x, labels } = batchOf(train, Array.from(batch.subarray(first, last)));
      // Dropout masks as if the whole batch ran in one process: this share starts at `first`.
      const loss = lc.withBatchOffset(first, () => lc.crossEntropy(model.forward(x), labels));
      // Backward, then the gradients averaged over ranks, weighted by their shares' sizes.
      dp.backward(loss, { weight: last - first });
      lc.optim.clipGradNorm(model, 1.0);
      optimizer.step();
      optimizer.zeroGrad();
      return loss.toFloat32Array()[0] * (last - first);
    });
  }
  const totals = lc.distributed.allReduce(lc.tensor([lossSum], [1]));
  // Time so far, and its part in synchronize(): communication, and waiting for slower ranks.
  log(`epoch ${epoch}/${opts.epochs}: train loss ${(totals.toFloat32Array()[0] / train.size).toFixed(4)} ` +
    `(${((Date.now() - t0) / 1000).toFixed(1)} s, all-reduce ${dp.synchronizeSeconds.toFixed(3)} s)`);
  totals.dispose();
}

// Sharded evaluation: each rank scores its rows; the counts are summed over ranks.
model.eval();
const [first, last] = share(test.size);
let correct = 0;
lc.noGrad(() => {
  for (let start = first; start < last; start += opts.batch) {
    lc.tidy(() => {
      const rows = Array.from({ length: Math.min(opts.batch, last - start) }, (_, i) => start + i);
      const { x, labels } = batchOf(test, rows);
      const logits = model.forward(x).toFloat32Array();
      labels.forEach((label, i) => {
        const row = logits.subarray(i * task.nClasses, (i + 1) * task.nClasses);
        if (row.indexOf(Math.max(...row)) === label) correct++;
      });
    });
  }
});
const total = lc.distributed.allReduce(lc.tensor([correct], [1]));
log(`test accuracy: ${((100 * total.toFloat32Array()[0]) / test.size).toFixed(2)}% (${test.size} digits)`);

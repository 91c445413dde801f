// One rank of the two-rank tests of test/distributed.test.ts, run by `mpirun -np 2 node
// test/distributed_worker.js MODE OUT` (and alone for the one-process reference); the GPU
// bundle's distributed stage (gpu/verify.ts) runs the same modes. It loads the compiled package
// (dist/). Each rank writes its findings as JSON to OUT.rank<r>.json. The test and the stage
// require this file too, for its data and comparisons (then nothing runs or loads).
'use strict';
const fs = require('fs');

let lc;
let out;

function write(result) {
  fs.writeFileSync(`${out}.rank${lc.distributed.rank()}.json`, JSON.stringify(result));
}

// Deterministic data every rank can rebuild: values of tensor k on rank r.
function rankData(k, r, n) {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(1 + 0.37 * i + 1.3 * k + 2.9 * r) * (r + 1) * 10 ** ((i % 5) - 2));
}

// Tensors of odd, even and prime sizes; a 6-float bucket makes some travel packed (several per
// bucket), the 7- and 1031-float ones in place.
const SIZES = [1, 2, 3, 7, 1031, 4, 5];
const BUCKET = 6 * 4;

function collectives() {
  const w = lc.distributed.init();
  const result = { world: w, info: lc.backendInfo().distributed, threads: lc.getNumThreads() };
  for (const op of ['sum', 'mean']) {
    const ts = SIZES.map((n, k) => lc.tensor(rankData(k, w.rank, n), [n]));
    const returned = lc.distributed.allReduce(ts, { op, bucketBytes: BUCKET });
    result[op] = { same: returned === ts, values: ts.map((t) => Array.from(t.toFloat32Array())) };
    lc.dispose(ts);
  }
  // Broadcast from rank 1, packed and in place.
  const bs = SIZES.map((n, k) => lc.tensor(rankData(k, w.rank, n), [n]));
  lc.distributed.broadcast(bs, 1, { bucketBytes: BUCKET });
  result.broadcast = bs.map((t) => Array.from(t.toFloat32Array()));
  result.object = lc.distributed.broadcastObject({ from: w.rank, text: 'ça ✓', list: [1.5, null] }, 1);
  lc.distributed.barrier();
  result.badRoot = (() => {
    try {
      lc.distributed.broadcast(bs, 2);
      return null;
    } catch (e) {
      return `${e.name}: ${e.message}`;
    }
  })();
  lc.dispose(bs);
  result.mpiFiles = mpiFilesLoaded();
  write(result);
}

// The MPI libraries and plug-ins this process has loaded (the GPU bundle's dry run checks that
// its relocated Open MPI loads only its own, none from the system's install).
function mpiFilesLoaded() {
  const files = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.split(/\s+/)[5]);
  return [...new Set(files.filter((f) => f && /\.so[.\d]*$/.test(f) && /libmpi|mca_|libopen-|pmix|hwloc|libevent/.test(f)))];
}

// Data-parallel training of a small S4D classifier with dropout: the global batch of 7 split
// across the ranks (3 + 4 on two), each rank's mean loss weighted by its share. Variants break
// one requirement of equivalence, to show that the comparison notices: 'unweighted' averages
// the ranks' gradients equally, 'no-offset' lets each rank draw dropout masks as if its share
// were a whole batch.
function train(variant, device = 'cpu') {
  const world = lc.distributed.init();
  const B = 7, L = 16, steps = 4;
  const model = new lc.nn.SequenceClassifier({ dInput: 1, dModel: 8, nLayers: 2, nClasses: 3, layer: { type: 's4d', dState: 8 }, dropout: 0.25, lMax: L, seed: 5 }).to(device);
  const dp = new lc.distributed.DataParallel(model);
  const optimizer = new lc.optim.AdamW(model, { lr: 0.01 });
  const first = Math.floor((world.rank * B) / world.size), last = Math.floor(((world.rank + 1) * B) / world.size);
  const grads = [], params = [];
  for (let step = 0; step < steps; step++) {
    // The step's global batch: every rank builds it, and takes its share.
    const x = Float32Array.from({ length: B * L }, (_, i) => Math.sin(0.1 * i * (step + 1) + step));
    const y = Int32Array.from({ length: B }, (_, i) => (i * 7 + step) % 3);
    lc.seed(1000 + step);
    lc.tidy(() => {
      const xs = lc.tensor(x.subarray(first * L, last * L), [last - first, L, 1], { device });
      const forward = () => lc.crossEntropy(model.forward(xs), y.subarray(first, last));
      const loss = variant === 'no-offset' ? forward() : lc.withBatchOffset(first, forward);
      dp.backward(loss, variant === 'unweighted' ? undefined : { weight: last - first });
    });
    grads.push(model.parameters().map((p) => Array.from(p.grad.toFloat32Array())));
    lc.optim.clipGradNorm(model, 1.0);
    optimizer.step();
    optimizer.zeroGrad();
    params.push(model.parameters().map((p) => Array.from(p.toFloat32Array())));
  }
  write({ world, grads, params });
}

// An error on rank 1 while rank 0 waits in a collective: both must stop, with rank 1's message.
function fail() {
  const w = lc.distributed.init();
  if (w.rank === 1) throw new Error('deliberate failure on rank 1');
  lc.distributed.allReduce(lc.tensor([1], [1]));
  write({ unreachable: true });
}

// Rank 1 builds another model: DataParallel names the difference, and every rank stops.
function mismatch() {
  const w = lc.distributed.init();
  const model = new lc.nn.SequenceClassifier({ dInput: 1, dModel: w.rank === 1 ? 6 : 8, nLayers: 1, nClasses: 3, layer: { type: 's4d', dState: 4 }, seed: 5 });
  new lc.distributed.DataParallel(model);
  write({ unreachable: true });
}

// CUDA tensors over the world's transport (NCCL with backend 'nccl', else MPI, staged through
// the host unless the MPI reads device memory): the same sums as on the CPU. Broadcast from the
// last rank: rank 1 of two, rank 0 of a world of one (NCCL on a machine with one GPU).
function cuda(backend) {
  const w = lc.distributed.init(backend ? { backend } : undefined);
  const ts = SIZES.map((n, k) => lc.tensor(rankData(k, w.rank, n), [n], { device: 'cuda' }));
  lc.distributed.allReduce(ts, { op: 'sum', bucketBytes: BUCKET });
  const bs = SIZES.map((n, k) => lc.tensor(rankData(k, w.rank, n), [n], { device: 'cuda' }));
  lc.distributed.broadcast(bs, w.size - 1, { bucketBytes: BUCKET });
  write({ world: w, sum: ts.map((t) => Array.from(t.toFloat32Array())), broadcast: bs.map((t) => Array.from(t.toFloat32Array())) });
}

// Where a rank's sums of the SIZES tensors and its broadcast (from the last rank) differ from the
// exact values in a world of one or two ranks (with at most two addends every summation order
// rounds alike): one line per tensor that differs, none when all agree.
function collectiveMismatches(sums, broadcasts, size) {
  const wrong = [];
  SIZES.forEach((n, k) => {
    const sum = Array.from({ length: n }, (_, i) => Array.from({ length: size }, (_, r) => rankData(k, r, n)[i]).reduce((a, b) => Math.fround(a + b)));
    const first = (got, want) => want.findIndex((v, i) => got[i] !== v);
    const s = sums[k].length === n ? first(sums[k], sum) : 0;
    if (s >= 0) wrong.push(`sum of tensor ${k} (${n} floats): [${s}] is ${sums[k][s]}, expected ${sum[s]}`);
    const root = Array.from(rankData(k, size - 1, n));
    const b = broadcasts[k].length === n ? first(broadcasts[k], root) : 0;
    if (b >= 0) wrong.push(`broadcast of tensor ${k} (${n} floats): [${b}] is ${broadcasts[k][b]}, expected ${root[b]}`);
  });
  return wrong;
}

// The largest absolute difference between two lists of tensors' values.
function maxAbsDiff(a, b) {
  let d = 0;
  a.forEach((t, i) => t.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}

// How far one rank's `train` record is from the one-process reference, over every step: the
// largest gradient difference as a fraction of the largest value of that reference tensor, and
// the largest parameter difference.
function trainingDifference(ref, res) {
  let grad = 0, param = 0;
  res.grads.forEach((g, step) => g.forEach((t, i) => {
    const d = maxAbsDiff([t], [ref.grads[step][i]]);
    grad = Math.max(grad, d === 0 ? 0 : d / Math.max(...ref.grads[step][i].map(Math.abs)));
  }));
  res.params.forEach((p, step) => (param = Math.max(param, maxAbsDiff(p, ref.params[step]))));
  return { grad, param, steps: res.params.length };
}

module.exports = { rankData, SIZES, collectiveMismatches, maxAbsDiff, trainingDifference };

const modes = {
  collectives,
  train: () => train('weighted'),
  'train-cuda': () => train('weighted', 'cuda'),
  'train-unweighted': () => train('unweighted'),
  'train-no-offset': () => train('no-offset'),
  fail,
  mismatch,
  'cuda-mpi': () => cuda('mpi'),
  'cuda-nccl': () => cuda('nccl'),
};
if (require.main === module) {
  const [mode, file] = process.argv.slice(2);
  if (!modes[mode]) throw new Error(`distributed_worker: unknown mode '${mode}' (choose from ${Object.keys(modes).join(', ')})`);
  lc = require('../dist');
  out = file;
  modes[mode]();
}

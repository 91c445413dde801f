#!/usr/bin/env node
// node bench/presets.js [preset ...] [--reps N] [--budget ELEMENTS]: the time of one training
// step of each preset at its full size (the paper's d_model, layers, batch and sequence length)
// on this machine, and what a full run costs (epochs × steps per epoch × that time).
//
// A step runs as the CLI runs it with --accumulate: the paper's batch in micro-batches small
// enough for the host's memory (at most --budget activation elements, B·H·L, per micro-batch).
// The time per step is the median micro-batch (forward + backward, of --reps after one warm-up)
// times the micro-batches per step, plus one optimizer update (clip + AdamW). Inputs are random
// data of the task's shape at its longest length (the real batches of variable-length tasks are
// padded to their longest row, often shorter). Uses dist/: run `npm run build:ts` first.
'use strict';
const lc = require('../dist');
const { PRESETS } = require('../dist/cli/presets');
const { runConfig } = require('../dist/cli/tasks');
const { buildModel, makeOptimizer } = require('../dist/cli/train');

/** The benchmarks' shapes and training-set sizes (the splits the presets train on). */
const TASKS = {
  scifar: { L: 1024, inputs: 'real', dInput: 3, nClasses: 10, trainSize: 45000 },
  'lra-image': { L: 1024, inputs: 'real', dInput: 1, nClasses: 10, trainSize: 45000 },
  'lra-listops': { L: 2048, inputs: 'tokens', dInput: 18, nClasses: 10, trainSize: 96000 },
  'lra-text': { L: 4096, inputs: 'tokens', dInput: 258, nClasses: 2, trainSize: 25000 },
  'lra-retrieval': { L: 4000, inputs: 'tokens', dInput: 258, nClasses: 2, trainSize: 147086, pairs: true },
  'lra-pathfinder': { L: 1024, inputs: 'real', dInput: 1, nClasses: 2, trainSize: 160000 },
  'lra-pathx': { L: 16384, inputs: 'real', dInput: 1, nClasses: 2, trainSize: 160000 },
};

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ms(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function measure(preset, { reps, budget }) {
  const shape = TASKS[preset.task];
  const config = runConfig({ preset: preset.name, dataDir: '-', device: 'cpu', json: true });
  const task = { ...shape, name: preset.task, targets: 'sequence', pairs: !!shape.pairs };
  lc.seed(config.seed);
  const { model, classify } = buildModel(config, task, 'cpu');
  const optimizer = makeOptimizer(config, model);
  const rowsPerExample = shape.pairs ? 2 : 1;
  const micro = Math.max(1, Math.min(config.batch, Math.floor(budget / (config.dModel * shape.L * rowsPerExample))));
  const accumulate = Math.ceil(config.batch / micro);
  const rows = micro * rowsPerExample;
  const x = shape.inputs === 'real'
    ? lc.randn([rows, shape.L, shape.dInput], { seed: 1 })
    : lc.tensor(Float32Array.from({ length: rows * shape.L }, (_, i) => 2 + (i * 7919) % (shape.dInput - 2)), [rows, shape.L]);
  const labels = Array.from({ length: micro }, (_, i) => i % shape.nClasses);
  const microStep = () => lc.tidy(() => lc.crossEntropy(classify(x), labels).backward());
  microStep(); // warm-up (kernels' caches, first allocations)
  const times = Array.from({ length: reps }, () => ms(microStep));
  const update = ms(() => {
    if (config.gradientClip > 0) lc.optim.clipGradNorm(model, config.gradientClip);
    optimizer.step();
    optimizer.zeroGrad();
  });
  const step = median(times) * accumulate + update;
  const stepsPerEpoch = Math.ceil(shape.trainSize / config.batch);
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  x.dispose();
  optimizer.dispose();
  model.dispose();
  return {
    preset: preset.name, parameters, batch: config.batch, micro, accumulate, L: shape.L,
    microMs: times.map((t) => Math.round(t)), secondsPerStep: +(step / 1000).toFixed(2), stepsPerEpoch, epochs: config.epochs,
    fullRunHours: +((step / 1000) * stepsPerEpoch * config.epochs / 3600).toFixed(0),
  };
}

const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const chosen = names.length ? PRESETS.filter((p) => names.includes(p.name)) : PRESETS;
if (names.length && chosen.length !== names.length) {
  console.error(`bench/presets: unknown preset among ${names.join(', ')} (choose from ${PRESETS.map((p) => p.name).join(', ')})`);
  process.exit(2);
}
const reps = flag('--reps', 3);
const budget = flag('--budget', 2 ** 22);
const os = require('os');
console.log(JSON.stringify({ event: 'machine', cpu: os.cpus()[0]?.model, cpus: os.cpus().length, threads: lc.getNumThreads(), loadavg: os.loadavg().map((l) => +l.toFixed(1)), date: new Date().toISOString() }));
for (const preset of chosen) console.log(JSON.stringify(measure(preset, { reps, budget })));

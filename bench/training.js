// One training step (forward, cross-entropy, backward, parameter update) of the S4 repository's
// example classifier shape: S4D, dModel 128, 4 layers, N 64, B 16, L 1024 — median ms per step.
// The update is AdamW.
'use strict';
const lc = require('../dist');
const { medianMs, printTable } = require('./util');

function measure({ B, L, H, nLayers, N, threads, device }) {
  lc.setNumThreads(threads);
  const model = new lc.nn.SequenceClassifier({
    dInput: 1, dModel: H, nLayers, layer: { type: 's4d', dState: N }, nClasses: 10, dropout: 0.1, seed: 1,
  }).to(device);
  const x = lc.randn([B, L, 1], { seed: 2, device });
  const labels = Array.from({ length: B }, (_, i) => i % 10);
  const opt = new lc.optim.AdamW(model, { lr: 0.01, weightDecay: 0.01 });
  const step = () => {
    lc.tidy(() => lc.crossEntropy(model.forward(x), labels).backward());
    opt.step();
    opt.zeroGrad();
    if (device === 'cuda') lc.synchronize();
  };
  const ms = medianMs(step, { reps: 5, warmup: 1 });
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  x.dispose();
  opt.dispose();
  model.dispose();
  return { B, L, H, nLayers, N, device, threads, parameters, msPerStep: ms };
}

function run({ quick } = {}) {
  const shape = { B: 16, L: 1024, H: 128, nLayers: 4, N: 64 };
  const configs = [];
  const cpuThreads = lc.backendInfo().cpu.threads;
  for (const threads of quick ? [cpuThreads] : [...new Set([1, cpuThreads])]) configs.push({ ...shape, threads, device: 'cpu' });
  if (lc.backendInfo().cuda.available) configs.push({ ...shape, threads: cpuThreads, device: 'cuda' });
  const rows = configs.map(measure);
  printTable('S4D classifier training step (forward + backward + update)', rows);
  return { suite: 'training', date: new Date().toISOString(), machine: { cpus: require('os').cpus().length, cpu: require('os').cpus()[0]?.model }, rows };
}

module.exports = { run };

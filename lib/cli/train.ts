// `longconv train` and `longconv eval`: the training loop with progress, evaluation each epoch,
// checkpoints (best and last, with optimizer state), metrics.jsonl, curves.svg and --resume.
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';
import * as lc from '..';
import { uniformGenerator } from '../random';
import type { Dataset, Split } from '../data';
import { EvalArgs, TrainArgs, UsageError } from './args';
import { curvesSvg, EpochPoint } from './svg';
import { loadTask, RunConfig, runConfig } from './tasks';

type Emit = (event: Record<string, unknown>) => void;

function resolveDevice(device: string): lc.Device {
  const cuda = lc.backendInfo().cuda;
  if (device === 'cuda' && !cuda.available) throw new UsageError(`--device cuda: CUDA is not available (${cuda.reason}) (choose from cpu, auto)`);
  return device === 'cpu' || !cuda.available ? 'cpu' : 'cuda';
}

export function buildModel(config: RunConfig, task: Dataset, device: lc.Device): lc.nn.SequenceClassifier {
  const model = new lc.nn.SequenceClassifier({
    ...(task.inputs === 'real' ? { dInput: task.dInput } : { nTokens: task.dInput }),
    dModel: config.dModel,
    nLayers: config.layers,
    layer: config.layer as never,
    nClasses: task.nClasses,
    pool: task.targets === 'position' ? 'none' : 'mean',
    prenorm: config.prenorm,
    dropout: config.dropout,
    lMax: task.L,
    seed: config.seed,
  });
  return model.to(device);
}

// The positions that carry targets in a 'position' task (a contiguous range at the end).
function targetRange(task: Dataset): [number, number] {
  if (task.targets === 'sequence') return [0, 0];
  let first = task.L;
  for (let i = 0; i < task.train.size; i++) {
    const row = task.train.y.subarray(i * task.L, (i + 1) * task.L);
    const f = row.findIndex((v) => v >= 0);
    if (f >= 0) first = Math.min(first, f);
  }
  return [first, task.L];
}

interface Batch {
  x: lc.Tensor;
  mask?: lc.Tensor;
  labels: Int32Array;
}

function makeBatch(task: Dataset, split: Split, indices: ArrayLike<number>, device: lc.Device, range: [number, number]): Batch {
  const { L } = task;
  const width = task.inputs === 'real' ? task.dInput : 1;
  const n = indices.length;
  const x = new Float32Array(n * L * width);
  for (let i = 0; i < n; i++) x.set(split.x.subarray(indices[i] * L * width, (indices[i] + 1) * L * width), i * L * width);
  const per = task.targets === 'position' ? range[1] - range[0] : 1;
  const labels = new Int32Array(n * per);
  for (let i = 0; i < n; i++) {
    if (task.targets === 'position') labels.set(split.y.subarray(indices[i] * L + range[0], indices[i] * L + range[1]), i * per);
    else labels[i] = split.y[indices[i]];
  }
  let mask: lc.Tensor | undefined;
  if (split.lengths) {
    const m = new Float32Array(n * L);
    for (let i = 0; i < n; i++) m.fill(1, i * L, i * L + split.lengths[indices[i]]);
    mask = lc.tensor(m, [n, L], { device });
  }
  return { x: lc.tensor(x, task.inputs === 'real' ? [n, L, width] : [n, L], { device }), mask, labels };
}

// Logits [rows, classes] matching `labels`: per sequence, or per target position.
function logitsFor(model: lc.nn.SequenceClassifier, task: Dataset, batch: Batch, range: [number, number]): lc.Tensor {
  const out = model.forward(batch.x, batch.mask);
  if (task.targets === 'sequence') return out;
  // out: [B, L, classes] -> the target positions, flattened to [B·P, classes].
  const picked = lc.narrow(out, 1, range[0], range[1] - range[0]);
  return lc.reshape(picked, [-1, task.nClasses]);
}

function countCorrect(logits: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}

function evaluate(model: lc.nn.SequenceClassifier, task: Dataset, split: Split, batchSize: number, device: lc.Device, range: [number, number]): { loss: number; accuracy: number } {
  model.eval();
  let loss = 0, correct = 0, count = 0;
  lc.noGrad(() => {
    for (let start = 0; start < split.size; start += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, split.size - start) }, (_, i) => start + i);
      lc.tidy(() => {
        const batch = makeBatch(task, split, idx, device, range);
        const logits = logitsFor(model, task, batch, range);
        loss += lc.crossEntropy(logits, batch.labels).toFloat32Array()[0] * batch.labels.length;
        correct += countCorrect(logits.toFloat32Array(), batch.labels, task.nClasses);
        count += batch.labels.length;
      });
    }
  });
  model.train();
  return { loss: loss / count, accuracy: correct / count };
}

function readMetrics(dir: string): Record<string, number>[] {
  const file = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Runs `longconv train`; returns the final summary. */
export function train(args: TrainArgs, emit: Emit): Record<string, unknown> {
  // Everything is checked before anything is written.
  const device = resolveDevice(args.device);
  let config: RunConfig;
  let outDir: string;
  if (args.resume) {
    outDir = args.resume;
    const configFile = path.join(outDir, 'config.json');
    if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory()) throw new UsageError(`--resume: no such directory '${outDir}' (give a directory written by longconv train --out)`);
    if (!fs.existsSync(configFile) || !fs.existsSync(path.join(outDir, 'last.safetensors'))) {
      throw new UsageError(`--resume: '${outDir}' holds no config.json and last.safetensors (give a directory written by longconv train --out)`);
    }
    config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    if (args.epochs !== undefined) config.epochs = args.epochs;
  } else {
    config = runConfig(args);
    outDir = args.out ?? path.join('runs', `${args.task}-${args.model}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  }

  const started = Date.now();
  const full = loadTask(config.task, config.length);
  const task: Dataset = { ...full, train: lc.data.limitSplit(full, full.train, config.trainLimit), test: lc.data.limitSplit(full, full.test, config.testLimit) };
  const range = targetRange(task);
  lc.seed(config.seed);
  const model = buildModel(config, task, device);
  const optimizer = new lc.optim.AdamW(model, { lr: config.lr, weightDecay: config.weightDecay, groups: { ssm: { lr: config.ssmLr, weightDecay: 0 } } });
  const stepsPerEpoch = Math.ceil(task.train.size / config.batch);
  const schedule = lc.optim.cosineSchedule({ warmup: Math.min(stepsPerEpoch, Math.ceil(0.1 * stepsPerEpoch * config.epochs)), total: stepsPerEpoch * config.epochs });

  fs.mkdirSync(outDir, { recursive: true });
  let history: Record<string, number>[] = [];
  let startEpoch = 1;
  if (args.resume) {
    // The checkpoint says which epoch it ends; metrics of any later, unfinished epoch go.
    const done = Number(lc.io.load(path.join(outDir, 'last.safetensors'), model, { optimizer }).epoch);
    history = readMetrics(outDir).slice(0, done);
    fs.writeFileSync(path.join(outDir, 'metrics.jsonl'), history.map((h) => JSON.stringify(h) + '\n').join(''));
    startEpoch = done + 1;
  } else {
    fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    fs.writeFileSync(path.join(outDir, 'metrics.jsonl'), '');
  }
  let best = Math.max(-1, ...history.map((h) => h.testAccuracy));
  const params = model.parameters().reduce((s, p) => s + p.size, 0);
  emit({ event: 'start', task: config.task, model: config.model, device, parameters: params, trainSize: task.train.size, testSize: task.test.size, epochs: config.epochs, startEpoch, out: outDir });

  for (let epoch = startEpoch; epoch <= config.epochs; epoch++) {
    const order = lc.data.permutation(task.train.size, uniformGenerator(config.seed * 100003 + epoch));
    const bar = args.json ? null : new SingleBar({ format: `epoch ${epoch}/${config.epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc}% | {rate} seq/s`, hideCursor: true, clearOnComplete: false });
    bar?.start(task.train.size, 0, { loss: '-', acc: '-', rate: '-' });
    const t0 = Date.now();
    let lossSum = 0, correct = 0, seen = 0, labelsSeen = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const step = (epoch - 1) * stepsPerEpoch + s;
      lc.seed(config.seed * 1000003 + step); // dropout masks depend only on (seed, step): resumable
      optimizer.setLrScale(schedule(step));
      const idx = order.subarray(s * config.batch, Math.min(task.train.size, (s + 1) * config.batch));
      lc.tidy(() => {
        const batch = makeBatch(task, task.train, idx, device, range);
        const logits = logitsFor(model, task, batch, range);
        const loss = lc.crossEntropy(logits, batch.labels);
        loss.backward();
        lc.optim.clipGradNorm(model, 1.0);
        optimizer.step();
        optimizer.zeroGrad();
        lossSum += loss.toFloat32Array()[0] * batch.labels.length;
        correct += countCorrect(logits.toFloat32Array(), batch.labels, task.nClasses);
        labelsSeen += batch.labels.length;
      });
      seen += idx.length;
      const rate = seen / ((Date.now() - t0) / 1000);
      bar?.update(seen, { loss: (lossSum / labelsSeen).toFixed(4), acc: ((100 * correct) / labelsSeen).toFixed(1), rate: rate.toFixed(1) });
    }
    bar?.stop();
    const trainSeconds = (Date.now() - t0) / 1000;
    const test = evaluate(model, task, task.test, config.batch * 2, device, range);
    const point = { epoch, trainLoss: lossSum / labelsSeen, trainAccuracy: correct / labelsSeen, testLoss: test.loss, testAccuracy: test.accuracy, seconds: trainSeconds, sequencesPerSecond: task.train.size / trainSeconds };
    history.push(point);
    fs.appendFileSync(path.join(outDir, 'metrics.jsonl'), JSON.stringify(point) + '\n');
    lc.io.save(path.join(outDir, 'last.safetensors'), model, { optimizer, metadata: { epoch: String(epoch) } });
    if (test.accuracy > best) {
      best = test.accuracy;
      lc.io.save(path.join(outDir, 'best.safetensors'), model, { metadata: { epoch: String(epoch) } });
    }
    fs.writeFileSync(path.join(outDir, 'curves.svg'), curvesSvg(`${config.task} · ${config.model}`, history as unknown as EpochPoint[]));
    emit({ event: 'epoch', ...point });
  }
  const last = history[history.length - 1] as unknown as EpochPoint;
  const summary = { event: 'done', task: config.task, model: config.model, testAccuracy: last.testAccuracy, bestTestAccuracy: best, epochs: config.epochs, seconds: (Date.now() - started) / 1000, out: outDir };
  model.dispose();
  optimizer.dispose();
  return summary;
}

/** Runs `longconv eval`: the best checkpoint of a run directory on its task's test split. */
export function evaluateCheckpoint(args: EvalArgs): Record<string, unknown> {
  const dir = args.checkpoint;
  const configFile = path.join(dir, 'config.json');
  const weights = [path.join(dir, 'best.safetensors'), path.join(dir, 'last.safetensors')].find((f) => fs.existsSync(f));
  if (!fs.existsSync(configFile) || !weights) throw new UsageError(`--checkpoint: '${dir}' holds no config.json and best/last.safetensors (give a directory written by longconv train --out)`);
  const config: RunConfig = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const device = resolveDevice(args.device);
  const taskName = args.task ?? config.task;
  const full = loadTask(taskName, config.length);
  const trained = loadTask(config.task, config.length);
  if (full.nClasses !== trained.nClasses || full.inputs !== trained.inputs || full.dInput !== trained.dInput || full.targets !== trained.targets) {
    throw new UsageError(`--task ${taskName}: the checkpoint was trained on ${config.task}, whose inputs and classes differ (choose a task with the same inputs, e.g. ${config.task})`);
  }
  const task = { ...full, test: lc.data.limitSplit(full, full.test, args.testLimit) };
  const model = buildModel(config, task, device);
  lc.io.load(weights, model);
  const t0 = Date.now();
  const result = evaluate(model, task, task.test, config.batch * 2, device, targetRange(task));
  model.dispose();
  return { event: 'eval', task: taskName, model: config.model, checkpoint: weights, testLoss: result.loss, testAccuracy: result.accuracy, testSize: task.test.size, seconds: (Date.now() - t0) / 1000 };
}

// `longconv train` and `longconv eval`: the training loop with progress, validation each epoch,
// checkpoints (last, within epochs too, and best by validation accuracy), the test split scored
// with the best checkpoint, metrics.jsonl, curves.svg and --resume.
import * as fs from 'fs';
import * as path from 'path';
import { SingleBar } from 'cli-progress';
import * as lc from '..';
import { uniformGenerator } from '../random';
import type { Task } from '../data';
import { EvalArgs, TrainArgs, UsageError } from './args';
import { appendMetrics, files, loadLast, Progress, readConfig, readMetrics, saveBest, saveLast, writeMetrics } from './checkpoints';
import { Classify, emptyTotals, evaluate, trainStep } from './steps';
import { curvesSvg, EpochPoint } from './svg';
import { loadTask, RunConfig, runConfig } from './tasks';

type Emit = (event: Record<string, unknown>) => void;

function resolveDevice(device: string): lc.Device {
  const cuda = lc.backendInfo().cuda;
  if (device === 'cuda' && !cuda.available) throw new UsageError(`--device cuda: CUDA is not available (${cuda.reason}) (choose from cpu, auto)`);
  return device === 'cpu' || !cuda.available ? 'cpu' : 'cuda';
}

/** The run's classifier for the task (a two-tower head for pair tasks). */
export function buildModel(config: RunConfig, task: Task, device: lc.Device): { model: lc.nn.SequenceClassifier; classify: Classify } {
  const model = new lc.nn.SequenceClassifier({
    ...(task.inputs === 'real' ? { dInput: task.dInput } : { nTokens: task.dInput }),
    dModel: config.dModel,
    nLayers: config.layers,
    layer: config.layer as never,
    nClasses: task.nClasses,
    pool: task.targets === 'position' ? 'none' : config.pool,
    prenorm: config.prenorm,
    // The S4 repository's pre-norm models normalise the last block's output too.
    finalNorm: config.prenorm,
    norm: config.norm,
    tiedDropout: config.tiedDropout,
    head: task.pairs ? 'retrieval' : 'linear',
    dropout: config.dropout,
    lMax: task.L,
    seed: config.seed,
  }).to(device);
  return { model, classify: (x, mask) => model.forward(x, mask) };
}

/** AdamW with the run's groups: the kernel/SSM parameters' own lr and weight decay, and those of biases and norms. */
export function makeOptimizer(config: RunConfig, model: lc.nn.Module): lc.optim.AdamW {
  return new lc.optim.AdamW(model, {
    lr: config.lr,
    weightDecay: config.weightDecay,
    groups: { ssm: { lr: config.ssmLr, weightDecay: config.ssmWeightDecay }, noDecay: { weightDecay: config.normWeightDecay } },
    overrides: [
      // S4's lr.dt: null — dt trains at the main lr, without weight decay.
      ...(config.dtLr === undefined ? [] : [{ match: /(^|\.)kernel\.(log|inv)_dt$/, lr: config.dtLr, weightDecay: 0 }]),
      // A number as S4's model.layer.lr sets C's lr too (C keeps the main weight decay).
      ...(config.cLr === undefined ? [] : [{ match: /(^|\.)kernel\.C$/, lr: config.cLr }]),
      // The S4 repository decays D, a plain parameter.
      ...(config.dWeightDecay === undefined ? [] : [{ match: /(^|\.)D$/, weightDecay: config.dWeightDecay }]),
    ],
  });
}

/** Linear warmup and cosine decay over the run's steps (the preset's warmup share, or its warmup epochs). */
function makeSchedule(config: RunConfig, stepsPerEpoch: number): (step: number) => number {
  const total = stepsPerEpoch * config.epochs;
  const warmup = config.warmupFraction !== undefined
    ? Math.round(config.warmupFraction * total)
    : config.warmupEpochs !== undefined
      ? Math.min(total, config.warmupEpochs * stepsPerEpoch)
      : Math.min(stepsPerEpoch, Math.ceil(0.1 * total));
  return lc.optim.cosineSchedule({ warmup, total });
}

// The run's settings and directory, checked before anything is written.
function prepare(args: TrainArgs): { config: RunConfig; outDir: string } {
  if (!args.resume) {
    const config = runConfig(args);
    return { config, outDir: args.out ?? path.join('runs', `${config.preset ?? `${config.task}-${config.model}`}-${new Date().toISOString().replace(/[:.]/g, '-')}`) };
  }
  // A resumed run keeps its config.json; --epochs, --data-dir (moved data) and --checkpoint-every may change.
  const config = readConfig(args.resume, '--resume');
  if (!fs.existsSync(files.last(args.resume))) throw new UsageError(`--resume: '${args.resume}' holds no last.safetensors (give a directory written by longconv train --out)`);
  if (args.epochs !== undefined) config.epochs = args.epochs;
  if (args.dataDir !== undefined) config.dataDir = args.dataDir;
  if (args.checkpointEvery !== undefined) config.checkpointEvery = args.checkpointEvery;
  return { config, outDir: args.resume };
}

/** Runs `longconv train`; returns the final summary. */
export function train(args: TrainArgs, emit: Emit): Record<string, unknown> {
  const device = resolveDevice(args.device);
  const { config, outDir } = prepare(args);
  const started = Date.now();
  const task = loadTask(config); // a missing or malformed data file stops here, before any write
  lc.seed(config.seed);
  const { model, classify } = buildModel(config, task, device);
  const optimizer = makeOptimizer(config, model);
  const stepsPerEpoch = Math.ceil(task.train.size / config.batch);
  const schedule = makeSchedule(config, stepsPerEpoch);

  fs.mkdirSync(outDir, { recursive: true });
  let history: Record<string, number>[] = [];
  let progress: Progress = { epoch: 0, step: 0, bestValAccuracy: -1, bestEpoch: 0 };
  if (args.resume) {
    progress = loadLast(outDir, model, optimizer);
    history = readMetrics(outDir).slice(0, progress.epoch);
    writeMetrics(outDir, history);
  } else {
    fs.writeFileSync(files.config(outDir), JSON.stringify(config, null, 2) + '\n');
    writeMetrics(outDir, []);
  }
  const params = model.parameters().reduce((s, p) => s + p.size, 0);
  emit({
    event: 'start', task: config.task, model: config.model, preset: config.preset, device, parameters: params,
    trainSize: task.train.size, valSize: task.val.size, valFrom: task.valFrom, testSize: task.test.size,
    epochs: config.epochs, startEpoch: progress.epoch + 1, startStep: progress.step, out: outDir,
  });

  for (let epoch = progress.epoch + 1; epoch <= config.epochs; epoch++) {
    const order = lc.data.permutation(task.train.size, uniformGenerator(config.seed * 100003 + epoch));
    const totals = progress.totals ?? { ...emptyTotals(), seconds: 0 };
    const bar = args.json ? null : new SingleBar({ format: `epoch ${epoch}/${config.epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc}% | {rate} seq/s`, hideCursor: true, clearOnComplete: false });
    bar?.start(task.train.size, totals.examples, { loss: '-', acc: '-', rate: '-' });
    let t0 = Date.now() - totals.seconds * 1000;
    for (let s = progress.step; s < stepsPerEpoch; s++) {
      const step = (epoch - 1) * stepsPerEpoch + s;
      optimizer.setLrScale(schedule(step));
      trainStep({
        classify, model, optimizer, task, device, totals,
        source: task.train,
        indices: order.subarray(s * config.batch, Math.min(task.train.size, (s + 1) * config.batch)),
        accumulate: config.accumulate,
        gradientClip: config.gradientClip,
        // Dropout masks depend only on (seed, step, micro-batch): a resumed run repeats them.
        seedFor: (micro) => config.seed * 1000003 + step + micro * 0x9e3779b1,
      });
      totals.seconds = (Date.now() - t0) / 1000;
      bar?.update(totals.examples, { loss: (totals.lossSum / totals.labels).toFixed(4), acc: ((100 * totals.correct) / totals.labels).toFixed(1), rate: (totals.examples / totals.seconds).toFixed(1) });
      if (config.checkpointEvery > 0 && (s + 1) % config.checkpointEvery === 0 && s + 1 < stepsPerEpoch) {
        saveLast(outDir, model, optimizer, { ...progress, epoch: epoch - 1, step: s + 1, totals });
        emit({ event: 'checkpoint', epoch, step: s + 1, stepsPerEpoch });
        t0 = Date.now() - totals.seconds * 1000; // saving is not training time
      }
    }
    bar?.stop();
    const val = evaluate(classify, model, task, task.val, config.batch * 2, device);
    const point = {
      epoch, trainLoss: totals.lossSum / totals.labels, trainAccuracy: totals.correct / totals.labels,
      valLoss: val.loss, valAccuracy: val.accuracy, seconds: totals.seconds, sequencesPerSecond: totals.examples / totals.seconds,
    };
    history.push(point);
    appendMetrics(outDir, point);
    if (val.accuracy > progress.bestValAccuracy) {
      progress = { ...progress, bestValAccuracy: val.accuracy, bestEpoch: epoch };
      saveBest(outDir, model, epoch);
    }
    progress = { ...progress, epoch, step: 0, totals: undefined };
    saveLast(outDir, model, optimizer, progress);
    fs.writeFileSync(files.curves(outDir), curvesSvg(`${config.task} · ${config.model}`, history as unknown as EpochPoint[], task.valFrom === 'test' ? 'test' : 'validation'));
    emit({ event: 'epoch', ...point });
  }

  // The papers' protocol: the test split scored once, with the best-validation weights.
  lc.io.load(files.best(outDir), model);
  const test = evaluate(classify, model, task, task.test, config.batch * 2, device);
  const last = history[history.length - 1];
  const result = {
    task: config.task, model: config.model, preset: config.preset, bestEpoch: progress.bestEpoch, bestValAccuracy: progress.bestValAccuracy,
    valFrom: task.valFrom, testLoss: test.loss, testAccuracy: test.accuracy, testSize: task.test.size, lastValAccuracy: last?.valAccuracy,
  };
  fs.writeFileSync(files.result(outDir), JSON.stringify(result, null, 2) + '\n');
  model.dispose();
  optimizer.dispose();
  return { event: 'done', ...result, epochs: config.epochs, seconds: (Date.now() - started) / 1000, out: outDir };
}

/** Runs `longconv eval`: the best checkpoint of a run directory on its task's test split. */
export function evaluateCheckpoint(args: EvalArgs): Record<string, unknown> {
  const dir = args.checkpoint;
  const config = readConfig(dir, '--checkpoint');
  const weights = [files.best(dir), files.last(dir)].find((f) => fs.existsSync(f));
  if (!weights) throw new UsageError(`--checkpoint: '${dir}' holds no best/last.safetensors (give a directory written by longconv train --out)`);
  const device = resolveDevice(args.device);
  const taskName = args.task ?? config.task;
  const dataDir = args.dataDir ?? (taskName === config.task ? config.dataDir : undefined);
  const task = loadTask({ ...config, task: taskName, dataDir, trainLimit: undefined, valLimit: undefined, testLimit: args.testLimit });
  const { model, classify } = buildModel(config, task, device);
  try {
    lc.io.load(weights, model);
  } catch (e) {
    model.dispose();
    // A task of other inputs or classes builds a model of other shapes.
    if (e instanceof RangeError && taskName !== config.task) throw new UsageError(`--task ${taskName}: the checkpoint was trained on ${config.task}, whose inputs and classes differ (choose a task with the same inputs, e.g. ${config.task})`);
    throw e;
  }
  const t0 = Date.now();
  const result = evaluate(classify, model, task, task.test, config.batch * 2, device);
  model.dispose();
  return { event: 'eval', task: taskName, model: config.model, checkpoint: weights, testLoss: result.loss, testAccuracy: result.accuracy, testSize: task.test.size, seconds: (Date.now() - t0) / 1000 };
}

// `longconv train` and `longconv eval`: the training loop with progress, validation each epoch,
// checkpoints (last, within epochs too, and best by validation accuracy), the test split scored
// with the best checkpoint, metrics.jsonl, curves.svg and --resume.
import * as fs from 'fs';
import * as path from 'path';
import * as lc from '..';
import { uniformGenerator } from '../random';
import type { Task } from '../data';
import { EvalArgs, resolveDeviceFlag, TrainArgs, UsageError } from './args';
import { epochProgress, progressMode } from './progress';
import { files, loadLast, Progress, readConfig, readMetrics, saveBest, saveLast, writeMetrics } from './checkpoints';
import { writeTextAtomically } from '../io/files';
import { isRoot, joinRanks, share, sum } from './ranks';
import { Classify, emptyTotals, evaluate, trainStep } from './steps';
import { curvesSvg, EpochPoint } from './svg';
import { loadTask, RunConfig, runConfig } from './tasks';

type Emit = (event: Record<string, unknown>) => void;

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

// A directory that can be created (or is one) and written: checked before the run starts, so an
// --out under a file or without permission is one line, not a stack trace after loading the data.
function checkWritableDirectory(dir: string, flag: string): void {
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) {
    throw new UsageError(`${flag}: cannot write to '${dir}': '${existing}' is a file, not a directory`);
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new UsageError(`${flag}: cannot write to '${dir}': no permission to write in '${existing}'`);
  }
}

// The run's settings and directory, checked before anything is written. A resumed run keeps its
// config.json but for the flags --resume takes (RESUME_FLAGS, checked by parseTrainArgs).
function prepare(args: TrainArgs): { config: RunConfig; outDir: string } {
  if (!args.resume) {
    const config = runConfig(args);
    const outDir = args.out ?? path.join('runs', `${config.preset ?? `${config.task}-${config.model}`}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    checkWritableDirectory(outDir, '--out');
    return { config, outDir };
  }
  const config = readConfig(args.resume, '--resume');
  if (!fs.existsSync(files.last(args.resume))) throw new UsageError(`--resume: '${args.resume}' holds no last.safetensors (give a directory written by longconv train --out)`);
  checkWritableDirectory(args.resume, '--resume');
  if (args.epochs !== undefined) config.epochs = args.epochs;
  if (args.dataDir !== undefined) config.dataDir = args.dataDir;
  if (args.checkpointEvery !== undefined) config.checkpointEvery = args.checkpointEvery;
  return { config, outDir: args.resume };
}

// A new --epochs for a resumed run: never fewer than it has completed; recorded in config.json
// (epochs, and a `resumes` entry saying where the schedule changed).
function recordEpochs(outDir: string, config: RunConfig, progress: Progress): void {
  const before = readConfig(outDir, '--resume');
  if (config.epochs === before.epochs) return;
  if (config.epochs < progress.epoch || (config.epochs === progress.epoch && progress.step > 0)) {
    throw new UsageError(`--epochs ${config.epochs}: the run in '${outDir}' has completed ${progress.epoch} epochs${progress.step ? ` and ${progress.step} steps of the next` : ''} (give --epochs ≥ ${progress.epoch + (progress.step ? 1 : 0)})`);
  }
  config.resumes = [...(config.resumes ?? []), { epoch: progress.epoch, step: progress.step, epochsBefore: before.epochs, epochsAfter: config.epochs }];
  writeTextAtomically(files.config(outDir), JSON.stringify(config, null, 2) + '\n');
}

// Lets the event loop run (timers, progress output, signal handlers, I/O) between training steps.
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `longconv train`; resolves to the final summary. Under an MPI launcher every rank runs it:
 * each step's batch is split across the ranks, each evaluates its part of a split, rank 0
 * alone prints (`emit`) and writes the run directory, and resumes it for all. Each step runs
 * synchronously, and the loop yields to the event loop between steps, so signals and timers are
 * handled during training.
 */
export async function train(args: TrainArgs, emit: Emit): Promise<Record<string, unknown>> {
  const { world, device } = joinRanks(() => resolveDeviceFlag(args.device));
  const root = isRoot();
  const say: Emit = root ? emit : () => undefined;
  // Rank 0's settings and directory (a new run's name holds the time), checked before any write.
  const { config, outDir, resume } = lc.distributed.broadcastObject(root ? { ...prepare(args), resume: !!args.resume } : null)!;
  const started = Date.now();
  const task = loadTask(config); // a missing or malformed data file stops here, before any write
  lc.seed(config.seed);
  const { model, classify } = buildModel(config, task, device);
  const optimizer = makeOptimizer(config, model);
  const stepsPerEpoch = Math.ceil(task.train.size / config.batch);
  const schedule = makeSchedule(config, stepsPerEpoch);

  let history: Record<string, number>[] = [];
  let progress: Progress = { epoch: 0, step: 0, bestValAccuracy: -1, bestEpoch: 0 };
  if (root) {
    fs.mkdirSync(outDir, { recursive: true });
    if (resume) {
      progress = loadLast(outDir, model, optimizer);
      recordEpochs(outDir, config, progress);
      history = readMetrics(outDir).slice(0, progress.epoch);
      writeMetrics(outDir, history);
    } else {
      writeTextAtomically(files.config(outDir), JSON.stringify(config, null, 2) + '\n');
      writeMetrics(outDir, []);
    }
  }
  // Every rank starts from rank 0's weights, optimizer state and place in the run.
  const dp = new lc.distributed.DataParallel(model);
  if (resume) {
    dp.broadcastOptimizer(optimizer);
    progress = lc.distributed.broadcastObject(progress);
  }
  const params = model.parameters().reduce((s, p) => s + p.size, 0);
  say({
    event: 'start', task: config.task, model: config.model, preset: config.preset, device, parameters: params,
    trainSize: task.train.size, valSize: task.val.size, valFrom: task.valFrom, testSize: task.test.size,
    epochs: config.epochs, startEpoch: progress.epoch + 1, startStep: progress.step, out: outDir,
    ...(world.size > 1 ? { ranks: world.size, backend: world.backend } : {}),
  });

  for (let epoch = progress.epoch + 1; epoch <= config.epochs; epoch++) {
    const order = lc.data.permutation(task.train.size, uniformGenerator(config.seed * 100003 + epoch));
    const totals = progress.totals ?? { ...emptyTotals(), seconds: 0 };
    const bar = epochProgress(root ? progressMode(args) : 'none', epoch, config.epochs, task.train.size, totals.examples, args.progressSeconds);
    let t0 = Date.now() - totals.seconds * 1000;
    const synchronizing = dp.synchronizeSeconds;
    for (let s = progress.step; s < stepsPerEpoch; s++) {
      await yieldToEventLoop();
      const step = (epoch - 1) * stepsPerEpoch + s;
      optimizer.setLrScale(schedule(step));
      const batch = order.subarray(s * config.batch, Math.min(task.train.size, (s + 1) * config.batch));
      const { first, last } = share(batch.length);
      const own = trainStep({
        classify, model, optimizer, dp, task, device,
        source: task.train,
        indices: batch.subarray(first, last),
        offset: first,
        accumulate: config.accumulate,
        gradientClip: config.gradientClip,
        // Dropout masks depend only on (seed, step, position in the batch): a resumed run, and
        // one on another number of ranks or micro-batches, repeats them.
        seed: config.seed * 1000003 + step,
      });
      const [lossSum, correct, labels, examples] = sum([own.lossSum, own.correct, own.labels, own.examples]);
      totals.lossSum += lossSum;
      totals.correct += correct;
      totals.labels += labels;
      totals.examples += examples;
      totals.seconds = (Date.now() - t0) / 1000;
      bar.update(totals.examples, totals.lossSum / totals.labels, totals.correct / totals.labels, totals.examples / totals.seconds);
      if (config.checkpointEvery > 0 && (s + 1) % config.checkpointEvery === 0 && s + 1 < stepsPerEpoch) {
        if (root) saveLast(outDir, model, optimizer, { ...progress, epoch: epoch - 1, step: s + 1, totals });
        say({ event: 'checkpoint', epoch, step: s + 1, stepsPerEpoch });
        t0 = Date.now() - totals.seconds * 1000; // saving is not training time
      }
    }
    bar.stop();
    // Batch norm's running statistics are each rank's own: evaluate rank 0's, as it saves them.
    dp.broadcastBuffers();
    const val = evaluate(classify, model, task, task.val, config.batch * 2, device, share(task.val.size));
    const point = {
      epoch, trainLoss: totals.lossSum / totals.labels, trainAccuracy: totals.correct / totals.labels,
      valLoss: val.loss, valAccuracy: val.accuracy, seconds: totals.seconds, sequencesPerSecond: totals.examples / totals.seconds,
      // The main learning rate of the epoch's last step (the schedule's value there).
      lr: config.lr * schedule(epoch * stepsPerEpoch - 1),
      ...(world.size > 1 ? { allReduceSeconds: dp.synchronizeSeconds - synchronizing } : {}),
    };
    history.push(point);
    if (val.accuracy > progress.bestValAccuracy) {
      progress = { ...progress, bestValAccuracy: val.accuracy, bestEpoch: epoch };
      if (root) saveBest(outDir, model, epoch);
    }
    progress = { ...progress, epoch, step: 0, totals: undefined };
    if (root) {
      writeMetrics(outDir, history);
      saveLast(outDir, model, optimizer, progress);
      writeTextAtomically(files.curves(outDir), curvesSvg(`${config.task} · ${config.model}`, history as unknown as EpochPoint[], task.valFrom === 'test' ? 'test' : 'validation'));
    }
    say({ event: 'epoch', ...point });
  }

  // The papers' protocol: the test split scored once, with the best-validation weights.
  if (root) lc.io.load(files.best(outDir), model);
  dp.broadcastParameters();
  const test = evaluate(classify, model, task, task.test, config.batch * 2, device, share(task.test.size));
  const last = history[history.length - 1];
  const result = {
    task: config.task, model: config.model, preset: config.preset, bestEpoch: progress.bestEpoch, bestValAccuracy: progress.bestValAccuracy,
    valFrom: task.valFrom, testLoss: test.loss, testAccuracy: test.accuracy, testSize: task.test.size, lastValAccuracy: last?.valAccuracy,
  };
  if (root) writeTextAtomically(files.result(outDir), JSON.stringify(result, null, 2) + '\n');
  model.dispose();
  optimizer.dispose();
  return { event: 'done', ...result, epochs: config.epochs, seconds: (Date.now() - started) / 1000, out: outDir };
}

/**
 * Runs `longconv eval`: the best checkpoint of a run directory on its task's test split (under
 * an MPI launcher, each rank scores its part of the split; rank 0 reads the run directory).
 */
export function evaluateCheckpoint(args: EvalArgs): Record<string, unknown> {
  const { device } = joinRanks(() => resolveDeviceFlag(args.device));
  const root = isRoot();
  const dir = args.checkpoint;
  const found = lc.distributed.broadcastObject(root ? (() => {
    const config = readConfig(dir, '--checkpoint');
    const weights = [files.best(dir), files.last(dir)].find((f) => fs.existsSync(f));
    if (!weights) throw new UsageError(`--checkpoint: '${dir}' holds no best/last.safetensors (give a directory written by longconv train --out)`);
    return { config, weights };
  })() : null)!;
  const { config, weights } = found;
  const taskName = args.task ?? config.task;
  const dataDir = args.dataDir ?? (taskName === config.task ? config.dataDir : undefined);
  const task = loadTask({ ...config, task: taskName, dataDir, trainLimit: undefined, valLimit: undefined, testLimit: args.testLimit });
  const { model, classify } = buildModel(config, task, device);
  try {
    if (root) lc.io.load(weights, model);
  } catch (e) {
    model.dispose();
    // A task of other inputs or classes builds a model of other shapes.
    if (e instanceof RangeError && taskName !== config.task) throw new UsageError(`--task ${taskName}: the checkpoint was trained on ${config.task}, whose inputs and classes differ (choose a task with the same inputs, e.g. ${config.task})`);
    throw e;
  }
  new lc.distributed.DataParallel(model); // rank 0's weights on every rank
  const t0 = Date.now();
  const result = evaluate(classify, model, task, task.test, config.batch * 2, device, share(task.test.size));
  model.dispose();
  return { event: 'eval', task: taskName, model: config.model, checkpoint: weights, testLoss: result.loss, testAccuracy: result.accuracy, testSize: task.test.size, seconds: (Date.now() - t0) / 1000 };
}

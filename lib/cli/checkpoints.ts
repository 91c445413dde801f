// The files of a run directory: config.json, metrics.jsonl, last.safetensors (weights, optimizer
// state and the progress within the run), best.safetensors (the best validation accuracy so
// far), result.json (the test split scored with best.safetensors) and curves.svg. Each is
// written whole or not at all (a kill at any moment leaves the previous version), so --resume
// and eval always find files they can read.
import * as fs from 'fs';
import * as path from 'path';
import * as lc from '..';
import type { StepTotals } from './steps';
import type { RunConfig } from './tasks';
import { withDefaults } from './tasks';
import { UsageError } from './args';
import { writeTextAtomically } from '../io/files';

/** Where a run stands: what last.safetensors holds besides the weights. */
export interface Progress {
  /** Epochs completed. */
  epoch: number;
  /** Steps completed within epoch + 1 (0 at an epoch's end). */
  step: number;
  /** The running sums of epoch + 1 so far, and its training seconds. */
  totals?: StepTotals & { seconds: number };
  /** The best validation accuracy of a completed epoch (−1 before any) and that epoch. */
  bestValAccuracy: number;
  bestEpoch: number;
}

export const files = {
  config: (dir: string) => path.join(dir, 'config.json'),
  metrics: (dir: string) => path.join(dir, 'metrics.jsonl'),
  last: (dir: string) => path.join(dir, 'last.safetensors'),
  best: (dir: string) => path.join(dir, 'best.safetensors'),
  result: (dir: string) => path.join(dir, 'result.json'),
  curves: (dir: string) => path.join(dir, 'curves.svg'),
};

/** Reads a run directory's config.json (for --resume and eval). */
export function readConfig(dir: string, flag: string): RunConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${flag}: no such directory '${dir}' (give a directory written by longconv train --out)`);
  if (!fs.existsSync(files.config(dir))) throw new UsageError(`${flag}: '${dir}' holds no config.json (give a directory written by longconv train --out)`);
  return withDefaults(JSON.parse(fs.readFileSync(files.config(dir), 'utf8')));
}

/** Saves the weights, the optimizer state and the progress to last.safetensors. */
export function saveLast(dir: string, model: lc.nn.Module, optimizer: lc.optim.AdamW, progress: Progress): void {
  lc.io.save(files.last(dir), model, { optimizer, metadata: { epoch: String(progress.epoch), step: String(progress.step), progress: JSON.stringify(progress) } });
}

/** Loads last.safetensors into the model and optimizer; returns where the run stands. */
export function loadLast(dir: string, model: lc.nn.Module, optimizer: lc.optim.AdamW): Progress {
  const metadata = lc.io.load(files.last(dir), model, { optimizer });
  if (metadata.progress) return JSON.parse(metadata.progress) as Progress;
  // Checkpoints written before in-epoch checkpoints: an epoch's end; the best from metrics.jsonl.
  const epoch = Number(metadata.epoch);
  const history = readMetrics(dir).slice(0, epoch);
  const best = history.reduce((b, h, i) => ((h.valAccuracy ?? h.testAccuracy) > b.acc ? { acc: h.valAccuracy ?? h.testAccuracy, epoch: i + 1 } : b), { acc: -1, epoch: 0 });
  return { epoch, step: 0, bestValAccuracy: best.acc, bestEpoch: best.epoch };
}

/** Saves the weights that scored the best validation accuracy. */
export function saveBest(dir: string, model: lc.nn.Module, epoch: number): void {
  lc.io.save(files.best(dir), model, { metadata: { epoch: String(epoch) } });
}

/** metrics.jsonl: one object per completed epoch. */
export function readMetrics(dir: string): Record<string, number>[] {
  const file = files.metrics(dir);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Writes metrics.jsonl: the epochs completed so far (after a resume, those its checkpoint reached). */
export function writeMetrics(dir: string, history: Record<string, number>[]): void {
  writeTextAtomically(files.metrics(dir), history.map((h) => JSON.stringify(h) + '\n').join(''));
}

// One training step (with gradient accumulation) and one evaluation pass of a classifier on a
// task's sources: the arithmetic of `longconv train` and `longconv eval`.
import * as lc from '..';
import type { Rows, Source, Task } from '../data';
import { sum } from './ranks';

/** A batch on the device: inputs, padding mask and the labels of its target positions. */
interface Batch {
  x: lc.Tensor;
  mask?: lc.Tensor;
  labels: Int32Array;
}

// Rows -> tensors. 'position' tasks keep the labels of their target range only.
function toBatch(task: Task, rows: Rows, device: lc.Device): Batch {
  const n = rows.lengths?.length ?? rows.x.length / (rows.L * (task.inputs === 'real' ? task.dInput : 1));
  let labels = rows.y;
  if (task.targets === 'position') {
    const [start, end] = task.targetRange!;
    labels = new Int32Array(n * (end - start));
    for (let i = 0; i < n; i++) labels.set(rows.y.subarray(i * rows.L + start, i * rows.L + end), i * (end - start));
  }
  let mask: lc.Tensor | undefined;
  if (rows.lengths) {
    const m = new Float32Array(n * rows.L);
    rows.lengths.forEach((len, i) => m.fill(1, i * rows.L, i * rows.L + len));
    mask = lc.tensor(m, [n, rows.L], { device });
  }
  const shape = task.inputs === 'real' ? [n, rows.L, task.dInput] : [n, rows.L];
  return { x: lc.tensor(rows.x, shape, { device }), mask, labels };
}

/** The classifier's forward pass: x [B, L, ·] (pairs: 2B rows) and mask -> logits. */
export type Classify = (x: lc.Tensor, mask?: lc.Tensor) => lc.Tensor;

// Logits [rows, classes] matching `labels`: per example, or per target position.
function logitsFor(classify: Classify, task: Task, batch: Batch): lc.Tensor {
  const out = classify(batch.x, batch.mask);
  if (task.targets === 'sequence') return out;
  const [start, end] = task.targetRange!;
  return lc.reshape(lc.narrow(out, 1, start, end - start), [-1, task.nClasses]); // [B·P, classes]
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

/** Sums over the examples of an epoch so far (restored with a mid-epoch checkpoint). */
export interface StepTotals {
  /** Σ loss · labels. */
  lossSum: number;
  /** Correctly classified labels. */
  correct: number;
  /** Labels seen (examples, or target positions). */
  labels: number;
  /** Examples seen. */
  examples: number;
}

export function emptyTotals(): StepTotals {
  return { lossSum: 0, correct: 0, labels: 0, examples: 0 };
}

/**
 * The micro-batches of one step: `indices` cut into `parts` nearly equal runs (sizes differ by
 * at most one), so that `accumulate` splits the paper's batch without changing it.
 */
function microBatches(indices: Int32Array, parts: number): Int32Array[] {
  const n = Math.min(parts, indices.length);
  return Array.from({ length: n }, (_, k) => indices.subarray(Math.floor((k * indices.length) / n), Math.floor(((k + 1) * indices.length) / n)));
}

/**
 * One optimizer step on this rank's share `indices` of the step's batch (its examples from
 * position `offset` on), in `accumulate` micro-batches: each micro-batch's mean loss is weighted
 * by its share of the rank's labels, and `dp` averages the ranks' gradients weighted by their
 * labels, so the gradient is that of the whole batch's mean loss (exactly so without batch
 * statistics: batch norm sees each micro-batch alone; docs/MATH.md §4.5). Every micro-batch
 * draws its dropout masks from `seed` at its position in the batch: the masks do not depend on
 * the split into ranks or micro-batches. Returns this rank's sums of the step.
 */
export function trainStep(opts: {
  classify: Classify;
  model: lc.nn.Module;
  optimizer: lc.optim.AdamW;
  dp: lc.distributed.DataParallel;
  task: Task;
  source: Source;
  indices: Int32Array;
  offset: number;
  accumulate: number;
  /** Clip the gradients' global norm at this value (0: no clipping). */
  gradientClip: number;
  device: lc.Device;
  seed: number;
}): StepTotals {
  const { task } = opts;
  const totals = emptyTotals();
  const parts = microBatches(opts.indices, opts.accumulate);
  const rows = parts.map((p) => opts.source.read(p));
  // Labels per micro-batch: one per example, or one per target position ('position' rows hold y [n, L]).
  const width = task.targets === 'position' ? task.targetRange![1] - task.targetRange![0] : 1;
  const total = rows.reduce((sum, r) => sum + (task.targets === 'position' ? r.y.length / r.L : r.y.length) * width, 0);
  let offset = opts.offset;
  rows.forEach((r, k) => {
    lc.seed(opts.seed);
    lc.tidy(() => {
      const batch = toBatch(task, r, opts.device);
      const logits = lc.withBatchOffset(offset, () => logitsFor(opts.classify, task, batch));
      const loss = lc.crossEntropy(logits, batch.labels);
      (parts.length === 1 ? loss : lc.scale(loss, batch.labels.length / total)).backward();
      totals.lossSum += loss.toFloat32Array()[0] * batch.labels.length;
      totals.correct += countCorrect(logits.toFloat32Array(), batch.labels, task.nClasses);
      totals.labels += batch.labels.length;
    });
    offset += parts[k].length;
  });
  totals.examples = opts.indices.length;
  opts.dp.synchronize({ weight: total });
  if (opts.gradientClip > 0) lc.optim.clipGradNorm(opts.model, opts.gradientClip);
  opts.optimizer.step();
  opts.optimizer.zeroGrad();
  return totals;
}

/**
 * Mean loss and accuracy of the classifier on `source` (eval mode, no gradients): this rank
 * scores rows [first, last) of it, and the sums are added over the ranks.
 */
export function evaluate(classify: Classify, model: lc.nn.Module, task: Task, source: Source, batchSize: number, device: lc.Device, part = { first: 0, last: source.size }): { loss: number; accuracy: number } {
  model.eval();
  const totals = emptyTotals();
  lc.noGrad(() => {
    for (let start = part.first; start < part.last; start += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, part.last - start) }, (_, i) => start + i);
      lc.tidy(() => {
        const batch = toBatch(task, source.read(idx), device);
        const logits = logitsFor(classify, task, batch);
        totals.lossSum += lc.crossEntropy(logits, batch.labels).toFloat32Array()[0] * batch.labels.length;
        totals.correct += countCorrect(logits.toFloat32Array(), batch.labels, task.nClasses);
        totals.labels += batch.labels.length;
      });
    }
  });
  model.train();
  const [lossSum, correct, labels] = sum([totals.lossSum, totals.correct, totals.labels]);
  return { loss: lossSum / labels, accuracy: correct / labels };
}

// In-memory datasets of fixed-length sequences for the training CLI and the examples.
import { checkNonNegativeInt, describe, typeError } from '../validate';

/** One split: n sequences of length L, as real features [n, L, dInput] or token ids [n, L]. */
export interface Split {
  /** Number of sequences. */
  size: number;
  /** Row-major [size, L, dInput] (real inputs) or [size, L] (token ids, as numbers). */
  x: Float32Array;
  /**
   * Targets: one class per sequence ([size]) for classification tasks, or one class per
   * position ([size, L], −1 where there is nothing to predict) for sequence-to-sequence tasks.
   */
  y: Int32Array;
  /** Valid length of each sequence (the rest is padding), when lengths vary. */
  lengths?: Int32Array;
}

/** What a model needs to know of a task: its name, length, inputs and targets. */
export interface TaskShape {
  /** The task's name, e.g. 'smnist'. */
  name: string;
  /** Sequence length (after padding; the longest sequence for tasks of varying length). */
  L: number;
  /** Real features per position, or token ids. */
  inputs: 'real' | 'tokens';
  /** Features per position ('real') or the vocabulary size ('tokens'). */
  dInput: number;
  /** Number of classes of the targets. */
  nClasses: number;
  /** 'sequence': one label per sequence; 'position': a label per position (−1 = ignore). */
  targets: 'sequence' | 'position';
}

/** A task: its inputs, targets and fixed train/test splits (from `lc.data`). */
export interface Dataset extends TaskShape {
  /** The training split. */
  train: Split;
  /** The test split. */
  test: Split;
  /** The accuracy a perfect model reaches (1 for the synthetic tasks), when known. */
  perfectAccuracy?: number;
}

/** The first n sequences of a split of `task` (all of it when n is undefined or larger). */
export function limitSplit(task: Dataset, split: Split, n: number | undefined): Split {
  if (n === undefined || checkNonNegativeInt(n, 'n') >= split.size) return split;
  const width = task.inputs === 'real' ? task.dInput : 1;
  const perRow = task.targets === 'position' ? task.L : 1;
  return {
    size: n,
    x: split.x.subarray(0, n * task.L * width),
    y: split.y.subarray(0, n * perRow),
    lengths: split.lengths?.subarray(0, n),
  };
}

/** A seeded permutation of 0..n−1 (Fisher–Yates). */
export function permutation(n: number, random: () => number): Int32Array {
  checkNonNegativeInt(n, 'n');
  if (typeof random !== 'function') throw typeError('random', 'a function returning numbers in [0, 1)', describe(random));
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

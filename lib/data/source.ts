// Splits read row by row: a `Source` materialises the rows of one batch on demand, from memory
// (the built-in tasks) or from the benchmark's files on disk (the file tasks).
import { Dataset, permutation, Split, TaskShape } from './dataset';
import { uniformGenerator } from '../random';

/** The rows of one batch, as the model takes them. */
export interface Rows {
  /**
   * Real features [n, L, dInput] or token ids [n, L] (as numbers), row-major, padded with
   * zeros (id 0 is padding) to L. Pair tasks hold 2n rows: the n first documents, then the n
   * second documents.
   */
  x: Float32Array;
  /** The padded length of this batch (the task's L, or the longest row of a variable-length batch). */
  L: number;
  /** Labels: one per example [n], or per position [n, L] (−1: nothing to predict). */
  y: Int32Array;
  /** The valid length of every row of x (omitted when all rows are full). */
  lengths?: Int32Array;
}

/** One split: its size and a reader of rows. */
export interface Source {
  /** Number of examples. */
  readonly size: number;
  /** The examples at `indices` (each in [0, size)), in that order. */
  read(indices: ArrayLike<number>): Rows;
}

/** A task with train, validation and test sources (the file tasks of `lc.data.FILE_TASKS`, or a built-in Dataset through datasetTask). */
export interface Task extends TaskShape {
  /** Each example is a pair of sequences (the retrieval task's two documents). */
  pairs: boolean;
  /** The training split. */
  train: Source;
  /** The validation split: it chooses the best checkpoint. */
  val: Source;
  /** Where the validation split comes from: its own file, carved from train, or the test split itself. */
  valFrom: 'file' | 'train' | 'test';
  /** The test split: reported for the best checkpoint. */
  test: Source;
  /** Token names by id, when the task has a vocabulary. */
  vocabulary?: readonly string[];
  /** 'position' targets: the positions [start, end) that carry labels (−1 elsewhere). */
  targetRange?: [number, number];
}

/** A Source over an in-memory split of a built-in Dataset (fixed length L). */
export function memorySource(task: Dataset, split: Split): Source {
  const { L } = task;
  const width = task.inputs === 'real' ? task.dInput : 1;
  const perRow = task.targets === 'position' ? L : 1;
  return {
    size: split.size,
    read(indices) {
      const n = indices.length;
      const x = new Float32Array(n * L * width);
      const y = new Int32Array(n * perRow);
      const lengths = split.lengths ? new Int32Array(n) : undefined;
      for (let i = 0; i < n; i++) {
        const r = indices[i];
        x.set(split.x.subarray(r * L * width, (r + 1) * L * width), i * L * width);
        y.set(split.y.subarray(r * perRow, (r + 1) * perRow), i * perRow);
        if (lengths) lengths[i] = split.lengths![r];
      }
      return { x, L, y, lengths };
    },
  };
}

/** The examples `rows` of `source` (in that order) as a source of their own. */
export function subset(source: Source, rows: Int32Array): Source {
  return {
    size: rows.length,
    read: (indices) => source.read(Array.from(indices, (i) => rows[i])),
  };
}

/** The first n examples of `source` (all of it when n is undefined or larger). */
export function limit(source: Source, n: number | undefined): Source {
  return n === undefined || n >= source.size ? source : subset(source, Int32Array.from({ length: n }, (_, i) => i));
}

/** The two parts of {@link carve}. */
export interface CarvedSplits {
  /** The examples kept for training. */
  train: Source;
  /** The examples carved out for validation. */
  val: Source;
}

/**
 * Splits `source` into train and validation parts at random, as the papers carve a validation
 * split out of a training set: `fraction` of the examples (rounded down, as int(n·(1−f)) keeps
 * the rest for training) go to validation; `seed` fixes the draw.
 */
export function carve(source: Source, fraction: number, seed: number): CarvedSplits {
  const order = permutation(source.size, uniformGenerator(seed));
  const trainSize = Math.floor(source.size * (1 - fraction));
  return { train: subset(source, order.subarray(0, trainSize)), val: subset(source, order.subarray(trainSize)) };
}

/**
 * Train and validation sources from a training set: `fraction` of it carved out (see
 * {@link carve}), or, with fraction 0, the whole training set and the test split for
 * validation (as LRA validates on test where it has no validation split).
 */
export function splitValidation(train: Source, fraction: number, seed: number, test: Source): Pick<Task, 'train' | 'val' | 'valFrom'> {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`valFraction: expected a number in [0, 1), got ${fraction}`);
  if (fraction === 0) return { train, val: test, valFrom: 'test' };
  const parts = carve(train, fraction, seed);
  if (parts.val.size === 0 || parts.train.size === 0) throw new RangeError(`valFraction: ${fraction} of ${train.size} training examples leaves an empty split`);
  return { ...parts, valFrom: 'train' };
}

// The positions that carry targets in a 'position' task (a contiguous range at the end).
function targetRange(task: Dataset): [number, number] {
  let first = task.L;
  for (let i = 0; i < task.train.size; i++) {
    const f = task.train.y.subarray(i * task.L, (i + 1) * task.L).findIndex((v) => v >= 0);
    if (f >= 0) first = Math.min(first, f);
  }
  return [first, task.L];
}

/** A Task from a built-in Dataset: its validation split is the test split (as before). */
export function datasetTask(task: Dataset): Task {
  const test = memorySource(task, task.test);
  return {
    ...(task.targets === 'position' ? { targetRange: targetRange(task) } : {}),
    name: task.name,
    L: task.L,
    inputs: task.inputs,
    dInput: task.dInput,
    nClasses: task.nClasses,
    targets: task.targets,
    pairs: false,
    train: memorySource(task, task.train),
    val: test,
    valFrom: 'test',
    test,
  };
}

/**
 * Packs variable-length token rows into a batch: ids padded with 0 to the longest row.
 * Pair tasks pass both documents of each example: `docs` has 2n rows (first documents, then
 * second documents), `labels` n entries.
 */
export function packTokens(docs: ArrayLike<number>[], labels: Int32Array): Rows {
  const L = Math.max(1, ...docs.map((d) => d.length));
  const x = new Float32Array(docs.length * L);
  const lengths = new Int32Array(docs.length);
  docs.forEach((d, i) => {
    x.set(d, i * L);
    lengths[i] = d.length;
  });
  return { x, L, y: labels, lengths };
}

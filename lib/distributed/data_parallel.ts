// Data-parallel training (docs/MATH.md §4.5): every rank holds the same model, trains on its
// own share of each batch, and averages the gradients with an all-reduce before the optimizer
// step (the DistributedDataParallel / Horovod pattern).
import { Module } from '../nn/module';
import { AdamW } from '../optim/adamw';
import { Tensor, tensor, zeros } from '../tensor';
import { checkInteger, checkNumber, checkOptions, describe, typeError } from '../validate';
import { allReduceScaled, broadcast, broadcastObject, DEFAULT_BUCKET_BYTES, init } from './collectives';

/** Options of {@link DataParallel}. */
export interface DataParallelOptions {
  /** Gradients smaller than this travel packed into buffers of at most this many bytes, one all-reduce per buffer (default 25 MiB). */
  bucketBytes?: number;
  /** The rank whose parameters and buffers every rank starts from (default 0). */
  root?: number;
}

/** Options of {@link DataParallel.synchronize} and {@link DataParallel.backward}. */
export interface SynchronizeOptions {
  /**
   * This rank's share of the global batch: the number of samples (or loss terms) its loss is
   * the mean over. Gradients are averaged with these weights, so uneven shards give the
   * gradient of the global batch's mean loss. Default: 1 on every rank (a plain mean).
   */
  weight?: number;
}

// Parameter and buffer names with their shapes, for comparing ranks.
function layoutOf(module: Module): string[] {
  return [...module.namedParameters(), ...module.namedBuffers()].map(([n, t]) => `${n}[${t.shape.join(',')}]`);
}

/**
 * Wraps a module for data-parallel training over the ranks of lc.distributed (initialising it
 * if needed): the constructor checks that every rank built the same parameters and buffers
 * and copies the root rank's values to all; after each backward pass, synchronize() replaces
 * every gradient with the weighted mean over the ranks, so the optimizer takes the same step
 * everywhere. Gradients travel in buckets (flattened buffers of at most bucketBytes), one
 * all-reduce each. In a world of one process it changes nothing.
 *
 * Per-rank batch statistics (BatchNorm) are not synchronised: as in PyTorch's
 * DistributedDataParallel, each rank normalises its own share.
 */
export class DataParallel<M extends Module = Module> {
  /** The wrapped module (call it as usual). */
  readonly module: M;
  /** The bucket size in bytes. */
  readonly bucketBytes: number;
  /** Seconds spent in synchronize() so far, waiting for the other ranks included: the communication share of a run's time. */
  synchronizeSeconds = 0;

  /**
   * @throws TypeError for a non-module or bad options; RangeError for a root that is not a
   *   rank; Error when the ranks' modules differ (naming the first difference), or when
   *   lc.distributed cannot start.
   */
  constructor(module: M, options?: DataParallelOptions) {
    if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
    const opts = checkOptions<DataParallelOptions>(options, 'DataParallel options', ['bucketBytes', 'root']);
    this.bucketBytes = opts.bucketBytes === undefined ? DEFAULT_BUCKET_BYTES : checkInteger(opts.bucketBytes, 'DataParallel options.bucketBytes', { min: 4 });
    const world = init();
    const root = checkInteger(opts.root ?? 0, 'DataParallel options.root', { min: 0, max: world.size - 1 });
    this.module = module;
    if (world.size > 1) {
      checkSameLayout(module, root);
      this.broadcastParameters(root);
    }
  }

  /** Copies rank `root`'s parameters and buffers to every rank (e.g. after it loaded a checkpoint). */
  broadcastParameters(root = 0): void {
    broadcast([...this.module.parameters(), ...this.module.namedBuffers().map(([, t]) => t)], root, { bucketBytes: this.bucketBytes });
  }

  /**
   * Copies rank `root`'s buffers to every rank: batch norm's running statistics, which each
   * rank updates from its own share, before an evaluation that should score root's model.
   */
  broadcastBuffers(root = 0): void {
    broadcast(this.module.namedBuffers().map(([, t]) => t), root, { bucketBytes: this.bucketBytes });
  }

  /**
   * Copies rank `root`'s optimizer state (step count and moments) to every rank's `optimizer`
   * of this module: after root alone loaded a checkpoint. The optimizers then stay equal.
   */
  broadcastOptimizer(optimizer: AdamW, root = 0): void {
    if (!(optimizer instanceof AdamW) || optimizer.module !== this.module) throw typeError('optimizer', "an optim.AdamW of this DataParallel's module", describe(optimizer));
    const world = init();
    if (world.size === 1) return;
    const own = optimizer.stateDict();
    const { step, names } = broadcastObject({ step: own.step, names: Object.keys(own.m) }, root);
    const params = new Map(this.module.namedParameters());
    const made: Tensor[] = [];
    const moment = (have: Tensor | undefined, name: string) => {
      if (have) return have;
      const p = params.get(name);
      if (!p) throw new Error(`DataParallel.broadcastOptimizer: rank ${root}'s optimizer has moments of '${name}', not a parameter here`);
      const t = zeros(p.shape, { device: p.device });
      made.push(t);
      return t;
    };
    const m = Object.fromEntries(names.map((n) => [n, moment(own.m[n], n)]));
    const v = Object.fromEntries(names.map((n) => [n, moment(own.v[n], n)]));
    try {
      broadcast([...names.map((n) => m[n]), ...names.map((n) => v[n])], root, { bucketBytes: this.bucketBytes });
      if (world.rank !== root) optimizer.loadStateDict({ step, m, v });
    } finally {
      for (const t of made) t.dispose();
    }
  }

  /**
   * Replaces each parameter's gradient with the weighted mean over the ranks of that gradient:
   * Σ_r weight_r · grad_r / Σ_r weight_r. A parameter with a gradient on some rank but not on
   * this one counts zeros here; one with a gradient on no rank keeps none. Every rank must call
   * it, once per optimizer step, after its backward passes.
   * @throws TypeError for a bad option; RangeError for a negative weight or weights summing
   *   to 0 while gradients exist.
   */
  synchronize(options?: SynchronizeOptions): void {
    const opts = checkOptions<SynchronizeOptions>(options, 'synchronize options', ['weight']);
    const weight = checkNumber(opts.weight ?? 1, 'synchronize options.weight', { min: 0 });
    const started = process.hrtime.bigint();
    try {
      this.averageGradients(weight);
    } finally {
      this.synchronizeSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
  }

  private averageGradients(weight: number): void {
    const params = this.module.parameters();
    // One small all-reduce gives the total weight and which gradients exist on some rank.
    const meta = tensor(Float32Array.from([weight, ...params.map((p) => (p.grad ? 1 : 0))]), [params.length + 1]);
    let counts: Float32Array;
    try {
      allReduceScaled([meta], 1, 1, this.bucketBytes);
      counts = meta.toFloat32Array();
    } finally {
      meta.dispose();
    }
    const grads: Tensor[] = [];
    params.forEach((p, i) => {
      if (counts[i + 1] === 0) return;
      p.grad ??= zeros(p.shape, { device: p.device });
      grads.push(p.grad);
    });
    if (grads.length === 0) return;
    const total = counts[0];
    if (!(total > 0)) throw new RangeError(`synchronize: expected the ranks' weights to sum to more than 0, got ${total}`);
    allReduceScaled(grads, weight / total, 1, this.bucketBytes);
  }

  /** loss.backward(), then synchronize(options). */
  backward(loss: Tensor, options?: SynchronizeOptions): void {
    loss.backward();
    this.synchronize(options);
  }
}

// Every rank's parameter and buffer names and shapes must be the root's; when they are not,
// every rank throws (none is left waiting in the broadcast that would follow).
function checkSameLayout(module: Module, root: number): void {
  const mine = layoutOf(module);
  const theirs = broadcastObject(mine, root);
  const at = mine.findIndex((entry, i) => entry !== theirs[i]);
  const i = at >= 0 ? at : mine.length !== theirs.length ? Math.min(mine.length, theirs.length) : -1;
  const difference = i >= 0 ? `${mine[i] ?? 'nothing'} here, ${theirs[i] ?? 'nothing'} there` : '';
  const differing = tensor([difference ? 1 : 0], [1]);
  let count: number;
  try {
    allReduceScaled([differing], 1, 1, 4);
    count = differing.toFloat32Array()[0];
  } finally {
    differing.dispose();
  }
  if (difference) throw new Error(`DataParallel: this rank's module differs from rank ${root}'s: ${difference}`);
  // The ranks that know the difference say it first: their error aborts every rank (see init()),
  // this one's too if it came first. Wait for that, briefly, before failing here.
  if (count > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  if (count > 0) throw new Error(`DataParallel: the modules of ${count} rank${count > 1 ? 's' : ''} differ from rank ${root}'s (${count > 1 ? 'their errors name' : 'its error names'} the difference)`);
}

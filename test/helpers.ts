// Shared test helpers: seeded random data, error measures, the gradient check, bad-input and
// memory checks. The CUDA-vs-CPU side lives in devices.ts.
import * as v8 from 'v8';
import * as vm from 'vm';
import * as lc from '../lib';

// jest runs without --expose-gc; the flag can still be set at run time, and a new context then
// has `gc` (v8.setFlagsFromString's documented use).
v8.setFlagsFromString('--expose-gc');
export const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * lc.memory() after a full garbage collection. lc.memory() counts the whole process, and a
 * tensor an earlier test left undisposed leaves the counts whenever the GC collects it: a
 * measurement that cannot be repeated (see memoryAround) starts from here. A full collection
 * takes ~0.1 s in a jest worker.
 */
export function settledMemory(): ReturnType<typeof lc.memory> {
  collectGarbage();
  return lc.memory();
}

/**
 * lc.memory() before and after `run`, from a window in which the garbage collector freed no
 * buffer: a tensor that an earlier test left undisposed, collected inside the window, would
 * lower the counts (lc.memory() counts the whole process). When lc.memory()'s `collected`
 * moved, the window is run again after a full collection. Should the GC free buffers in that
 * second window too, `run` itself left them undisposed, and this throws.
 */
export function memoryAround(run: () => void): { before: ReturnType<typeof lc.memory>; after: ReturnType<typeof lc.memory> } {
  const collected = (m: ReturnType<typeof lc.memory>) => m.cpu.collected + m.cuda.collected;
  let before = lc.memory();
  run();
  let after = lc.memory();
  if (collected(after) === collected(before)) return { before, after };
  before = settledMemory();
  run();
  after = lc.memory();
  if (collected(after) !== collected(before)) {
    throw new Error(`the garbage collector freed ${collected(after) - collected(before)} undisposed buffers made by the measured code (after a full collection before it)`);
  }
  return { before, after };
}

/**
 * What is live on each device: tensors, bytes and allocations (not the caches, whose freed
 * blocks, plans and per-thread work buffers come and go within their limit).
 */
export function liveMemory(m = lc.memory()): Record<lc.Device, { tensors: number; bytes: number; allocations: number }> {
  const live = ({ tensors, bytes, allocations }: lc.DeviceMemory) => ({ tensors, bytes, allocations });
  return { cpu: live(m.cpu), cuda: live(m.cuda) };
}
/** Seeded uniform values in [-1, 1) as float64 (exactly representable in float32). */
export function randomArray(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.fround((s / 4294967296) * 2 - 1);
  }
  return out;
}

/** max |a - b| / max |b|: the relative error used throughout the tests. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  const err = relError(actual, expected);
  if (!(err < tol)) throw new Error(`relative error ${err.toExponential(3)} exceeds ${tol}`);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function t(data: Float64Array, shape: number[], opts: lc.TensorOptions = {}): lc.Tensor {
  return lc.tensor(Float32Array.from(data), shape, opts);
}

/**
 * The one finite difference of the tests: (lossAt(h) − lossAt(−h)) / 2h, the derivative at 0
 * of a loss along one line, with an h² truncation error.
 */
export function centralDifference(lossAt: (step: number) => number, h: number): number {
  return (lossAt(h) - lossAt(-h)) / (2 * h);
}

/**
 * Directional derivatives by the finite difference: for each input `which`, the directional derivative
 * of a scalar loss along a direction by autograd (grad · d) and by central differences
 * (loss(x + h d) − loss(x − h d)) / 2h, where lossWith(which, values) evaluates the loss with
 * that input replaced. With `richardson`, two steps h and h/2 are combined as (4 D(h/2) − D(h)) / 3,
 * which cancels the central difference's h² error (for inputs the loss is a polynomial in).
 */
export function directionalDerivatives(
  values: ArrayLike<number>[],
  grads: (ArrayLike<number> | null)[],
  lossWith: (which: number, values: Float64Array) => number,
  which: number[],
  { h, direction, richardson = () => false }: {
    h: (which: number) => number;
    direction: (which: number) => Float64Array;
    richardson?: (which: number) => boolean;
  },
): { which: number; direction: Float64Array; analytic: number; numeric: number }[] {
  return which.map((i, k) => {
    const d = direction(i);
    const base = values[i];
    const at = (step: number) => lossWith(i, Float64Array.from(base, (v, j) => v + step * d[j]));
    const central = (step: number) => centralDifference(at, step);
    const numeric = richardson(i) ? (4 * central(h(i) / 2) - central(h(i))) / 3 : central(h(i));
    const g = grads[k];
    return { which: i, direction: d, analytic: g ? dot(g, d) : 0, numeric };
  });
}

export interface GradCheckOptions {
  /** The inputs to check (default: all). */
  which?: number[];
  /** Weights of the loss sum(w · f(inputs)) (default: random from seed + 7). */
  w?: Float64Array;
  /** The finite-difference step per input (default 1e-2). */
  h?: number | ((which: number) => number);
  /** The tolerance per input (default 2e-3). */
  tol?: number | ((which: number) => number);
  /** Whether |numeric − analytic| is measured against max(1, |analytic|) (default) or max(1, |numeric|). */
  relativeTo?: 'analytic' | 'numeric';
  /** Random directions per input (default 2). */
  directions?: number;
  /** The d-th direction for an input (default: random from seed + 31 · which + d). */
  direction?: (which: number, d: number, length: number) => Float64Array;
  /** Combine two steps to cancel the h² error, per input (see directionalDerivatives). */
  richardson?: (which: number) => boolean;
  seed?: number;
}

/**
 * Checks the gradients that backward() gives for the loss sum(w · f(inputs)) against central
 * finite differences of f itself, run in float32 outside the graph, along random directions:
 * |numeric − analytic| < tol · max(1, |scale|). Returns each checked input's gradient and shape.
 */
export function checkGradients(
  f: (inputs: lc.Tensor[]) => lc.Tensor,
  params: Float64Array[],
  shapes: number[][],
  options: GradCheckOptions = {},
): { grad: Float32Array; shape: readonly number[] }[] {
  const { which = params.map((_, i) => i), h = 1e-2, tol = 2e-3, relativeTo = 'analytic', directions = 2, seed = 1, richardson } = options;
  const make = (ps: Float64Array[], requiresGrad: boolean) => ps.map((p, i) => t(p, shapes[i], { requiresGrad: requiresGrad && which.includes(i) }));
  const w = options.w ?? lc.tidy(() => lc.noGrad(() => randomArray(f(make(params, false)).size, seed + 7)));
  const grads = lc.tidy(() => {
    const ts = make(params, true);
    const y = f(ts);
    y.backward(t(w, [...y.shape]));
    const out = which.map((i) => ({ grad: ts[i].grad!.toFloat32Array(), shape: ts[i].grad!.shape }));
    which.forEach((i) => ts[i].grad!.dispose());
    return out;
  });
  const loss = (i: number, values: Float64Array) =>
    lc.tidy(() => lc.noGrad(() => dot(f(make(params.map((p, j) => (j === i ? values : p)), false)).toFloat32Array(), w)));
  const per = (v: number | ((which: number) => number)) => (typeof v === 'number' ? () => v : v);
  const tolOf = per(tol);
  for (let d = 0; d < directions; d++) {
    const direction = (i: number) => (options.direction ?? ((j, e, n) => randomArray(n, seed + 31 * j + e)))(i, d, params[i].length);
    const results = directionalDerivatives(params, grads.map((g) => g.grad), loss, which, { h: per(h), direction, richardson });
    for (const { which: i, analytic, numeric } of results) {
      const err = Math.abs(numeric - analytic) / Math.max(1, Math.abs(relativeTo === 'analytic' ? analytic : numeric));
      if (!(err < tolOf(i))) {
        throw new Error(`input ${i} direction ${d}: finite difference ${numeric} vs backward ${analytic} (relative error ${err.toExponential(3)}, tolerance ${tolOf(i)})`);
      }
    }
  }
  return grads;
}

/** One bad-input case: its name, the call, the error class it must throw and the message. */
export type BadInputCase = [name: string, call: () => unknown, type: ErrorConstructor, message: RegExp];

export interface BadInputOptions {
  /**
   * Run the call inside lc.tidy, so tensors the case builds for its arguments are freed
   * (default true). With false the call itself must leave no tensor behind.
   */
  tidy?: boolean;
  /**
   * Compare the error's class by name rather than with instanceof (default false): errors from
   * the native addon come from another realm than jest's Error.
   */
  byName?: boolean;
}

/**
 * `call` throws an error of class `type` whose message matches `message`, and the CPU's live
 * tensor count and bytes are the same afterwards as before.
 */
export function expectBadInput(
  call: () => unknown,
  type: ErrorConstructor,
  message: RegExp,
  { tidy = true, byName = false }: BadInputOptions = {},
): void {
  let thrown: unknown;
  const attempt = () => {
    thrown = undefined;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
  };
  const { before, after } = memoryAround(() => (tidy ? lc.tidy(attempt) : attempt()));
  if (byName) expect((thrown as Error).constructor.name).toBe(type.name);
  else expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
  expect(after.cpu.tensors).toBe(before.cpu.tensors);
  expect(after.cpu.bytes).toBe(before.cpu.bytes);
}

/** One jest test per case, each an expectBadInput. */
export function testBadInput(cases: BadInputCase[], options: BadInputOptions = {}): void {
  for (const [name, call, type, message] of cases) test(name, () => expectBadInput(call, type, message, options));
}

/**
 * A stand-in for a live tensor on `device` (no storage): enough for the argument checks, so
 * mixed-device errors can be tested without a GPU.
 */
export function fakeTensor(shape: number[], device: lc.Device = 'cuda'): lc.Tensor {
  return Object.create(lc.Tensor.prototype, {
    shape: { value: shape },
    device: { value: device },
    isDisposed: { value: false },
    requiresGrad: { value: false },
  }) as lc.Tensor;
}

type Memory = ReturnType<typeof lc.memory>['cpu'];

/** `run(2)` and `run(1)` (run sets the thread count) give equal results; the count is restored. */
export function expectSameAcrossThreads(run: (threads: number) => unknown): void {
  const before = lc.getNumThreads();
  try {
    expect(run(2)).toEqual(run(1));
  } finally {
    lc.setNumThreads(before);
  }
}

/**
 * After one warm-up `step`, `times` more leave the live tensor count and bytes on `device` as
 * they were. Returns the two readings for further checks.
 */
export function expectMemoryFlat(
  step: () => void,
  device: lc.Device,
  times: number,
): { before: Memory; after: Memory } {
  step();
  const around = memoryAround(() => {
    for (let i = 0; i < times; i++) step();
  });
  const [before, after] = [around.before[device], around.after[device]];
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
  return { before, after };
}

/** A disposed tensor. */
export function disposedTensor(shape: number[]): lc.Tensor {
  const x = lc.zeros(shape);
  x.dispose();
  return x;
}

/**
 * Milliseconds of one run of `run` after a warm-up run, queued CUDA work included; printed with
 * `label`. For the record only (the GPU bundle's logs): tests never assert on time.
 */
export function timeRun(label: string, run: () => void): number {
  run();
  lc.synchronize();
  const start = performance.now();
  run();
  lc.synchronize();
  const ms = performance.now() - start;
  process.stdout.write(`${label}: ${ms.toFixed(2)} ms\n`);
  return ms;
}

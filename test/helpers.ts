// Shared test helpers: seeded random data, error measures and finite differences.
import * as lc from '../lib';

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
 * Central finite difference of loss(params) = sum(w * f(params)) along `direction` for one
 * parameter, evaluated with the op itself in float32 (outside the graph).
 */
export function directionalDerivative(
  f: (params: Float64Array[]) => lc.Tensor,
  params: Float64Array[],
  which: number,
  direction: Float64Array,
  w: ArrayLike<number>,
  h: number,
): number {
  const evalAt = (sign: number) =>
    lc.tidy(() =>
      lc.noGrad(() => {
        const shifted = params.map((p, i) => (i === which ? p.map((v, j) => v + sign * h * direction[j]) : p));
        return dot(f(shifted).toFloat32Array(), w);
      }),
    );
  return (evalAt(1) - evalAt(-1)) / (2 * h);
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
  const before = lc.memory().cpu;
  let thrown: unknown;
  const attempt = () => {
    try {
      call();
    } catch (e) {
      thrown = e;
    }
  };
  if (tidy) lc.tidy(attempt);
  else attempt();
  if (byName) expect((thrown as Error).constructor.name).toBe(type.name);
  else expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
  const after = lc.memory().cpu;
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
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

/**
 * `describe` when CUDA is available, else `describe.skip` after one line on stdout, visible in
 * the test output, saying why (`<what> CUDA tests skipped: <reason>`).
 */
export function cudaSuite(what?: string): jest.Describe {
  const cuda = lc.backendInfo().cuda;
  if (cuda.available) return describe;
  process.stdout.write(`${what ? what + ' ' : ''}CUDA tests skipped: ${cuda.reason}\n`);
  return describe.skip;
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
  const before = lc.memory()[device];
  for (let i = 0; i < times; i++) step();
  const after = lc.memory()[device];
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
  return { before, after };
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

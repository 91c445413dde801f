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

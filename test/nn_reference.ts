// Float64 references of the nn ops (activations, glu, layerNorm, dropout-free ops, losses)
// and a gradient check against central finite differences, shared by the nn op tests.
import * as lc from '../lib';
import { directionalDerivative, dot, randomArray, t } from './helpers';

/** erf by its Maclaurin series (|x| < 3) or continued fraction of erfc (else): ~1e-13. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const geluGrad = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The sizes before, along and after `axis` of `shape`. */
export function split(shape: number[], axis: number): [number, number, number] {
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, axis)), shape[axis], prod(shape.slice(axis + 1))];
}

export function gluReference(x: Float64Array, shape: number[], axis: number, dy: Float64Array) {
  const [outer, n, inner] = split(shape, axis);
  const half = n / 2;
  const y = new Float64Array(outer * half * inner);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < half; j++)
      for (let i = 0; i < inner; i++) {
        const ia = (o * n + j) * inner + i;
        const ib = (o * n + j + half) * inner + i;
        const io = (o * half + j) * inner + i;
        const s = sigmoid(x[ib]);
        y[io] = x[ia] * s;
        dx[ia] = dy[io] * s;
        dx[ib] = dy[io] * x[ia] * s * (1 - s);
      }
  return { y, dx };
}

export function layerNormReference(x: Float64Array, shape: number[], axis: number, w: Float64Array | null, b: Float64Array | null, eps: number, dy: Float64Array) {
  const [outer, n, inner] = split(shape, axis);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += x[at(j)] / n;
      let v = 0;
      for (let j = 0; j < n; j++) v += (x[at(j)] - mean) ** 2 / n;
      const rstd = 1 / Math.sqrt(v + eps);
      let mg = 0;
      let mgx = 0;
      for (let j = 0; j < n; j++) {
        const xhat = (x[at(j)] - mean) * rstd;
        y[at(j)] = xhat * (w ? w[j] : 1) + (b ? b[j] : 0);
        const g = dy[at(j)] * (w ? w[j] : 1);
        mg += g / n;
        mgx += (g * xhat) / n;
        dw[j] += dy[at(j)] * xhat;
        db[j] += dy[at(j)];
      }
      for (let j = 0; j < n; j++) {
        const xhat = (x[at(j)] - mean) * rstd;
        dx[at(j)] = rstd * (dy[at(j)] * (w ? w[j] : 1) - mg - xhat * mgx);
      }
    }
  return { y, dx, dw, db };
}

/**
 * Checks the gradients of sum(w * f(params)) from backward against central finite differences
 * of f itself along two random directions, for each parameter index in `which`.
 */
export function checkGradients(
  f: (params: lc.Tensor[]) => lc.Tensor,
  params: Float64Array[],
  shapes: number[][],
  which: number[],
  { h = 1e-2, tol = 2e-3, seed = 1 } = {},
): void {
  const make = (ps: Float64Array[], requiresGrad: boolean) => ps.map((p, i) => t(p, shapes[i], { requiresGrad: requiresGrad && which.includes(i) }));
  const w = lc.tidy(() => lc.noGrad(() => randomArray(f(make(params, false)).size, seed + 7)));
  const grads = lc.tidy(() => {
    const ts = make(params, true);
    const y = f(ts);
    y.backward(t(w, [...y.shape]));
    const out = which.map((i) => ts[i].grad!.toFloat32Array());
    which.forEach((i) => ts[i].grad!.dispose());
    return out;
  });
  which.forEach((p, k) => {
    for (let d = 0; d < 2; d++) {
      const direction = randomArray(params[p].length, seed + 31 * p + d);
      const fd = directionalDerivative((ps) => f(make(ps, false)), params, p, direction, w, h);
      const analytic = dot(grads[k], direction);
      const err = Math.abs(fd - analytic);
      if (!(err <= tol * Math.max(1, Math.abs(analytic)))) {
        throw new Error(`param ${p} direction ${d}: finite difference ${fd} vs backward ${analytic}`);
      }
    }
  });
}

/** A disposed tensor. */
export function disposedTensor(shape: number[]): lc.Tensor {
  const x = lc.zeros(shape);
  x.dispose();
  return x;
}

// Shared checks for nn modules: parameter gradients against central finite differences, and
// a float64 GELU for the references.
import * as lc from '../lib';
import { dot, randomArray } from './helpers';

/** erf(x) to ~1e-15: its Maclaurin series for |x| < 2.5, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a, total = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      total += term / (2 * n + 1);
    }
    return Math.sign(x) * total * (2 / Math.sqrt(Math.PI));
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated from the tail.
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
}

export const gelu64 = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));

/** Values of a tensor as float64. */
export const values = (t: lc.Tensor): Float64Array => Float64Array.from(t.toFloat32Array());

/**
 * For every parameter of `module`: the gradient that backward() gives for the loss
 * sum(w · forward()) along a random direction d, against the central difference
 * (loss(θ + h d) − loss(θ − h d)) / 2h of the module itself in float32 (loss summed in float64).
 * Returns the worst relative error |fd − analytic| / max(|analytic|, floor · |g|·|d|) per name.
 */
export function parameterGradErrors(module: lc.nn.Module, forward: () => lc.Tensor, seed: number, h = 1e-2): Record<string, number> {
  const params = module.namedParameters();
  params.forEach(([, p]) => { p.grad?.dispose(); p.grad = null; });
  const w = lc.tidy(() => lc.noGrad(() => randomArray(forward().size, seed)));
  const loss = () => lc.tidy(() => lc.noGrad(() => dot(forward().toFloat32Array(), w)));
  lc.tidy(() => {
    const y = forward();
    lc.sum(lc.mul(y, lc.tensor(Float32Array.from(w), y.shape, { device: y.device }))).backward();
  });
  const errors: Record<string, number> = {};
  params.forEach(([name, p], i) => {
    const theta = values(p);
    const d = randomArray(p.size, seed + 101 * (i + 1));
    const grad = p.grad ? values(p.grad) : new Float64Array(p.size);
    const analytic = dot(grad, d);
    const at = (s: number) => {
      module.loadStateDict({ [name]: { data: Float32Array.from(theta, (v, j) => v + s * h * d[j]), shape: p.shape } }, { strict: false });
      return loss();
    };
    const fd = (at(1) - at(-1)) / (2 * h);
    module.loadStateDict({ [name]: { data: Float32Array.from(theta), shape: p.shape } }, { strict: false });
    const norm = Math.sqrt(dot(grad, grad) * dot(d, d));
    errors[name] = Math.abs(fd - analytic) / Math.max(Math.abs(analytic), 1e-2 * norm, 1e-6);
    p.grad?.dispose();
    p.grad = null;
  });
  return errors;
}

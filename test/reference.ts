// Float64 math shared by the op and layer tests' references: erf (for GELU), sigmoid, and the
// split of a shape around an axis.

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
/** log(1 + e^x) in float64, exact for large x and for results far below 1. */
export const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** The sizes before, along and after `axis` of `shape`. */
export function split(shape: number[], axis: number): [number, number, number] {
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return [prod(shape.slice(0, axis)), shape[axis], prod(shape.slice(axis + 1))];
}

// TEMPORARY stand-ins for lc.linear / lc.gelu / lc.glu / lc.dropout until those ops land on main.
import { addScalar, div, exp, mul, neg, scale, add } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { narrow, reshape, transpose } from '../ops/shape';
import { Tensor, ones, tensor } from '../tensor';

function sigmoid(x: Tensor): Tensor {
  const o = ones([1]);
  return div(o, addScalar(exp(neg(x)), 1));
}
export function gelu(x: Tensor): Tensor {
  return mul(x, sigmoid(scale(x, 1.702)));
}
export function glu(x: Tensor, axis = -1): Tensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const n = x.shape[ax] / 2;
  return mul(narrow(x, ax, 0, n), sigmoid(narrow(x, ax, n, n)));
}
export function dropout(x: Tensor, p: number, options: { training?: boolean; seed?: number } = {}): Tensor {
  if (p === 0 || options.training === false) return x;
  const mask = new Float32Array(x.size).map(() => (Math.random() < p ? 0 : 1 / (1 - p)));
  return mul(x, tensor(mask, x.shape, { device: x.device }));
}
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: { axis?: number } = {}): Tensor {
  const rank = x.shape.length;
  const ax = (options.axis ?? -1) < 0 ? (options.axis ?? -1) + rank : options.axis!;
  const xl = ax === rank - 1 ? x : transpose(x, ax, rank - 1);
  const [O, I] = weight.shape;
  let y = sum(mul(reshape(xl, [...xl.shape.slice(0, -1), 1, I]), weight), -1);
  if (bias) y = add(y, reshape(bias, [O]));
  return ax === rank - 1 ? y : transpose(y, ax, rank - 1);
}

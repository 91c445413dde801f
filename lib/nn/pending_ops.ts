// TEMPORARY stand-in for lc.linear until that op lands on main.
import { add, mul } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { reshape, transpose } from '../ops/shape';
import { Tensor } from '../tensor';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: { axis?: number } = {}): Tensor {
  const rank = x.shape.length;
  const ax = (options.axis ?? -1) < 0 ? (options.axis ?? -1) + rank : options.axis!;
  const xl = ax === rank - 1 ? x : transpose(x, ax, rank - 1);
  const [O, I] = weight.shape;
  let y = sum(mul(reshape(xl, [...xl.shape.slice(0, -1), 1, I]), weight), -1);
  if (bias) y = add(y, reshape(bias, [O]));
  return ax === rank - 1 ? y : transpose(y, ax, rank - 1);
}

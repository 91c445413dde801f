// Reversal along one axis (docs/MATH.md §2.13), composed from differentiable ops: the axis is
// moved to the front and its rows gathered in reverse order by the embedding lookup (whose
// backward is the reverse gather), so no kernel of its own is needed.
import { Tensor, tensor, tidy } from '../tensor';
import { checkAxis, checkTensor } from '../validate';
import { embedding } from './nn';
import { permute, reshape } from './shape';

/**
 * x reversed along `axis`: out[..., i, ...] = x[..., n − 1 − i, ...]. Differentiable in x.
 * @throws TypeError for a non-tensor or disposed x; RangeError for an axis out of range.
 */
export function flip(x: Tensor, axis: number): Tensor {
  checkTensor(x, 'x');
  const ax = checkAxis(axis, x.shape.length, 'axis');
  const n = x.shape[ax];
  if (n <= 1 || x.size === 0) return tidy(() => reshape(x, x.shape)); // nothing to reverse (a new handle, as every op returns)
  const order = [ax, ...x.shape.map((_, i) => i).filter((i) => i !== ax)];
  const inverse = order.map((_, i) => order.indexOf(i));
  return tidy(() => {
    const front = ax === 0 ? x : permute(x, order);
    const rows = reshape(front, [n, x.size / n]);
    const reversed = Float32Array.from({ length: n }, (_, i) => n - 1 - i);
    const gathered = reshape(embedding(tensor(reversed, [n], { device: x.device }), rows), front.shape);
    return ax === 0 ? gathered : permute(gathered, inverse);
  });
}

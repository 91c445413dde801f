// Reductions: sum and mean over some or all axes, with their backward passes (the gradient is
// broadcast back by a stride-0 copy). Kernels: native sumTo() and stridedCopy().
import { record } from '../autograd';
import { native } from '../native';
import { numelOf, Tensor, wrap } from '../tensor';
import { checkAxis, checkBoolean, checkTensor, describe, rangeError, typeError } from '../validate';
import { contiguousStrides, filled, sumTo, UnaryOp } from './primitives';

function reduce(name: string, x: Tensor, axes: unknown, keepDims: unknown, isMean: boolean): Tensor {
  checkTensor(x, 'x');
  checkBoolean(keepDims, 'keepDims');
  const rank = x.shape.length;
  let reduced: number[];
  if (axes === undefined) reduced = x.shape.map((_, i) => i);
  else if (typeof axes === 'number') reduced = [checkAxis(axes, rank, 'axes')];
  else if (Array.isArray(axes)) reduced = axes.map((a, i) => checkAxis(a, rank, `axes[${i}]`));
  else throw typeError('axes', 'an integer or an array of integers', describe(axes));
  if (new Set(reduced).size !== reduced.length) throw rangeError('axes', 'distinct axes', `[${(axes as number[]).join(',')}]`);

  const kept = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const shape = keepDims ? kept : x.shape.filter((_, i) => !reduced.includes(i));
  const count = numelOf(reduced.map((i) => x.shape[i]));
  const scale = isMean ? 1 / count : 1;
  const out = sumTo(x.storage, x.shape, kept, scale, shape);
  return record(out, name, [x], (g) => {
    // Broadcast g back over the reduced axes: stride 0 along them.
    const strides = contiguousStrides(kept).map((s, i) => (reduced.includes(i) ? 0 : s));
    const gx = filled(x.device, x.size, false, (out) => {
      native.stridedCopy(g.storage, out, [...x.shape], strides, 0, contiguousStrides(x.shape), 0);
      if (isMean) native.unary(UnaryOp.affine, out, out, x.size, scale, 0);
    });
    return [wrap(gx, x.shape)];
  });
}

/**
 * The sum of x over `axes` (an axis or a list of distinct axes, negative from the end; all
 * when omitted). The reduced axes are dropped, or kept with size 1 when keepDims is true;
 * reducing everything gives a 0-d tensor (shape []). Sums accumulate in double precision
 * in a fixed order (deterministic on both backends).
 * @throws TypeError for a non-tensor, non-integer axes or a non-boolean keepDims; RangeError
 *   for an axis out of range or a repeated axis.
 */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduce('sum', x, axes, keepDims, false);
}

/** The mean of x over `axes` (NaN over an empty axis); shapes and errors as {@link sum}. */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return reduce('mean', x, axes, keepDims, true);
}

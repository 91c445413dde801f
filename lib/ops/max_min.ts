// max and min (values and indices) and argmax and argmin along one axis or over the whole
// tensor (native/max_min.h; docs/MATH.md §2.6). The values' gradient goes to the position each
// came from.
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkAxis, checkBoolean, checkTensor, fmtShape, rangeError } from '../validate';
import { axisView } from './primitives';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    maxMinForward(args: { x: Storage; outer: number; n: number; inner: number; isMax: boolean; wantValues: boolean }): { values: Maybe<Storage>; indices: Storage };
    maxMinBackward(args: { indices: Storage; dy: Storage; outer: number; n: number; inner: number }): { dx: Storage };
  }
}

/** What {@link max} and {@link min} return. */
export interface MaxMinResult {
  /** The extreme values: differentiable (the gradient goes to the position each came from). */
  values: Tensor;
  /** Their positions along the axis (along the flattened tensor when no axis was given), as float32 integers; no gradient. */
  indices: Tensor;
}

// Indices are float32 values: exact integers up to 2^24.
const MAX_AXIS = 2 ** 24;

function search(name: string, x: Tensor, axis: number | undefined, keepDims: unknown, isMax: boolean, wantValues: boolean): { values: Tensor | null; indices: Tensor } {
  checkTensor(x, 'x');
  checkBoolean(keepDims, 'keepDims');
  const whole = axis === undefined;
  const ax = whole ? 0 : checkAxis(axis, x.shape.length, 'axis');
  const view = whole ? { outer: 1, n: x.size, inner: 1 } : axisView(x.shape, ax);
  if (view.n === 0) throw rangeError('x', `a non-empty ${whole ? 'tensor' : `axis ${axis}`} (${name} of nothing is undefined)`, `shape ${fmtShape(x.shape)}`);
  if (view.n > MAX_AXIS) throw rangeError('x', `at most 2^24 elements ${whole ? 'in all' : `along axis ${axis}`} (indices are float32 integers)`, `shape ${fmtShape(x.shape)}`);
  const shape = whole ? (keepDims ? x.shape.map(() => 1) : []) : keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = native.maxMinForward({ x: x.storage, ...view, isMax, wantValues });
  const indices = wrap(out.indices, shape);
  if (!out.values) return { values: null, indices };
  // indices is an input of the node, so disposing it does not free what backward reads.
  const values = record(wrap(out.values, shape), name, [x, indices], (g) => [
    wrap(native.maxMinBackward({ indices: indices.storage, dy: g.storage, ...view }).dx, x.shape),
    null,
  ]);
  return { values, indices };
}

/**
 * The maximum of x along `axis` and where it is: the first position of the maximum (NaN counts
 * as the maximum, as in PyTorch). Without an axis, over all elements (indices into the
 * flattened tensor). The axis is dropped, or kept with size 1 when keepDims is true.
 * @param axis negative counting from the end; omitted: the whole tensor
 * @returns `{ values, indices }`, both of the reduced shape on the device of x; `values` is
 *   differentiable (its gradient goes to the position of each maximum), `indices` are float32
 *   integers (exact: an axis has at most 2^24 elements)
 * @throws TypeError for a non-tensor or disposed x, a non-integer axis or a non-boolean
 *   keepDims; RangeError for an axis out of range, an empty axis (or tensor), or more than
 *   2^24 elements along it.
 */
export function max(x: Tensor, axis?: number, keepDims = false): MaxMinResult {
  return search('max', x, axis, keepDims, true, true) as MaxMinResult;
}

/** The minimum of x along `axis` and where it is; as {@link max}, with NaN counting as the minimum. */
export function min(x: Tensor, axis?: number, keepDims = false): MaxMinResult {
  return search('min', x, axis, keepDims, false, true) as MaxMinResult;
}

/** The position of the maximum along `axis` (float32 integers, no gradient): `max(x, axis, keepDims).indices` without the values. */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return search('argmax', x, axis, keepDims, true, false).indices;
}

/** The position of the minimum along `axis`: `min(x, axis, keepDims).indices` without the values. */
export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return search('argmin', x, axis, keepDims, false, false).indices;
}

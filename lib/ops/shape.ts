// Shape ops: reshape, permute, transpose, narrow, concat, stack, pad, with their backward
// passes. All copy (tensors own their storage); every copy is native stridedCopy()
// (native/elementwise.h), mostly through copyWindow in lib/ops/primitives.ts.
import { record } from '../autograd';
import { native } from '../native';
import { numelOf, Tensor, wrap } from '../tensor';
import { checkAxis, checkInteger, checkNonNegativeInt, checkSameDevice, checkTensor, describe, fmtShape, rangeError, typeError } from '../validate';
import { contiguousStrides, copyWindow, filled } from './primitives';

/**
 * x with a new shape, the data copied in row-major order. One entry may be -1: it is inferred.
 * @throws TypeError for a non-tensor or disposed x or a shape that is not an array of integers;
 *   RangeError when the sizes differ, for entries below -1, or more than one -1.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'x');
  if (!Array.isArray(shape)) throw typeError('shape', 'an array of integers', describe(shape));
  shape.forEach((d, i) => checkInteger(d, `shape[${i}]`, { min: -1 }));
  if (shape.filter((d) => d === -1).length > 1) throw rangeError('shape', 'sizes >= 0 and at most one -1', fmtShape(shape));
  const known = numelOf(shape.filter((d) => d !== -1));
  const dims = shape.map((d) => (d === -1 ? (known === 0 ? -1 : x.size / known) : d));
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || numelOf(dims) !== x.size) {
    throw rangeError('shape', `a shape of ${x.size} elements (those of x, shape ${fmtShape(x.shape)})`, fmtShape(shape));
  }
  const out = wrap(native.copyTo(x.storage, x.device), dims);
  return record(out, 'reshape', [x], (g) => [wrap(native.copyTo(g.storage, g.device), x.shape)]);
}

function permuteChecked(name: string, x: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const strides = contiguousStrides(x.shape);
  const out = filled(x.device, x.size, false, (o) => native.stridedCopy(x.storage, o, shape, perm.map((p) => strides[p]), 0, contiguousStrides(shape), 0));
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record(wrap(out, shape), name, [x], (g) => [permuteChecked(name, g, inverse)]);
}

/**
 * x with its dimensions reordered: out.shape[i] = x.shape[perm[i]] (negative entries count from the end).
 * @throws TypeError for a non-tensor or disposed x or non-integer entries; RangeError unless perm is a permutation of x's axes.
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  checkTensor(x, 'x');
  if (!Array.isArray(perm)) throw typeError('perm', 'an array of integers', describe(perm));
  const rank = x.shape.length;
  const axes = perm.map((p, i) => checkAxis(p, rank, `perm[${i}]`));
  if (axes.length !== rank || new Set(axes).size !== rank) {
    throw rangeError('perm', `a permutation of the ${rank} axes of x (shape ${fmtShape(x.shape)})`, `[${perm.join(',')}]`);
  }
  return permuteChecked('permute', x, axes);
}

/** x with axes axis0 and axis1 swapped. @throws TypeError for a non-tensor; RangeError for an axis out of range. */
export function transpose(x: Tensor, axis0: number, axis1: number): Tensor {
  checkTensor(x, 'x');
  const rank = x.shape.length;
  const a0 = checkAxis(axis0, rank, 'axis0');
  const a1 = checkAxis(axis1, rank, 'axis1');
  const perm = x.shape.map((_, i) => (i === a0 ? a1 : i === a1 ? a0 : i));
  return permuteChecked('transpose', x, perm);
}

/**
 * @internal The window [start, start + length) of x along `axis` (checked by the caller),
 * returned with shape `shape` (default: x.shape with `length` at `axis`).
 */
export function window(name: string, x: Tensor, axis: number, start: number, length: number, shape?: readonly number[]): Tensor {
  const block = x.shape.map((d, i) => (i === axis ? length : d));
  const out = filled(x.device, numelOf(block), false, (o) => copyWindow('out', x.storage, o, block, x.shape, axis, start));
  return record(wrap(out, shape ?? block), name, [x], (g) => {
    const gx = filled(x.device, x.size, true, (o) => copyWindow('in', g.storage, o, block, x.shape, axis, start));
    return [wrap(gx, x.shape)];
  });
}

/**
 * The slice [start, start + length) of x along `axis` (a copy).
 * @throws TypeError for a non-tensor or non-integer arguments; RangeError for an axis out of
 *   range, a negative start or length, or start + length past the dimension.
 */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  checkTensor(x, 'x');
  const ax = checkAxis(axis, x.shape.length, 'axis');
  checkNonNegativeInt(start, 'start');
  checkNonNegativeInt(length, 'length');
  if (start + length > x.shape[ax]) {
    throw rangeError('length', `start + length <= ${x.shape[ax]} (dimension ${ax} of x, shape ${fmtShape(x.shape)})`, `start + length = ${start + length}`);
  }
  return window('narrow', x, ax, start, length);
}

/**
 * @internal Joins blocks along `axis` of `shape`: xs[i], read as blocks[i] (same data, maybe
 * another shape), fills the window of its size along axis, in order.
 */
export function join(name: string, xs: Tensor[], blocks: number[][], shape: number[], axis: number): Tensor {
  const starts: number[] = [];
  let start = 0;
  for (const block of blocks) {
    starts.push(start);
    start += block[axis];
  }
  const out = filled(xs[0].device, numelOf(shape), false, (o) =>
    xs.forEach((x, i) => copyWindow('in', x.storage, o, blocks[i], shape, axis, starts[i])),
  );
  return record(wrap(out, shape), name, xs, (g) =>
    xs.map((x, i) => {
      if (!x.requiresGrad) return null;
      const gx = filled(x.device, x.size, false, (o) => copyWindow('out', g.storage, o, blocks[i], shape, axis, starts[i]));
      return wrap(gx, x.shape);
    }),
  );
}

function checkTensorList(xs: unknown, name: string): Tensor[] {
  if (!Array.isArray(xs)) throw typeError(name, 'an array of tensors', describe(xs));
  if (xs.length === 0) throw rangeError(name, 'at least one tensor', 'an empty array');
  xs.forEach((x, i) => checkTensor(x, `${name}[${i}]`));
  const tensors = xs as Tensor[];
  checkSameDevice(tensors.map((x, i) => [`${name}[${i}]`, x]));
  return tensors;
}

/**
 * Joins tensors along an existing axis; all have the same rank and the same sizes off that axis.
 * @throws TypeError for a non-array, a non-tensor or mixed devices; RangeError for an empty
 *   list, an axis out of range, or mismatched shapes (naming xs[i]).
 */
export function concat(xs: Tensor[], axis: number): Tensor {
  const tensors = checkTensorList(xs, 'xs');
  const first = tensors[0].shape;
  const ax = checkAxis(axis, first.length, 'axis');
  tensors.forEach((x, i) => {
    if (x.shape.length !== first.length || x.shape.some((d, j) => j !== ax && d !== first[j])) {
      throw rangeError(`xs[${i}]`, `rank ${first.length} and the sizes of xs[0] ${fmtShape(first)} off axis ${ax}`, fmtShape(x.shape));
    }
  });
  const shape = first.map((d, j) => (j === ax ? tensors.reduce((s, x) => s + x.shape[ax], 0) : d));
  return join('concat', tensors, tensors.map((x) => [...x.shape]), shape, ax);
}

/**
 * Stacks tensors of the same shape along a new axis (in [-(rank+1), rank]).
 * @throws TypeError for a non-array, a non-tensor or mixed devices; RangeError for an empty
 *   list, an axis out of range, or a shape that differs from xs[0]'s (naming xs[i]).
 */
export function stack(xs: Tensor[], axis: number): Tensor {
  const tensors = checkTensorList(xs, 'xs');
  const first = tensors[0].shape;
  const ax = checkAxis(axis, first.length + 1, 'axis');
  tensors.forEach((x, i) => {
    if (x.shape.length !== first.length || x.shape.some((d, j) => d !== first[j])) {
      throw rangeError(`xs[${i}]`, `shape ${fmtShape(first)} (that of xs[0])`, fmtShape(x.shape));
    }
  });
  const block = [...first.slice(0, ax), 1, ...first.slice(ax)];
  const shape = [...first.slice(0, ax), tensors.length, ...first.slice(ax)];
  return join('stack', tensors, tensors.map(() => block), shape, ax);
}

/**
 * x with `before` zeros prepended and `after` zeros appended along `axis`.
 * @throws TypeError for a non-tensor or non-integer arguments; RangeError for an axis out of range or negative padding.
 */
export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  checkTensor(x, 'x');
  const ax = checkAxis(axis, x.shape.length, 'axis');
  checkNonNegativeInt(before, 'before');
  checkNonNegativeInt(after, 'after');
  const shape = x.shape.map((d, i) => (i === ax ? d + before + after : d));
  const out = filled(x.device, numelOf(shape), true, (o) => copyWindow('in', x.storage, o, x.shape, shape, ax, before));
  return record(wrap(out, shape), 'pad', [x], (g) => {
    const gx = filled(x.device, x.size, false, (o) => copyWindow('out', g.storage, o, x.shape, shape, ax, before));
    return [wrap(gx, x.shape)];
  });
}

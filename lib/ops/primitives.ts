// The primitives the ops are built from: the four general native kernels (native/elementwise.h:
// binary, unary, sumTo, stridedCopy) as typed functions outside the autograd graph, and the
// shape arithmetic shared by elementwise.ts, complex.ts, reduce.ts, shape.ts and linear.ts:
// broadcast shapes, the reduction of a broadcast gradient to its input's shape, strides.
import { fmtShape, rangeError } from '../validate';
import { native, Storage } from '../native';
import { Device, numelOf, Tensor, wrap } from '../tensor';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    binary(op: number, a: Storage, b: Storage, out: Storage, aShape: number[], bShape: number[], outShape: number[], alpha: number): void;
    unary(op: number, x: Storage, out: Storage, n: number, s: number, t: number): void;
    sumTo(input: Storage, out: Storage, inShape: number[], outShape: number[], scale: number): void;
    stridedCopy(input: Storage, out: Storage, shape: number[], inStrides: number[], inOffset: number, outStrides: number[], outOffset: number): void;
  }
}

/**
 * @internal Op codes of native binary(), from the addon (native/elementwise.h); the complex ones (from
 * cmul on) treat the last dim (2) as the element. The *Grad ops are activation backward passes:
 * (gradient, activation input or output).
 */
export const BinaryOp = native.opCodes.binary;
/** @internal Op codes of native unary() (native/elementwise.h); affine is s * x + t; the complex ones start at cexp. */
export const UnaryOp = native.opCodes.unary;

/** @internal `shape` padded with leading 1s to `rank`. */
export function padShape(shape: readonly number[], rank: number): number[] {
  return [...Array<number>(rank - shape.length).fill(1), ...shape];
}

/** @internal NumPy broadcasting of two shapes; RangeError naming both arguments when they do not broadcast. */
export function broadcastShapes(aName: string, a: readonly number[], bName: string, b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = padShape(a, rank);
  const pb = padShape(b, rank);
  return pa.map((da, i) => {
    const db = pb[i];
    if (da !== db && da !== 1 && db !== 1) {
      throw rangeError(bName, `a shape that broadcasts with ${aName} ${fmtShape(a)} (dimension ${i - rank}: ${da}, or 1)`, `${fmtShape(b)}`);
    }
    return da === 1 ? db : da;
  });
}

/**
 * @internal A new storage of `numel` floats (zeroed when `zero`) filled by `fill`; freed at once if
 * fill throws, so a failed native call leaks nothing.
 */
export function filled(device: Device, numel: number, zero: boolean, fill: (out: Storage) => void): Storage {
  const out = native.alloc(device, numel, zero);
  try {
    fill(out);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** @internal What a kernel reads: a tensor, or a temporary storage with its shape. */
export type Operand = Pick<Tensor, 'storage' | 'shape' | 'device'>;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** @internal alpha * (a op b) with a and b broadcast to `outShape` (complex ops: shapes end in 2). */
export function binaryKernel(op: number, a: Operand, b: Operand, outShape: readonly number[], alpha = 1): Storage {
  const complex = op >= BinaryOp.cmul;
  const elements = (s: readonly number[]) => (complex ? s.slice(0, -1) : [...s]);
  const outElements = elements(outShape);
  const rank = outElements.length;
  return filled(a.device, numelOf(outShape), false, (out) =>
    native.binary(op, a.storage, b.storage, out, padShape(elements(a.shape), rank), padShape(elements(b.shape), rank), outElements, alpha),
  );
}

/** @internal op(x) elementwise into a new storage (s, t: the affine op's scale and shift). */
export function unaryKernel(op: number, x: Operand, s = 1, t = 0): Storage {
  const size = numelOf(x.shape);
  return filled(x.device, size, false, (out) => native.unary(op, x.storage, out, size, s, t));
}

/**
 * @internal scale * src (of shape `shape`) summed down to `target`, a shape that broadcasts to `shape`;
 * the result is given the shape `resultShape` (same size as target).
 */
export function sumTo(src: Storage, shape: readonly number[], target: readonly number[], scale = 1, resultShape = target): Tensor {
  const out = filled(src.device, numelOf(target), false, (o) => native.sumTo(src, o, [...shape], padShape(target, shape.length), scale));
  return wrap(out, resultShape);
}

/**
 * @internal The gradient of a broadcast input of shape `target`: alpha * (x op y) over `outShape`,
 * summed down to `target` (no extra pass when nothing was broadcast).
 */
export function binaryGrad(op: number, x: Operand, y: Operand, outShape: readonly number[], target: readonly number[], alpha = 1): Tensor {
  const full = binaryKernel(op, x, y, outShape, alpha);
  if (sameShape(outShape, target)) return wrap(full, target);
  try {
    return sumTo(full, outShape, target);
  } finally {
    full.dispose();
  }
}

/** @internal Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * @internal Copies between a contiguous block of shape `shape` and the window [start, start + shape[axis])
 * along `axis` of a contiguous tensor of shape `whole`: 'out' reads the window, 'in' writes it.
 */
export function copyWindow(direction: 'in' | 'out', src: Storage, dst: Storage, shape: readonly number[], whole: readonly number[], axis: number, start: number): void {
  const block = contiguousStrides(shape);
  const wholeStrides = contiguousStrides(whole);
  const offset = start * wholeStrides[axis];
  if (direction === 'out') native.stridedCopy(src, dst, [...shape], wholeStrides, offset, block, 0);
  else native.stridedCopy(src, dst, [...shape], block, 0, wholeStrides, offset);
}

/**
 * @internal The [outer, n, inner] view of `shape` around `axis` (checked by the caller), as
 * the kernels of ops along one axis see it: n = shape[axis], outer and inner the products of
 * the dimensions before and after it.
 */
export function axisView(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: numelOf(shape.slice(0, axis)), n: shape[axis], inner: numelOf(shape.slice(axis + 1)) };
}

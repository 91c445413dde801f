// softmax and logSoftmax along one axis, forward and backward (native/softmax.h; docs/MATH.md
// §2.8). Both compute from the slice's maximum (no overflow) and keep their output for the
// backward pass.
import { record } from '../autograd';
import { native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkAxis, checkMinRank, checkTensor } from '../validate';
import { axisView } from './primitives';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    softmaxForward(args: { x: Storage; outer: number; n: number; inner: number; log: boolean }): { y: Storage };
    softmaxBackward(args: { y: Storage; dy: Storage; outer: number; n: number; inner: number; log: boolean }): { dx: Storage };
  }
}

function softmaxAlong(name: string, x: Tensor, axis: number, log: boolean): Tensor {
  checkTensor(x, 'x');
  checkMinRank(x, 'x', 1, '...');
  const { outer, n, inner } = axisView(x.shape, checkAxis(axis, x.shape.length, 'axis'));
  if (x.size === 0) return record(wrap(native.alloc(x.device, 0, false), x.shape), name, [x], () => [wrap(native.alloc(x.device, 0, false), x.shape)]);
  const y = wrap(native.softmaxForward({ x: x.storage, outer, n, inner, log }).y, x.shape);
  return record(y, name, [x], (g) => [wrap(native.softmaxBackward({ y: y.storage, dy: g.storage, outer, n, inner, log }).dx, x.shape)]);
}

/**
 * Softmax along `axis`: exp(x − m) / Σ exp(x − m) over each slice, m the slice's maximum (so no
 * finite input overflows). A slice holding NaN or +Infinity, or only −Infinity, gives NaN, as
 * in PyTorch. Differentiable: dx = y · (dy − Σ dy · y). Any device.
 * @param x rank >= 1
 * @param axis the axis normalised over, negative counting from the end (default -1, the last)
 * @returns the shape of x
 * @throws TypeError for a non-tensor or disposed x or a non-integer axis; RangeError for a
 *   0-d x or an axis out of range.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong('softmax', x, axis, false);
}

/**
 * log(softmax(x)) along `axis`, computed as x − m − log Σ exp(x − m) (accurate where softmax
 * underflows to 0). Differentiable: dx = dy − exp(y) · Σ dy. Arguments and errors as {@link softmax}.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong('logSoftmax', x, axis, true);
}

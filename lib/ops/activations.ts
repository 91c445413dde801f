// Pointwise activations (gelu, sigmoid, tanh, relu, softplus) as op codes of the general unary kernel
// (native/elementwise_ops.h; backward: the *Grad binary op codes), and glu with its own
// kernel (native/nn.h).
import { record } from '../autograd';
import { native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkAxis, checkTensor, fmtShape, rangeError } from '../validate';
import { axisView, binaryKernel, BinaryOp, unaryKernel, UnaryOp } from './primitives';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    gluForward(args: { x: Storage; outer: number; half: number; inner: number }): { out: Storage };
    gluBackward(args: { x: Storage; dy: Storage; outer: number; half: number; inner: number }): { dx: Storage };
  }
}

/**
 * Records out = op(x); the backward pass is g * f'(x) through `gradOp` (a *Grad binary op code)
 * applied to (g, x) or, when `fromOutput`, to (g, out).
 */
function activation(name: string, op: number, gradOp: number, fromOutput: boolean, x: Tensor): Tensor {
  checkTensor(x, 'x');
  const out = wrap(unaryKernel(op, x), x.shape);
  return record(out, name, [x], (g) => [wrap(binaryKernel(gradOp, g, fromOutput ? out : x, x.shape), x.shape)]);
}

/**
 * GELU, exact form: x * Φ(x) = 0.5 x (1 + erf(x / √2)), elementwise; any shape and device.
 * @throws TypeError for a non-tensor or disposed tensor.
 */
export function gelu(x: Tensor): Tensor {
  return activation('gelu', UnaryOp.gelu, BinaryOp.geluGrad, false, x);
}

/** The logistic sigmoid 1 / (1 + exp(−x)) elementwise (no overflow for large |x|); errors as {@link gelu}. */
export function sigmoid(x: Tensor): Tensor {
  return activation('sigmoid', UnaryOp.sigmoid, BinaryOp.sigmoidGrad, true, x);
}

/** tanh(x) elementwise; errors as {@link gelu}. */
export function tanh(x: Tensor): Tensor {
  return activation('tanh', UnaryOp.tanh, BinaryOp.tanhGrad, true, x);
}

/** max(x, 0) elementwise (NaN stays NaN; the gradient at 0 is 0); errors as {@link gelu}. */
export function relu(x: Tensor): Tensor {
  return activation('relu', UnaryOp.relu, BinaryOp.reluGrad, false, x);
}

/**
 * softplus(x) = log(1 + exp(x)) elementwise (S4's dt transform): no overflow for large x and
 * full precision for small results (log1p); the gradient is sigmoid(x). Errors as {@link gelu}.
 */
export function softplus(x: Tensor): Tensor {
  return activation('softplus', UnaryOp.softplus, BinaryOp.softplusGrad, false, x);
}

/**
 * Gated linear unit: splits `axis` of x into halves a (first) and b (second) and returns
 * a · sigmoid(b), whose `axis` has half the size. E.g. [B, 2H, L] with axis 1 -> [B, H, L].
 * @param axis the split axis, negative counting from the end (default -1)
 * @throws TypeError for a non-tensor or disposed x or a non-integer axis; RangeError for an
 *   axis out of range or an odd (or zero) size along it.
 */
export function glu(x: Tensor, axis = -1): Tensor {
  checkTensor(x, 'x');
  const ax = checkAxis(axis, x.shape.length, 'axis');
  const size = x.shape[ax];
  if (size < 2 || size % 2 !== 0) throw rangeError('x', `an even size >= 2 along axis ${axis} (split in halves)`, `shape ${fmtShape(x.shape)}`);
  const { outer, inner } = axisView(x.shape, ax);
  const half = size / 2;
  const out = wrap(native.gluForward({ x: x.storage, outer, half, inner }).out, x.shape.map((d, i) => (i === ax ? half : d)));
  return record(out, 'glu', [x], (g) => [wrap(native.gluBackward({ x: x.storage, dy: g.storage, outer, half, inner }).dx, x.shape)]);
}

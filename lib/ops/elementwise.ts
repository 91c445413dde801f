// Real elementwise ops with NumPy broadcasting (add, sub, mul, div) and unary ops (neg, exp,
// log, sqrt, square, scale, addScalar), with their backward passes. Kernels: native binary()
// and unary() (native/elementwise.h), through lib/ops/primitives.ts.
import { record } from '../autograd';
import { Tensor, wrap } from '../tensor';
import { checkNumber, checkSameDevice, checkTensor } from '../validate';
import { BinaryOp, binaryGrad, binaryKernel, broadcastShapes, Operand, sumTo, UnaryOp, unaryKernel } from './primitives';

type BinaryBackward = (g: Tensor, out: Tensor, shape: readonly number[]) => [Tensor | null, Tensor | null];

/** Validates a and b, broadcasts them and records the op; `backward` checks requiresGrad itself. */
export function broadcastOp(name: string, op: number, a: Tensor, b: Tensor, backward: BinaryBackward, checkOperands?: () => void): Tensor {
  checkTensor(a, 'a');
  checkTensor(b, 'b');
  checkSameDevice([['a', a], ['b', b]]);
  checkOperands?.();
  const complex = op >= BinaryOp.cmul;
  const shape = complex
    ? [...broadcastShapes('a', a.shape.slice(0, -1), 'b', b.shape.slice(0, -1)), 2]
    : broadcastShapes('a', a.shape, 'b', b.shape);
  const out = wrap(binaryKernel(op, a, b, shape), shape);
  return record(out, name, [a, b], (g) => backward(g, out, shape));
}

/**
 * a + b with NumPy broadcasting (shapes right-aligned; size-1 or missing dims broadcast).
 * Any shapes, same device; the result has the broadcast shape.
 * @throws TypeError for a non-tensor, a disposed tensor or mixed devices; RangeError when the shapes do not broadcast.
 */
export function add(a: Tensor, b: Tensor): Tensor {
  return broadcastOp('add', BinaryOp.add, a, b, (g, _out, shape) => [
    a.requiresGrad ? sumTo(g.storage, shape, a.shape) : null,
    b.requiresGrad ? sumTo(g.storage, shape, b.shape) : null,
  ]);
}

/** a - b with broadcasting; errors as {@link add}. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return broadcastOp('sub', BinaryOp.sub, a, b, (g, _out, shape) => [
    a.requiresGrad ? sumTo(g.storage, shape, a.shape) : null,
    b.requiresGrad ? sumTo(g.storage, shape, b.shape, -1) : null,
  ]);
}

/** a * b elementwise with broadcasting; errors as {@link add}. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return broadcastOp('mul', BinaryOp.mul, a, b, (g, _out, shape) => [
    a.requiresGrad ? binaryGrad(BinaryOp.mul, g, b, shape, a.shape) : null,
    b.requiresGrad ? binaryGrad(BinaryOp.mul, g, a, shape, b.shape) : null,
  ]);
}

/** a / b elementwise with broadcasting (IEEE division: x / 0 is ±Infinity or NaN); errors as {@link add}. */
export function div(a: Tensor, b: Tensor): Tensor {
  // d/da = 1/b; d/db = -a/b^2 = -(1/b) * out: both from q = g / b.
  return broadcastOp('div', BinaryOp.div, a, b, quotientBackward(a, b, BinaryOp.div, BinaryOp.mul));
}

/**
 * The backward of a quotient out = a / b (div, and cdiv with the conjugating ops): with
 * q = divOp(g, b), grad a = q summed to a's shape and grad b = -mulOp(q, out) summed to b's.
 */
export function quotientBackward(a: Tensor, b: Tensor, divOp: number, mulOp: number): BinaryBackward {
  return (g, out, shape) => {
    const q: Operand = { storage: binaryKernel(divOp, g, b, shape), shape, device: g.device };
    try {
      return [
        a.requiresGrad ? sumTo(q.storage, shape, a.shape) : null,
        b.requiresGrad ? binaryGrad(mulOp, q, out, shape, b.shape, -1) : null,
      ];
    } finally {
      q.storage.dispose();
    }
  };
}

/** Records a unary op: out = op(x); `grad` maps the output's gradient to x's. */
function unaryOp(name: string, x: Tensor, forward: () => Tensor, grad: (g: Tensor, out: Tensor) => Tensor): Tensor {
  const out = forward();
  return record(out, name, [x], (g) => [grad(g, out)]);
}

const affine = (x: Operand, s: number, t: number) => wrap(unaryKernel(UnaryOp.affine, x, s, t), x.shape);
const sameShapeBinary = (op: number, a: Operand, b: Operand, alpha = 1) => wrap(binaryKernel(op, a, b, a.shape, alpha), a.shape);

/** -x, any shape. @throws TypeError for a non-tensor or disposed tensor. */
export function neg(x: Tensor): Tensor {
  checkTensor(x, 'x');
  return unaryOp('neg', x, () => affine(x, -1, 0), (g) => affine(g, -1, 0));
}

/** exp(x) elementwise, any shape. @throws TypeError for a non-tensor or disposed tensor. */
export function exp(x: Tensor): Tensor {
  checkTensor(x, 'x');
  return unaryOp('exp', x, () => wrap(unaryKernel(UnaryOp.exp, x), x.shape), (g, out) => sameShapeBinary(BinaryOp.mul, g, out));
}

/** Natural log elementwise (NaN below 0, -Infinity at 0), any shape. @throws TypeError for a non-tensor or disposed tensor. */
export function log(x: Tensor): Tensor {
  checkTensor(x, 'x');
  return unaryOp('log', x, () => wrap(unaryKernel(UnaryOp.log, x), x.shape), (g) => sameShapeBinary(BinaryOp.div, g, x));
}

/** Square root elementwise (NaN below 0), any shape. @throws TypeError for a non-tensor or disposed tensor. */
export function sqrt(x: Tensor): Tensor {
  checkTensor(x, 'x');
  return unaryOp('sqrt', x, () => wrap(unaryKernel(UnaryOp.sqrt, x), x.shape), (g, out) => sameShapeBinary(BinaryOp.div, g, out, 0.5));
}

/** x * x elementwise, any shape. @throws TypeError for a non-tensor or disposed tensor. */
export function square(x: Tensor): Tensor {
  checkTensor(x, 'x');
  return unaryOp('square', x, () => wrap(unaryKernel(UnaryOp.square, x), x.shape), (g) => sameShapeBinary(BinaryOp.mul, g, x, 2));
}

/** s * x for a number s. @throws TypeError for a non-tensor, disposed tensor, or a non-number s; RangeError for a non-finite s. */
export function scale(x: Tensor, s: number): Tensor {
  checkTensor(x, 'x');
  checkNumber(s, 's');
  return unaryOp('scale', x, () => affine(x, s, 0), (g) => affine(g, s, 0));
}

/** x + s for a number s. @throws as {@link scale}. */
export function addScalar(x: Tensor, s: number): Tensor {
  checkTensor(x, 'x');
  checkNumber(s, 's');
  return unaryOp('addScalar', x, () => affine(x, 1, s), (g) => affine(g, 1, 0));
}

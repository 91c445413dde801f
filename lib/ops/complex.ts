// Complex ops on tensors whose last dimension is 2 (re, im): cmul, cdiv (broadcasting over the
// leading dims), cexp, cexpm1, clog, conj, and complex/real/imag between complex and real tensors.
// Gradients follow PyTorch: for a real loss L the gradient of z is dL/dRe + i dL/dIm, so a
// holomorphic f passes g * conj(f'(z)) back. Kernels: native binary() and unary(), and the
// window copies of lib/ops/shape.ts.
import { record } from '../autograd';
import { Tensor, wrap } from '../tensor';
import { checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';
import { broadcastOp, quotientBackward } from './elementwise';
import { BinaryOp, binaryGrad, binaryKernel, Operand, UnaryOp, unaryKernel } from './primitives';
import { join, window } from './shape';

function checkComplex(z: Tensor, name: string): void {
  if (z.shape.length === 0 || z.shape[z.shape.length - 1] !== 2) throw rangeError(name, 'a complex tensor (last dimension 2)', `shape ${fmtShape(z.shape)}`);
}

function checkComplexPair(a: Tensor, b: Tensor): () => void {
  return () => {
    checkComplex(a, 'a');
    checkComplex(b, 'b');
  };
}

/**
 * Complex product a * b; a [..., 2] and b [..., 2] broadcast over their leading dims.
 * @throws TypeError for a non-tensor, disposed tensor or mixed devices; RangeError for a last
 *   dimension other than 2 or leading dims that do not broadcast.
 */
export function cmul(a: Tensor, b: Tensor): Tensor {
  return broadcastOp('cmul', BinaryOp.cmul, a, b, (g, _out, shape) => [
    a.requiresGrad ? binaryGrad(BinaryOp.cmulConj, g, b, shape, a.shape) : null,
    b.requiresGrad ? binaryGrad(BinaryOp.cmulConj, g, a, shape, b.shape) : null,
  ], checkComplexPair(a, b));
}

/** Complex quotient a / b with broadcasting over the leading dims; errors as {@link cmul}. */
export function cdiv(a: Tensor, b: Tensor): Tensor {
  // f = a/b: df/da = 1/b, df/db = -f/b. With q = g / conj(b): grad a = q, grad b = -q * conj(f).
  return broadcastOp('cdiv', BinaryOp.cdiv, a, b, quotientBackward(a, b, BinaryOp.cdivConj, BinaryOp.cmulConj), checkComplexPair(a, b));
}

function complexUnary(name: string, op: number, z: Tensor, grad: (g: Tensor, out: Tensor) => Tensor): Tensor {
  checkTensor(z, 'z');
  checkComplex(z, 'z');
  const out = wrap(unaryKernel(op, z), z.shape);
  return record(out, name, [z], (g) => [grad(g, out)]);
}

const sameShape = (op: number, a: Operand, b: Operand) => wrap(binaryKernel(op, a, b, a.shape), a.shape);

/** exp(z) elementwise for z [..., 2]. @throws TypeError for a non-tensor; RangeError for a last dimension other than 2. */
export function cexp(z: Tensor): Tensor {
  return complexUnary('cexp', UnaryOp.cexp, z, (g, out) => sameShape(BinaryOp.cmulConj, g, out));
}

/**
 * exp(z) − 1 for z [..., 2], accurate for small |z| (where cexp(z) − 1 cancels: S4D's ZOH
 * step (exp(dt·A) − 1)/A with dt ~ 1e-3). @throws as {@link cexp}.
 */
export function cexpm1(z: Tensor): Tensor {
  return complexUnary('cexpm1', UnaryOp.cexpm1, z, (g) => {
    const e = unaryKernel(UnaryOp.cexp, z);
    try {
      return sameShape(BinaryOp.cmulConj, g, { storage: e, shape: z.shape, device: z.device });
    } finally {
      e.dispose();
    }
  });
}

/**
 * Principal log(z) = log|z| + i arg(z), arg in (-pi, pi], for z [..., 2] (the gradient at the
 * cut follows the principal branch). @throws as {@link cexp}.
 */
export function clog(z: Tensor): Tensor {
  return complexUnary('clog', UnaryOp.clog, z, (g) => sameShape(BinaryOp.cdivConj, g, z));
}

/** The complex conjugate of z [..., 2]. @throws as {@link cexp}. */
export function conj(z: Tensor): Tensor {
  return complexUnary('conj', UnaryOp.conj, z, (g) => wrap(unaryKernel(UnaryOp.conj, g), g.shape));
}

/**
 * The complex tensor re + i im: re and im of the same shape [...] give [..., 2].
 * @throws TypeError for a non-tensor, disposed tensor or mixed devices; RangeError when the shapes differ.
 */
export function complex(re: Tensor, im: Tensor): Tensor {
  checkTensor(re, 're');
  checkTensor(im, 'im');
  checkShape(im, 'im', re.shape, 'the shape of re');
  checkSameDevice([['re', re], ['im', im]]);
  const block = [...re.shape, 1];
  return join('complex', [re, im], [block, block], [...re.shape, 2], re.shape.length);
}

function part(name: string, z: Tensor, start: number): Tensor {
  checkTensor(z, 'z');
  checkComplex(z, 'z');
  return window(name, z, z.shape.length - 1, start, 1, z.shape.slice(0, -1));
}

/** The real part of z [..., 2], shape [...]. @throws as {@link cexp}. */
export function real(z: Tensor): Tensor {
  return part('real', z, 0);
}

/** The imaginary part of z [..., 2], shape [...]. @throws as {@link cexp}. */
export function imag(z: Tensor): Tensor {
  return part('imag', z, 1);
}

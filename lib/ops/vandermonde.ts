// vandermonde (docs/MATH.md §2.3): the Vandermonde kernel 2 Re sum_n v exp(x l), with its backward.
// Kernels: native/vandermonde_cpu.cc and cuda/vandermonde.cu, both behind native/vandermonde.h.
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkPositiveInt, checkSameDevice, checkTensor } from '../validate';
import { checkModeRows } from './modes';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    vandermondeForward(args: { v: Storage; x: Storage; R: number; Rx: number; N: number; L: number }): { out: Storage };
    vandermondeBackward(args: {
      grad: Storage; v: Storage; x: Storage; R: number; Rx: number; N: number; L: number; needDv: boolean; needDx: boolean;
    }): { dv: Maybe<Storage>; dx: Maybe<Storage> };
  }
}

/**
 * The Vandermonde kernel (complex values are real tensors with a last dimension of 2):
 *
 *     out[..., l] = 2 Re( sum_n v[..., n] exp(x[..., n] * l) ),   l = 0..L-1
 *
 * exp(x l) is evaluated without drift for any L (anchored directly, phases reduced exactly),
 * and memory is O(N + L) per row. Differentiable in v and x (for a real loss the gradient is
 * dL/dRe + i dL/dIm, as in PyTorch).
 *
 * @param v [...lead, N, 2]
 * @param x [...xLead, N, 2], where xLead is a suffix of lead (x is broadcast over the rest,
 *   and its gradient summed over them), e.g. v [C,H,N,2] with x [H,N,2]
 * @param L the output length, an integer >= 1
 * @returns [...lead, L] real, on the inputs' device
 * @throws TypeError for a non-tensor, a disposed tensor, mixed devices or a non-integer L;
 *   RangeError for a trailing dimension other than 2, an N mismatch, x's leading dimensions
 *   not a suffix of v's, an empty dimension or L < 1.
 */
export function vandermonde(v: Tensor, x: Tensor, L: number): Tensor {
  checkTensor(v, 'v');
  checkTensor(x, 'x');
  checkPositiveInt(L, 'L');
  const { lead, R, Rw: Rx, N } = checkModeRows(v, 'v', x, 'x');
  checkSameDevice([['v', v], ['x', x]]);

  const out = wrap(native.vandermondeForward({ v: v.storage, x: x.storage, R, Rx, N, L }).out, [...lead, L]);
  return record(out, 'vandermonde', [v, x], (grad) => {
    const { dv, dx } = native.vandermondeBackward({
      grad: grad.storage, v: v.storage, x: x.storage, R, Rx, N, L, needDv: v.requiresGrad, needDx: x.requiresGrad,
    });
    return [dv && wrap(dv, v.shape), dx && wrap(dx, x.shape)];
  });
}

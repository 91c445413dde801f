// cauchy (docs/MATH.md §2.2): the Cauchy kernel sum_n v / (z - w), with its backward.
// Kernels: native/cauchy_cpu.cc and cuda/cauchy.cu, both behind native/cauchy.h.
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkBoolean, checkOptions, checkSameDevice, checkTensor, fmtShape, rangeError, typeError } from '../validate';
import { checkModeRows } from './modes';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    cauchyForward(args: { v: Storage; w: Storage; z: Storage; R: number; Rw: number; N: number; L: number; conj: boolean }): { out: Storage };
    cauchyBackward(args: {
      grad: Storage; v: Storage; w: Storage; z: Storage; R: number; Rw: number; N: number; L: number; conj: boolean;
      needDv: boolean; needDw: boolean;
    }): { dv: Maybe<Storage>; dw: Maybe<Storage> };
  }
}

/** Options of {@link cauchy}. */
export interface CauchyOptions {
  /** Add each mode's conjugate pair, conj(v) / (z - conj(w)) (S4's form). Default false. */
  conj?: boolean;
}

/**
 * The Cauchy kernel (complex values are real tensors with a last dimension of 2):
 *
 *     out[..., l] = sum_n v[..., n] / (z[l] - w[..., n])
 *                   (+ conj(v[..., n]) / (z[l] - conj(w[..., n])) with conj: true)
 *
 * Memory O(N + L) per row: the N x L matrix is never formed. Differentiable in v and w (for a
 * real loss the gradient is dL/dRe + i dL/dIm, as in PyTorch); z is a constant.
 *
 * @param v [...lead, N, 2]
 * @param z [L, 2], the evaluation points; must not require grad
 * @param w [...wLead, N, 2], where wLead is a suffix of lead (w is broadcast over the rest,
 *   and its gradient summed over them), e.g. v [C,H,N,2] with w [H,N,2]
 * @returns [...lead, L, 2], on the inputs' device
 * @throws TypeError for a non-tensor, a disposed tensor, mixed devices, a bad option, or a z
 *   that requires grad; RangeError for a trailing dimension other than 2, an N mismatch, w's
 *   leading dimensions not a suffix of v's, a z not [L,2], or an empty dimension.
 */
export function cauchy(v: Tensor, z: Tensor, w: Tensor, options?: CauchyOptions): Tensor {
  checkTensor(v, 'v');
  checkTensor(z, 'z');
  checkTensor(w, 'w');
  const opts = checkOptions<CauchyOptions>(options, 'options', ['conj']);
  const conj = checkBoolean(opts.conj, 'options.conj', false);
  const { lead, R, Rw, N } = checkModeRows(v, 'v', w, 'w');
  const L = z.shape[0];
  if (z.shape.length !== 2 || z.shape[1] !== 2 || !(L >= 1)) {
    throw rangeError('z', 'shape [L,2] with L >= 1 (complex evaluation points)', fmtShape(z.shape));
  }
  checkSameDevice([['v', v], ['w', w], ['z', z]]);
  if (z.requiresGrad) {
    throw typeError('z', 'a tensor with requiresGrad false (cauchy gives gradients for v and w only)', 'one that requires grad');
  }

  const out = wrap(native.cauchyForward({ v: v.storage, w: w.storage, z: z.storage, R, Rw, N, L, conj }).out, [...lead, L, 2]);
  return record(out, 'cauchy', [v, w, z], (grad) => {
    const { dv, dw } = native.cauchyBackward({
      grad: grad.storage, v: v.storage, w: w.storage, z: z.storage, R, Rw, N, L, conj,
      needDv: v.requiresGrad, needDw: w.requiresGrad,
    });
    return [dv && wrap(dv, v.shape), dw && wrap(dw, w.shape), null];
  });
}

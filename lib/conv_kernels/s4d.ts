// kernels.s4d (docs/MATH.md §3.1): the convolution kernel of a diagonal SSM, as a Vandermonde product.
// Built from differentiable ops, so gradients reach A, B, C and dt through autograd.
import { cdiv, cexpm1, clog, cmul } from '../ops/complex';
import { add, mul, scale, sub } from '../ops/elementwise';
import { reshape } from '../ops/shape';
import { vandermonde } from '../ops/vandermonde';
import { Tensor, tensor, tidy } from '../tensor';
import { checkObject, checkOneOf, checkOptions, checkPositiveInt, checkRank, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';

/** The diagonal SSM of `kernels.s4d`; every tensor on the same device, complex values as [..., 2]. */
export interface S4DParams {
  /** State matrix diagonal A [H, N, 2] (complex, Re < 0), N = kept modes (state size / 2). */
  A: Tensor;
  /** Input matrix B [H, N, 2]; omitted means B = 1 (as in minimal S4D). */
  B?: Tensor;
  /** Output matrix C [H, N, 2] (kernel [H, L]) or [C, H, N, 2] (kernel [C, H, L]). */
  C: Tensor;
  /** Step sizes dt [H] (> 0). */
  dt: Tensor;
}

/** Options of `kernels.s4d` (the layer `nn.S4D` has its own, {@link nn.S4DOptions}). */
export interface S4DKernelOptions {
  /** Discretisation: 'zoh' (default) or 'bilinear'. */
  disc?: 'zoh' | 'bilinear';
}

/** Validates the (A, B, C, dt) of a diagonal SSM and L; returns H. */
function checkDiagonalSsm(params: unknown, L: unknown): { H: number } {
  const p = checkObject(params, 'params', 'an object {A, B?, C, dt}');
  const A = checkTensor(p.A, 'params.A');
  checkRank(A, 'params.A', ['H,N,2']);
  const [H, N, two] = A.shape;
  if (two !== 2) throw rangeError('params.A', 'a complex tensor [H,N,2] (last dimension 2)', fmtShape(A.shape));
  const B = p.B === undefined ? undefined : checkTensor(p.B, 'params.B');
  if (B) checkShape(B, 'params.B', [H, N, 2], 'the shape of A');
  const C = checkTensor(p.C, 'params.C');
  checkRank(C, 'params.C', ['H,N,2', 'C,H,N,2']);
  checkShape(C, 'params.C', C.shape.length === 4 ? [C.shape[0], H, N, 2] : [H, N, 2], `[H,N,2] or [C,H,N,2] with H, N of A ${fmtShape(A.shape)}`);
  const dt = checkTensor(p.dt, 'params.dt');
  checkShape(dt, 'params.dt', [H], '[H] with H of A');
  checkPositiveInt(L, 'L');
  checkSameDevice([['params.A', A], ['params.B', B], ['params.C', C], ['params.dt', dt]]);
  return { H };
}

/**
 * The S4D kernel K[c,h,l] = 2 Re Σ_n Cb[c,h,n] exp(dt·A[h,n]·l)   (l = 0..L−1), with
 * ZOH: Cb = C·B·(exp(dtA) − 1)/A, or bilinear: Cb = C·B·dt/(1 − dtA/2) and
 * exp(dtA) replaced by (1 + dtA/2)/(1 − dtA/2).
 * @returns [H, L] for C of shape [H,N,2], [C, H, L] for [C,H,N,2]. Differentiable in A, B, C, dt.
 * @throws TypeError/RangeError for non-tensors, shapes that disagree, L < 1, mixed devices.
 */
export function s4d(params: S4DParams, L: number, options?: S4DKernelOptions): Tensor {
  const opts = checkOptions<S4DKernelOptions>(options, 'options', ['disc']);
  const disc = checkOneOf(opts.disc, 'options.disc', ['zoh', 'bilinear'] as const, 'zoh');
  const { H } = checkDiagonalSsm(params, L);
  const { A, B, C, dt } = params;
  return tidy(() => {
    const one = tensor([1, 0], [2], { device: A.device });
    const dtA = mul(A, reshape(dt, [H, 1, 1]));
    const CB = B ? cmul(C, B) : C;
    let Cb: Tensor;
    let x: Tensor;
    if (disc === 'zoh') {
      Cb = cmul(CB, cdiv(cexpm1(dtA), A));
      x = dtA;
    } else {
      const half = scale(dtA, 0.5);
      const denom = sub(one, half);
      Cb = cdiv(mul(CB, reshape(dt, [H, 1, 1])), denom);
      x = clog(cdiv(add(one, half), denom));
    }
    return vandermonde(Cb, x, L);
  });
}

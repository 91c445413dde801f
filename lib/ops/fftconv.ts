// fftConv (docs/MATH.md §2.1): long convolution by real FFTs, with its backward.
// Kernels: native/fftconv_cpu.cc and cuda/fftconv.cu, both behind native/fftconv.h.
import { needsGrad, record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkNonEmpty, checkOptionalTensor, checkOptions, checkRank, checkSameDevice, checkShape, checkTensor, fmtShape } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    fftconvSize(L: number): number;
    fftconvKernelSpectrum(args: { k: Storage; kRev: Maybe<Storage>; D: Maybe<Storage>; C: number; H: number; L: number }): { Kf: Storage };
    fftconvForward(args: { u: Storage; Kf: Storage; B: number; C: number; H: number; L: number; saveUf: boolean }): { y: Storage; Uf: Maybe<Storage> };
    fftconvBackward(args: {
      dy: Storage; Kf: Storage; Uf: Maybe<Storage>; B: number; C: number; H: number; L: number;
      needDu: boolean; needDk: boolean; needDkRev: boolean; needDD: boolean;
    }): { du: Maybe<Storage>; dk: Maybe<Storage>; dkRev: Maybe<Storage>; dD: Maybe<Storage> };
  }
}

/** Options of {@link fftConv}: the skip term and the anti-causal kernel, both on u's device. */
export interface FftConvOptions {
  /** Skip connection D: [H] when k is [H,L], [C,H] when k is [C,H,L]. */
  D?: Tensor;
  /** Anti-causal kernel (bidirectional), same shape as k: y[t] += sum_s kRev[s-1] u[t+s]. */
  kRev?: Tensor;
}

/**
 * Long convolution y = k * u (causal) [+ kRev ⋆ u (anti-causal)] [+ D u], computed with real
 * FFTs of length n >= 2L (linear, not circular). Differentiable in u, k, kRev and D.
 *
 * @param u input [B,H,L]
 * @param k kernel [H,L] (output [B,H,L]) or [C,H,L] (output [B,C,H,L])
 * @throws TypeError for a non-tensor, disposed tensor, unknown option or mixed devices;
 *   RangeError for wrong ranks or mismatched H, L or C.
 */
export function fftConv(u: Tensor, k: Tensor, options?: FftConvOptions): Tensor {
  checkTensor(u, 'u');
  checkTensor(k, 'k');
  const opts = checkOptions<FftConvOptions>(options, 'fftConv options', ['D', 'kRev']);
  const kRev = checkOptionalTensor(opts.kRev, 'kRev');
  const D = checkOptionalTensor(opts.D, 'D');
  checkRank(u, 'u', ['B,H,L']);
  checkRank(k, 'k', ['H,L', 'C,H,L']);
  const [B, H, L] = u.shape;
  const k3 = k.shape.length === 3;
  const C = k3 ? k.shape[0] : 1;
  const kShape = k3 ? [C, H, L] : [H, L];
  checkShape(k, 'k', kShape, `${k3 ? '[C,H,L]' : '[H,L]'} with H and L of u ${fmtShape(u.shape)}`);
  checkNonEmpty(u, 'u');
  checkNonEmpty(k, 'k');
  if (kRev) checkShape(kRev, 'kRev', kShape, "the shape of k");
  if (D) checkShape(D, 'D', kShape.slice(0, -1), k3 ? '[C,H] for k of shape [C,H,L]' : '[H] for k of shape [H,L]');
  checkSameDevice([['u', u], ['k', k], ['kRev', kRev], ['D', D]]);

  const { Kf } = native.fftconvKernelSpectrum({ k: k.storage, kRev: kRev?.storage ?? null, D: D?.storage ?? null, C, H, L });
  const kernelGrad = needsGrad(k, kRev, D);
  const { y: yStorage, Uf } = native.fftconvForward({ u: u.storage, Kf, B, C, H, L, saveUf: kernelGrad });
  const y = wrap(yStorage, k3 ? [B, C, H, L] : [B, H, L]);

  return record(y, 'fftConv', [u, k, kRev, D], (dy) => {
    const { du, dk, dkRev, dD } = native.fftconvBackward({
      dy: dy.storage, Kf, Uf, B, C, H, L,
      needDu: u.requiresGrad, needDk: k.requiresGrad, needDkRev: !!kRev?.requiresGrad, needDD: !!D?.requiresGrad,
    });
    return [
      du && wrap(du, u.shape),
      dk && wrap(dk, k.shape),
      dkRev && wrap(dkRev, kShape),
      dD && wrap(dD, kShape.slice(0, -1)),
    ];
  }, Uf ? [Kf, Uf] : [Kf]);
}

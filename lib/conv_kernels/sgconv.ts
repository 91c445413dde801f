// SGConv kernel (docs/MATH.md §3.3): multiscale sub-kernels upsampled, decayed, concatenated and
// normalised into one long convolution kernel, with its backward.
// Kernels: native/sgconv_cpu.cc and cuda/sgconv.cu, both behind native/sgconv.h.
import { needsGrad, record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import {
  checkNonEmpty, checkNonNegativeInt, checkNumber, checkOptionalTensor, checkOptions, checkPositiveInt, checkRank, checkSameDevice,
  checkShape, checkTensor, describe, rangeError, typeError,
} from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    /** norm null: computed (a new storage); otherwise read, and returned as given. */
    sgconvKernelForward(args: {
      subKernels: Storage[]; multiplier: Storage; norm: Maybe<Storage>;
      C: number; H: number; d: number; initScale: number; L: number;
    }): { out: Storage; norm: Storage };
    /** needs: one flag per sub-kernel; grads: its gradient, null where not needed. */
    sgconvKernelBackward(args: {
      dOut: Storage; multiplier: Storage; norm: Storage; needs: boolean[];
      C: number; H: number; d: number; initScale: number; L: number;
    }): { grads: Maybe<Storage>[] };
  }
}

/** The most sub-kernels one call takes (kSgconvMaxSubKernels in native/sgconv.h). */
const MAX_SUB_KERNELS = 32;
/** The longest untruncated concatenation d·2^(S−1+initScale) accepted (as the binding). */
const MAX_TOTAL_LENGTH = 2 ** 40;

/**
 * Options of `kernels.sgconv`: the decay, the upsampling scale and a frozen normaliser (the
 * layer `nn.SGConv` has its own, {@link nn.SGConvOptions}).
 */
export interface SGConvKernelOptions {
  /**
   * Decay base: sub-kernel i is scaled by multiplier[h]^(S−1−i). A number (default 2), a
   * number[] of length H or a tensor [H] on the sub-kernels' device. Never differentiated.
   */
  multiplier?: number | number[] | Tensor;
  /** Sub-kernel i is upsampled by 2^(max(0,i−1)+initScale). A non-negative integer, default 0. */
  initScale?: number;
  /**
   * The per-(c,h) normaliser, [C,H] (or [H] for 2-D sub-kernels), used as given: a constant, no
   * gradient flows into it. When omitted it is computed from this call's sub-kernels (and is
   * likewise a constant, as the reference's `.detach()`).
   */
  norm?: Tensor;
}

/** What `kernels.sgconv` returns: the kernel and the normaliser it used (keep it to freeze it). */
export interface SGConvKernelResult {
  /** The kernel, [C,H,L] (or [H,L] for 2-D sub-kernels). */
  kernel: Tensor;
  /** The norm used: the `norm` option itself, or a new tensor [C,H] (or [H]) when it was omitted. */
  norm: Tensor;
}

function multiplierStorage(multiplier: SGConvKernelOptions['multiplier'], H: number, ref: Tensor): Storage {
  if (multiplier instanceof Tensor) {
    checkTensor(multiplier, 'options.multiplier');
    checkShape(multiplier, 'options.multiplier', [H], 'H of the sub-kernels');
    checkSameDevice([['subKernels[0]', ref], ['options.multiplier', multiplier]]);
    return native.copyTo(multiplier.storage, ref.device); // ours, saved for backward
  }
  let values: number[];
  if (multiplier === undefined) values = new Array<number>(H).fill(2);
  else if (typeof multiplier === 'number') values = new Array<number>(H).fill(checkNumber(multiplier, 'options.multiplier'));
  else if (Array.isArray(multiplier)) {
    if (multiplier.length !== H) throw rangeError('options.multiplier', `${H} values (H of the sub-kernels)`, `${multiplier.length}`);
    values = multiplier.map((m, i) => checkNumber(m, `options.multiplier[${i}]`));
  } else throw typeError('options.multiplier', 'a number, a number[] or a Tensor', describe(multiplier));
  return native.fromArray(ref.device, Float32Array.from(values));
}

/**
 * The SGConv kernel. Sub-kernel i (i = 0..S−1) is upsampled by linear interpolation
 * (align_corners = false, as torch.nn.functional.interpolate(mode='linear')) by
 * s_i = 2^(max(0,i−1)+initScale), scaled by multiplier[h]^(S−1−i), the S pieces are concatenated
 * (length T = d·2^(S−1+initScale)), truncated or zero-padded to L, and each (c,h) row is divided
 * by its norm: the L2 norm of the untruncated concatenation (computed here when `norm` is
 * omitted; pass the returned `norm` back to freeze it, as the SGConv layer does after its first
 * forward). A zero norm gives non-finite values, as in the reference.
 * Differentiable in the sub-kernels only.
 *
 * @param subKernels S >= 1 tensors (at most 32), all [C,H,d] (or all [H,d], meaning C = 1), on
 *   one device. SGConv uses S = 1 + ceil(log2(Lmax/d)) − initScale.
 * @param L output length, a positive integer.
 * @returns `{ kernel: [C,H,L] (or [H,L]), norm: [C,H] (or [H]) }`
 * @throws TypeError for a non-array, a non-tensor or disposed tensor, an unknown option, a
 *   non-numeric multiplier or mixed devices; RangeError for an empty list, more than 32
 *   sub-kernels, differing shapes, a zero dimension, L <= 0, a negative initScale, a
 *   multiplier or norm of the wrong length/shape, or T > 2^40.
 */
export function sgconv(subKernels: Tensor[], L: number, options?: SGConvKernelOptions): SGConvKernelResult {
  if (!Array.isArray(subKernels)) throw typeError('subKernels', 'an array of Tensors', describe(subKernels));
  if (subKernels.length < 1 || subKernels.length > MAX_SUB_KERNELS) {
    throw rangeError('subKernels', `1 to ${MAX_SUB_KERNELS} sub-kernels`, `${subKernels.length}`);
  }
  subKernels.forEach((w, i) => checkTensor(w, `subKernels[${i}]`));
  const first = subKernels[0];
  checkRank(first, 'subKernels[0]', ['H,d', 'C,H,d']);
  subKernels.forEach((w, i) => checkShape(w, `subKernels[${i}]`, first.shape, 'the shape of subKernels[0]'));
  checkSameDevice(subKernels.map((w, i): [string, Tensor] => [`subKernels[${i}]`, w]));
  checkNonEmpty(first, 'subKernels[0]');
  checkPositiveInt(L, 'L');
  const opts = checkOptions<SGConvKernelOptions>(options, 'options', ['multiplier', 'initScale', 'norm']);
  const initScale = checkNonNegativeInt(opts.initScale, 'options.initScale', 0);

  const threeD = first.shape.length === 3;
  const [C, H, d] = threeD ? first.shape : [1, ...first.shape];
  const S = subKernels.length;
  const T = d * 2 ** (S - 1 + initScale);
  if (T > MAX_TOTAL_LENGTH) {
    throw rangeError('subKernels', 'a concatenated length d·2^(S−1+initScale) <= 2^40', `${T} (d=${d}, S=${S}, initScale=${initScale})`);
  }
  const normShape = threeD ? [C, H] : [H];
  const givenNorm = checkOptionalTensor(opts.norm, 'options.norm');
  if (givenNorm) {
    checkShape(givenNorm, 'options.norm', normShape, threeD ? '[C,H] for sub-kernels of shape [C,H,d]' : '[H] for sub-kernels of shape [H,d]');
    checkSameDevice([['subKernels[0]', first], ['options.norm', givenNorm]]);
  }
  const multiplier = multiplierStorage(opts.multiplier, H, first);

  let kernelStorage: Storage, normStorage: Storage;
  try {
    ({ out: kernelStorage, norm: normStorage } = native.sgconvKernelForward({
      subKernels: subKernels.map((w) => w.storage), multiplier, norm: givenNorm?.storage ?? null, C, H, d, initScale, L,
    }));
  } catch (e) {
    multiplier.dispose();
    throw e;
  }
  const kernel = wrap(kernelStorage, threeD ? [C, H, L] : [H, L]);
  const norm = givenNorm ?? wrap(normStorage, normShape);
  // Backward reads private copies, so the caller may dispose or reuse the norm and multiplier.
  const saved = needsGrad(...subKernels) ? [multiplier, native.copyTo(norm.storage, norm.device)] : [multiplier];
  record(kernel, 'sgconv', subKernels, (dOut) => {
    const { grads } = native.sgconvKernelBackward({
      dOut: dOut.storage, multiplier: saved[0], norm: saved[1], needs: subKernels.map((w) => w.requiresGrad), C, H, d, initScale, L,
    });
    return grads.map((g, i) => g && wrap(g, subKernels[i].shape));
  }, saved);
  return { kernel, norm };
}

// multiresConv (docs/MATH.md §2.4): the fading-tree multiresolution convolution, with its backward.
// Kernels: native/multires_cpu.cc and cuda/multires.cu, both behind native/multires.h.
import { needsGrad, record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkInteger, checkNonEmpty, checkOptions, checkRank, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    multiresForward(args: {
      x: Storage; h0: Storage; h1: Storage; w: Storage; B: number; H: number; L: number; k: number; J: number;
      saveLevels: boolean;
    }): { y: Storage; levels: Maybe<Storage> };
    multiresBackward(args: {
      dy: Storage; levels: Maybe<Storage>; h0: Storage; h1: Storage; w: Storage;
      B: number; H: number; L: number; k: number; J: number;
      needDx: boolean; needDh0: boolean; needDh1: boolean; needDw: boolean;
    }): { dx: Maybe<Storage>; dh0: Maybe<Storage>; dh1: Maybe<Storage>; dw: Maybe<Storage> };
  }
}

/** Options of {@link multiresConv} (the layer `nn.MultiresConv` has its own, {@link nn.MultiresConvOptions}). */
export interface MultiresConvOpOptions {
  /** Number of levels J, an integer in [0, multiresDepth(L, k)]; defaults to multiresDepth(L, k). */
  depth?: number;
}

/**
 * The default (and largest) depth of multiresConv for sequence length L and k >= 2 taps:
 * J = ceil(log2((L−1)/(k−1) + 1)), the fewest levels whose receptive field 1 + (k−1)(2^J − 1)
 * covers L (0 when L = 1). The weights w of multiresConv have J + 2 columns.
 * @throws TypeError unless L and k are integers; RangeError unless L >= 1 and k >= 2.
 */
export function multiresDepth(L: number, k: number): number {
  checkInteger(L, 'L', { min: 1 });
  checkInteger(k, 'k', { min: 2 });
  let J = 0;
  while ((k - 1) * (2 ** J - 1) < L - 1) J++;
  return J;
}

/**
 * MultiresConv's fading-tree convolution (docs/MATH.md §2.4), the pre-activation output. With the
 * depthwise causal dilated cross-correlation conv(x,h,d)[t] = Σ_j h[j] x[t − (k−1−j)·d]
 * (h[k−1] on the newest sample, zero before t = 0):
 *
 *     lo = x; y = 0; d = 1
 *     for i = J down to 1: y += w[:,i]·conv(lo,h1,d); lo = conv(lo,h0,d); d *= 2
 *     y += w[:,0]·lo + w[:,J+1]·x
 *
 * Direct sums, no FFT: time and memory O(L·J·k) per row. Differentiable in x, h0, h1 and w;
 * when h0, h1 or w needs a gradient the forward pass keeps every level's lo ([J+1,B,H,L]
 * floats) until backward.
 *
 * @param x input [B,H,L]
 * @param h0 low-pass taps [H,k], k >= 2, shared by every level
 * @param h1 high-pass taps [H,k] (the shape of h0)
 * @param w level weights [H,J+2]: column i weighs level i's output (i = J is the finest),
 *   column 0 the coarsest lo, column J+1 the skip x
 * @param options depth: J, an integer in [0, multiresDepth(L, k)] (default multiresDepth(L, k))
 * @returns y [B,H,L] on the device of x (all inputs must share it)
 * @throws TypeError for a non-tensor, disposed tensor, unknown option, non-integer depth or
 *   mixed devices; RangeError for a wrong rank, mismatched H, k < 2, h1 not shaped like h0,
 *   a negative or too large depth, w not [H,J+2], or an empty dimension.
 */
export function multiresConv(x: Tensor, h0: Tensor, h1: Tensor, w: Tensor, options?: MultiresConvOpOptions): Tensor {
  checkTensor(x, 'x');
  checkTensor(h0, 'h0');
  checkTensor(h1, 'h1');
  checkTensor(w, 'w');
  const opts = checkOptions<MultiresConvOpOptions>(options, 'options', ['depth']);
  checkRank(x, 'x', ['B,H,L']);
  checkRank(h0, 'h0', ['H,k']);
  const [B, H, L] = x.shape;
  checkNonEmpty(x, 'x');
  const k = h0.shape[1];
  checkShape(h0, 'h0', [H, k], `[H,k] with H of x ${fmtShape(x.shape)}`);
  if (k < 2) throw rangeError('h0', 'k >= 2 taps ([H,k])', `shape ${fmtShape(h0.shape)}`);
  checkShape(h1, 'h1', h0.shape, 'the shape of h0');
  const maxDepth = multiresDepth(L, k);
  const J = opts.depth === undefined ? maxDepth : checkInteger(opts.depth, 'options.depth', { min: 0 });
  if (J > maxDepth) throw rangeError('options.depth', `an integer in [0, ${maxDepth}] (multiresDepth(L = ${L}, k = ${k}))`, String(J));
  checkShape(w, 'w', [H, J + 2], `[H,J+2] with J=${J} for L=${L}, k=${k}${opts.depth === undefined ? ' (the default depth)' : ''}`);
  checkSameDevice([['x', x], ['h0', h0], ['h1', h1], ['w', w]]);

  const kernelGrad = needsGrad(h0, h1, w);
  const { y: yStorage, levels } = native.multiresForward({
    x: x.storage, h0: h0.storage, h1: h1.storage, w: w.storage, B, H, L, k, J, saveLevels: kernelGrad,
  });
  const y = wrap(yStorage, [B, H, L]);

  return record(y, 'multiresConv', [x, h0, h1, w], (dy) => {
    const { dx, dh0, dh1, dw } = native.multiresBackward({
      dy: dy.storage, levels, h0: h0.storage, h1: h1.storage, w: w.storage, B, H, L, k, J,
      needDx: x.requiresGrad, needDh0: h0.requiresGrad, needDh1: h1.requiresGrad, needDw: w.requiresGrad,
    });
    return [dx && wrap(dx, x.shape), dh0 && wrap(dh0, h0.shape), dh1 && wrap(dh1, h1.shape), dw && wrap(dw, w.shape)];
  }, levels ? [levels] : []);
}

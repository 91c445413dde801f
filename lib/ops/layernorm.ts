// layerNorm over one axis, forward and backward (native/layernorm.h): x is seen as
// [outer, n, inner] around the normalised axis, so no transpose is needed.
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { numelOf, Tensor, wrap } from '../tensor';
import { checkAxis, checkNumber, checkOptionalTensor, checkOptions, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    layerNormForward(args: {
      x: Storage; weight: Maybe<Storage>; bias: Maybe<Storage>; outer: number; n: number; inner: number; eps: number;
    }): { y: Storage; mean: Storage; rstd: Storage };
    layerNormBackward(args: {
      x: Storage; weight: Maybe<Storage>; mean: Storage; rstd: Storage; dy: Storage; outer: number; n: number; inner: number;
      needDx: boolean; needDweight: boolean; needDbias: boolean;
    }): { dx: Maybe<Storage>; dweight: Maybe<Storage>; dbias: Maybe<Storage> };
  }
}

/** Options of {@link layerNorm} (the module `nn.LayerNorm` has its own, {@link nn.LayerNormOptions}). */
export interface LayerNormOpOptions {
  /** The normalised axis (default -1): 1 for the channels of [B,H,L], -1 for those of [B,L,H]. */
  axis?: number;
  /** Added to the variance (default 1e-5); a number >= 0. */
  eps?: number;
}

/**
 * Layer normalisation over ONE axis of x: y = (x − mean) / sqrt(var + eps) · weight + bias,
 * with the mean and (biased) variance taken along `axis` for every other index. Differentiable
 * in x, weight and bias.
 * @param x any shape with at least one dimension, size >= 1 along `axis`
 * @param weight optional scale [size of axis] (omitted: 1)
 * @param bias optional shift [size of axis] (omitted: 0)
 * @throws TypeError for a non-tensor or disposed tensor, mixed devices, an unknown option or
 *   a non-numeric eps; RangeError for an axis out of range, a zero-size axis, weight or bias
 *   of the wrong shape, or a negative eps.
 */
export function layerNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, options?: LayerNormOpOptions): Tensor {
  checkTensor(x, 'x');
  const w = checkOptionalTensor(weight, 'weight');
  const b = checkOptionalTensor(bias, 'bias');
  const opts = checkOptions<LayerNormOpOptions>(options, 'options', ['axis', 'eps']);
  const ax = checkAxis(opts.axis, x.shape.length, 'options.axis', -1);
  const eps = checkNumber(opts.eps, 'options.eps', { min: 0 }, 1e-5);
  const n = x.shape[ax];
  if (n < 1) throw rangeError('x', `size >= 1 along axis ${ax}`, `shape ${fmtShape(x.shape)}`);
  if (w) checkShape(w, 'weight', [n], `the size of axis ${ax} of x ${fmtShape(x.shape)}`);
  if (b) checkShape(b, 'bias', [n], `the size of axis ${ax} of x ${fmtShape(x.shape)}`);
  checkSameDevice([['x', x], ['weight', w], ['bias', b]]);

  const outer = numelOf(x.shape.slice(0, ax));
  const inner = numelOf(x.shape.slice(ax + 1));
  return normalizeMiddle(x, outer, n, inner, w, b, eps).y;
}

/**
 * @internal Layer normalisation of x seen as [outer, n, inner] over its middle axis (sizes,
 * devices and the affine shapes [n] checked by the caller). With `stats`, also copies of the
 * statistics of each (outer, inner) row — mean and 1/sqrt(var + eps), [outer·inner], outside
 * the graph — which batchNorm reads for its running statistics.
 */
export function normalizeMiddle(x: Tensor, outer: number, n: number, inner: number, w: Tensor | null, b: Tensor | null, eps: number, stats = false): { y: Tensor; mean?: Tensor; rstd?: Tensor } {
  const { y, mean, rstd } = native.layerNormForward({
    x: x.storage, weight: w?.storage ?? null, bias: b?.storage ?? null, outer, n, inner, eps,
  });
  // Copied before record(), which frees the saved statistics at once when no gradient is needed.
  const copies = stats ? { mean: wrap(native.copyTo(mean, x.device), [outer * inner]), rstd: wrap(native.copyTo(rstd, x.device), [outer * inner]) } : {};
  const out = record(wrap(y, x.shape), 'layerNorm', [x, w, b], (g) => {
    const { dx, dweight: dw, dbias: db } = native.layerNormBackward({
      x: x.storage, weight: w?.storage ?? null, mean, rstd, dy: g.storage, outer, n, inner,
      needDx: x.requiresGrad, needDweight: !!w?.requiresGrad, needDbias: !!b?.requiresGrad,
    });
    return [dx && wrap(dx, x.shape), dw && wrap(dw, [n]), db && wrap(db, [n])];
  }, [mean, rstd]);
  return { y: out, ...copies };
}

// dropout, embedding and maskedMeanPool, forward and backward (native/nn.h).
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { currentBatchOffset, uniformGenerator } from '../random';
import { ones, Tensor, tidy, wrap } from '../tensor';
import { checkBoolean, checkNonEmpty, checkOptionalTensor, checkOptions, checkProbability, checkRank, checkSameDevice, checkSeed, checkShape, checkTensor, fmtShape, rangeError } from '../validate';
import { mul } from './elementwise';
import { unaryKernel, UnaryOp } from './primitives';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    dropout(args: { x: Storage; n: number; first: number; seed: number; p: number }): { out: Storage };
    embeddingForward(args: { indices: Storage; weight: Storage; n: number; V: number; D: number }): { out: Storage };
    embeddingBackward(args: { indices: Storage; dy: Storage; n: number; V: number; D: number }): { dweight: Storage };
    maskedMeanPoolForward(args: { x: Storage; mask: Maybe<Storage>; B: number; H: number; L: number }): { out: Storage };
    maskedMeanPoolBackward(args: { dy: Storage; mask: Maybe<Storage>; B: number; H: number; L: number }): { dx: Storage };
  }
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Apply dropout (default true); false gives a copy of x. */
  training?: boolean;
  /** Integer seed in [0, 2^53) of the mask; omitted: drawn from the global generator (lc.seed). */
  seed?: number;
  /**
   * One mask value per row along the last axis (default false): for [B, H, L], whole channels
   * of an example are kept or dropped (torch's Dropout1d, the S4 repository's tie_dropout).
   */
  tied?: boolean;
}

/**
 * Inverted dropout: each element is zeroed with probability p and the others are scaled by
 * 1 / (1 − p). The mask is a counter-based hash of (seed, element index), so a seed gives the
 * same mask on the CPU and CUDA backends (and the backward pass recomputes it: nothing saved).
 * Inside lc.withBatchOffset(o, ...), x (axis 0: samples) is taken as samples o, o + 1, … of a
 * larger batch and each element hashes its index there.
 * With training false or p = 0 the result is a copy of x. Any shape and device.
 * @param p drop probability in [0, 1)
 * @throws TypeError for a non-tensor or disposed x, a non-number p, an unknown option, a
 *   non-boolean training or a non-integer seed; RangeError for p outside [0, 1) or a negative seed.
 */
export function dropout(x: Tensor, p: number, options?: DropoutOptions): Tensor {
  checkTensor(x, 'x');
  checkProbability(p, 'p');
  const opts = checkOptions<DropoutOptions>(options, 'options', ['training', 'seed', 'tied']);
  const training = checkBoolean(opts.training, 'options.training', true);
  const tied = checkBoolean(opts.tied, 'options.tied', false);
  if (opts.seed !== undefined) checkSeed(opts.seed, 'options.seed');
  if (!training || p === 0) {
    const copy = (t: Tensor) => wrap(unaryKernel(UnaryOp.affine, t), t.shape);
    return record(copy(x), 'dropout', [x], (g) => [copy(g)]);
  }
  const seed = opts.seed ?? Math.floor(uniformGenerator()() * 2 ** 32);
  // Tied: a dropped-out mask of ones with the last axis 1, broadcast along it.
  if (tied && x.shape.length > 1) return tidy(() => mul(x, dropout(ones([...x.shape.slice(0, -1), 1], { device: x.device }), p, { seed })));
  // x is samples [offset, offset + B) of the whole batch (lc.withBatchOffset): index its elements there.
  const first = x.shape.length === 0 || x.size === 0 ? 0 : currentBatchOffset() * (x.size / x.shape[0]);
  const apply = (t: Tensor) => wrap(native.dropout({ x: t.storage, n: t.size, first, seed, p }).out, t.shape);
  return record(apply(x), 'dropout', [x], (g) => [apply(g)]);
}

/**
 * Embedding lookup: out[..., :] = weight[indices[...], :].
 * @param indices integer values in [0, V) stored in a float32 tensor of any shape [...]
 * @param weight [V, D], on the device of indices
 * @returns [..., D]. Differentiable in weight (the gradient sums the rows of each index in a
 *   fixed order: deterministic on both backends); indices get no gradient.
 * @throws TypeError for a non-tensor or disposed tensor or mixed devices; RangeError for a
 *   weight that is not 2-D, or an index that is not an integer in [0, V) (naming the first
 *   such index and its position). The check reads the indices on the host.
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkTensor(indices, 'indices');
  checkTensor(weight, 'weight');
  checkRank(weight, 'weight', ['V,D']);
  checkSameDevice([['indices', indices], ['weight', weight]]);
  const [V, D] = weight.shape;
  const values = indices.toFloat32Array();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) {
      throw rangeError(`indices (flat position ${i})`, `an integer in [0, ${V}) (V = the rows of weight ${fmtShape(weight.shape)})`, String(v));
    }
  }
  const n = indices.size;
  const out = wrap(native.embeddingForward({ indices: indices.storage, weight: weight.storage, n, V, D }).out, [...indices.shape, D]);
  return record(out, 'embedding', [indices, weight], (g) => [
    null,
    weight.requiresGrad ? wrap(native.embeddingBackward({ indices: indices.storage, dy: g.storage, n, V, D }).dweight, weight.shape) : null,
  ]);
}

/**
 * Mean over the valid positions of a sequence batch: out[b, h] = Σ_l x[b, h, l]·mask[b, l] /
 * Σ_l mask[b, l] (mask 1 = valid, 0 = padding; other values act as weights). Without a mask,
 * the mean over all L positions. A row whose mask sums to 0 gives 0. Differentiable in x.
 * @param x [B, H, L]
 * @param mask optional [B, L], on the device of x
 * @returns [B, H]
 * @throws TypeError for a non-tensor or disposed tensor or mixed devices; RangeError for
 *   wrong ranks, a mask shape other than [B, L], or a zero-size dimension.
 */
export function maskedMeanPool(x: Tensor, mask?: Tensor | null): Tensor {
  checkTensor(x, 'x');
  const m = checkOptionalTensor(mask, 'mask');
  checkRank(x, 'x', ['B,H,L']);
  const [B, H, L] = x.shape;
  checkNonEmpty(x, 'x');
  if (m) checkShape(m, 'mask', [B, L], `[B,L] of x ${fmtShape(x.shape)}`);
  checkSameDevice([['x', x], ['mask', m]]);
  const out = wrap(native.maskedMeanPoolForward({ x: x.storage, mask: m?.storage ?? null, B, H, L }).out, [B, H]);
  return record(out, 'maskedMeanPool', [x, m], (g) => [
    x.requiresGrad ? wrap(native.maskedMeanPoolBackward({ dy: g.storage, mask: m?.storage ?? null, B, H, L }).dx, x.shape) : null,
    null,
  ]);
}

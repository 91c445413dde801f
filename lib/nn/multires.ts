// The MultiresConv layer (SPEC §2): the fading-tree multiresolution convolution → GELU → dropout.
import { checkPositiveInt } from '../errors';
import { gelu } from '../ops/activations';
import { multiresConv, multiresDepth } from '../ops/multires';
import { dropout } from '../ops/nn';
import { checkOptions } from '../ops/options';
import { narrow, pad } from '../ops/shape';
import { Tensor, tidy } from '../tensor';
import { checkLayerInput, checkProbability, checkSeed, drawSeed, Layer, uniformTensor } from './layer_utils';

/** Options of the {@link MultiresConv} layer (`lMax` is required). */
export interface MultiresConvLayerOptions {
  /** Taps k of the shared filters h0, h1 (>= 2), default 2. */
  kernelSize?: number;
  /** The longest sequence: the tree depth J = multiresDepth(lMax, k) covers it. Required. */
  lMax: number;
  /** Dropout probability after the GELU, default 0. */
  dropout?: number;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/**
 * The MultiresConv layer: maps x [B,H,L] → [B,H,L], L <= lMax, by multiresConv with depth
 * J = multiresDepth(lMax, kernelSize), then GELU and dropout. A shorter input is zero-padded at
 * its end to lMax and the output cut back to L: the tree is causal, so this equals running the
 * depth-J tree on the short input itself (the coarse levels just see zeros, as in the
 * reference, whose depth is fixed by the maximum length too).
 *
 * Parameters (all group 'ssm'): `h0`, `h1` [H,k] ~ U(−1,1)·sqrt(2/(2k)) (fan-in scaled, the two
 * filters sharing the fan-in 2k), `w` [H,J+2] ~ U(−1,1)·sqrt(2/(2(J+2))) (the reference's
 * sqrt(2/(2m+2)) with m = J+1 memory levels; each output mixes J+2
 * levels).
 */
export class MultiresConv extends Layer {
  /** The feature count H of the input and output [B, H, L]. */
  readonly H: number;
  /** Taps k of the filters h0, h1. */
  readonly kernelSize: number;
  /** The longest sequence the tree covers; longer inputs are rejected. */
  readonly lMax: number;
  /** Tree depth J. */
  readonly depth: number;
  /** Dropout probability after the GELU (training mode only). */
  readonly dropoutP: number;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option, a missing lMax;
   *   RangeError for H < 1, kernelSize < 2, lMax < 1 or a dropout outside [0,1).
   */
  constructor(H: number, options: MultiresConvLayerOptions) {
    super();
    const opts = checkOptions<MultiresConvLayerOptions>(options, 'MultiresConv options', ['kernelSize', 'lMax', 'dropout', 'seed']);
    this.H = checkPositiveInt(H, 'H');
    if (opts.lMax === undefined) throw new TypeError('options.lMax: required (it sets the tree depth)');
    this.lMax = checkPositiveInt(opts.lMax, 'options.lMax');
    this.kernelSize = checkPositiveInt(opts.kernelSize ?? 2, 'options.kernelSize');
    if (this.kernelSize < 2) throw new RangeError(`options.kernelSize: expected an integer >= 2, got ${this.kernelSize}`);
    this.dropoutP = checkProbability(opts.dropout ?? 0, 'options.dropout');
    const seed = checkSeed(opts.seed);
    const k = this.kernelSize;
    this.depth = multiresDepth(this.lMax, k);
    const filterBound = Math.sqrt(2 / (2 * k));
    this.registerParameter('h0', uniformTensor([H, k], filterBound, drawSeed(seed, 0)), 'ssm');
    this.registerParameter('h1', uniformTensor([H, k], filterBound, drawSeed(seed, 1)), 'ssm');
    this.registerParameter('w', uniformTensor([H, this.depth + 2], Math.sqrt(2 / (2 * (this.depth + 2))), drawSeed(seed, 2)), 'ssm');
  }

  /**
   * x [B,H,L] → [B,H,L].
   * @throws TypeError for a non-tensor or disposed input; RangeError for a rank other than 3, a
   *   width other than H, an empty dimension, or L > lMax.
   */
  forward(x: Tensor): Tensor {
    const [, , L] = checkLayerInput(x, this.H, this.device, 'MultiresConv layer');
    if (L > this.lMax) throw new RangeError(`x: sequence length L = ${L} exceeds lMax = ${this.lMax} of this MultiresConv layer (the tree depth covers lMax)`);
    return tidy(() => {
      const padded = L < this.lMax ? pad(x, 2, 0, this.lMax - L) : x;
      let y = multiresConv(padded, this.own('h0'), this.own('h1'), this.own('w'), { depth: this.depth });
      if (L < this.lMax) y = narrow(y, 2, 0, L);
      y = gelu(y);
      return this.dropoutP > 0 && this.training ? dropout(y, this.dropoutP, { training: true }) : y;
    });
  }
}

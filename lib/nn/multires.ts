// The MultiresConv layer (docs/MATH.md §3.4): the fading-tree multiresolution convolution →
// GELU → dropout (the 1×1 convolution and GLU after it are the residual block's mixing).
import { multiresConv, multiresDepth } from '../ops/multires';
import { narrow, pad } from '../ops/shape';
import { Tensor } from '../tensor';
import { checkInteger, checkOptions } from '../validate';
import { LongConvLayer } from './long_conv_layer';
import { seedStream, uniformTensor } from './module';

/** Options of the {@link MultiresConv} layer (`lMax` is required). */
export interface MultiresConvOptions {
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
export class MultiresConv extends LongConvLayer {
  /** Taps k of the filters h0, h1. */
  readonly kernelSize: number;
  /** The longest sequence the tree covers; longer inputs are rejected. */
  declare readonly lMax: number;
  /** Tree depth J. */
  readonly depth: number;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option, a missing lMax;
   *   RangeError for H < 1, kernelSize < 2, lMax < 1 or a dropout outside [0,1).
   */
  constructor(H: number, options: MultiresConvOptions) {
    const opts = checkOptions<MultiresConvOptions>(options, 'MultiresConv options', ['kernelSize', 'lMax', 'dropout', 'seed']);
    super(H, opts, 'limits the input');
    const k = (this.kernelSize = checkInteger(opts.kernelSize, 'options.kernelSize', { min: 2 }, 2));
    const seeds = seedStream(opts.seed);
    this.depth = multiresDepth(this.lMax, k);
    const filterBound = Math.sqrt(2 / (2 * k));
    this.registerParameter('h0', uniformTensor([H, k], filterBound, seeds()), 'ssm');
    this.registerParameter('h1', uniformTensor([H, k], filterBound, seeds()), 'ssm');
    this.registerParameter('w', uniformTensor([H, this.depth + 2], Math.sqrt(2 / (2 * (this.depth + 2))), seeds()), 'ssm');
  }

  /** The depth-J tree over x zero-padded to lMax, cut back to L (no output linear follows). */
  protected override convolve(x: Tensor, L: number): Tensor {
    const padded = L < this.lMax ? pad(x, 2, 0, this.lMax - L) : x;
    const y = multiresConv(padded, this.own('h0'), this.own('h1'), this.own('w'), { depth: this.depth });
    return L < this.lMax ? narrow(y, 2, 0, L) : y;
  }
}

// The MultiresConv layer (docs/MATH.md §3.4): the fading-tree multiresolution convolution →
// GELU → dropout (the 1×1 convolution and GLU after it are the residual block's mixing).
import { add } from '../ops/elementwise';
import { flip } from '../ops/flip';
import { multiresConv, multiresDepth } from '../ops/multires';
import { narrow, pad } from '../ops/shape';
import { Tensor, tensor } from '../tensor';
import { checkBoolean, checkInteger, checkOptions } from '../validate';
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
  /** Share the dropout mask along L (one value per example and channel; the S4 repository's tie_dropout). Default false. */
  tiedDropout?: boolean;
  /** Add an anti-causal tree (its own filters, run on the reversed sequence). Default false. */
  bidirectional?: boolean;
  /** Initialise the skip weight w[:, J+1] by U(−1, 1), independent of the tree size (the reference's --indep_res_init). Default false. */
  independentSkipInit?: boolean;
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
 * sqrt(2/(2m+2)) with m = J+1 memory levels; each output mixes J+2 levels; with
 * independentSkipInit the skip column w[:, J+1] ~ U(−1,1)). Bidirectional layers add the
 * anti-causal tree's `h0_rev`, `h1_rev`, `w_rev` (initialised alike): its output at t mixes
 * x[t], x[t+1], …, computed as flip(tree(flip(x))), and adds to the causal tree's.
 */
export class MultiresConv extends LongConvLayer {
  /** Taps k of the filters h0, h1. */
  readonly kernelSize: number;
  /** The longest sequence the tree covers; longer inputs are rejected. */
  declare readonly lMax: number;
  /** Tree depth J. */
  readonly depth: number;
  /** Whether an anti-causal tree adds to the causal one. */
  readonly bidirectional: boolean;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option, a missing lMax;
   *   RangeError for H < 1, kernelSize < 2, lMax < 1 or a dropout outside [0,1).
   */
  constructor(H: number, options: MultiresConvOptions) {
    const opts = checkOptions<MultiresConvOptions>(options, 'MultiresConv options', ['kernelSize', 'lMax', 'dropout', 'tiedDropout', 'bidirectional', 'independentSkipInit', 'seed']);
    super(H, opts, 'limits the input');
    const k = (this.kernelSize = checkInteger(opts.kernelSize, 'options.kernelSize', { min: 2 }, 2));
    this.bidirectional = checkBoolean(opts.bidirectional, 'options.bidirectional', false);
    const independentSkip = checkBoolean(opts.independentSkipInit, 'options.independentSkipInit', false);
    const seeds = seedStream(opts.seed);
    this.depth = multiresDepth(this.lMax, k);
    const filterBound = Math.sqrt(2 / (2 * k));
    for (const suffix of this.bidirectional ? ['', '_rev'] : ['']) {
      this.registerParameter(`h0${suffix}`, uniformTensor([H, k], filterBound, seeds()), 'ssm');
      this.registerParameter(`h1${suffix}`, uniformTensor([H, k], filterBound, seeds()), 'ssm');
      const J2 = this.depth + 2;
      const w = uniformTensor([H, J2], Math.sqrt(2 / (2 * J2)), seeds());
      if (!independentSkip) this.registerParameter(`w${suffix}`, w, 'ssm');
      else {
        const values = w.toFloat32Array();
        uniformTensor([H], 1, seeds()).toFloat32Array().forEach((v, h) => (values[h * J2 + J2 - 1] = v));
        w.dispose();
        this.registerParameter(`w${suffix}`, tensor(values, [H, J2]), 'ssm');
      }
    }
  }

  /** The depth-J tree over x zero-padded to lMax, cut back to L (no output linear follows); plus the anti-causal tree. */
  protected override convolve(x: Tensor, L: number): Tensor {
    const tree = (u: Tensor, suffix: string) => {
      const padded = L < this.lMax ? pad(u, 2, 0, this.lMax - L) : u;
      const y = multiresConv(padded, this.own(`h0${suffix}`), this.own(`h1${suffix}`), this.own(`w${suffix}`), { depth: this.depth });
      return L < this.lMax ? narrow(y, 2, 0, L) : y;
    };
    const causal = tree(x, '');
    return this.bidirectional ? add(causal, flip(tree(flip(x, 2), '_rev'), 2)) : causal;
  }
}

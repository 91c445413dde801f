// The SGConv layer (docs/MATH.md §3.3): the multiscale SGConv kernel → fftConv (+D, optionally
// bidirectional) → GELU → dropout → Linear(channels·H → H) (or → 2H and GLU).
import { sgconv } from '../conv_kernels/sgconv';
import { randn, Tensor, tensor, zeros } from '../tensor';
import { checkBoolean, checkNonNegativeInt, checkNumber, checkOptions, checkPositiveInt, typeError } from '../validate';
import { convolveWithKernel, LongConvLayer } from './long_conv_layer';
import { Module, seedStream } from './module';

/** Options of the {@link SGConv} layer (`lMax` is required). */
export interface SGConvOptions {
  /** Length d of each sub-kernel, default 64. */
  kernelDim?: number;
  /** The longest sequence the kernel is built for (sets the number of scales). Required. */
  lMax: number;
  /** Kernels per feature, default 1; the output linear mixes channels·H features. */
  channels?: number;
  /**
   * The decay multiplier: sub-kernel i of feature h is scaled by m_h^(S−1−i). A number (every
   * feature; default 2, α = 1/2) or [min, max]: m_h evenly spaced from min to max over the H
   * features, as the reference GConv's decay_min, decay_max.
   */
  decay?: number | [number, number];
  /** Sub-kernel i is upsampled by 2^(max(0,i−1)+initScale); default 0. */
  initScale?: number;
  /** Adds an anti-causal kernel (twice the sub-kernel rows). */
  bidirectional?: boolean;
  /** Dropout probability after the GELU, default 0. */
  dropout?: number;
  /** Share the dropout mask along L (one value per example and channel; the S4 repository's tie_dropout). Default false. */
  tiedDropout?: boolean;
  /** Output linear to 2H followed by GLU (instead of straight to H), default false. */
  glu?: boolean;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/**
 * The SGConv layer: maps u [B,H,L] → [B,H,L] with a multiscale kernel of O(log lMax) parameters.
 *
 * Parameters (C' = channels, twice that when bidirectional): `kernel_list.{i}` [C',H,kernelDim]
 * for i < S = max(1, 1 + ceil(log2(lMax/kernelDim)) − initScale) (group 'ssm', N(0,1) init),
 * `D` [channels,H] ('noDecay', N(0,1)), `output_linear.weight` [H (2H with glu), channels·H] and
 * `output_linear.bias` ('noDecay'), initialised as torch's Linear. Buffers: `kernel_norm` [C',H],
 * the per-row L2 norm of the untruncated kernel, computed at the first forward and then frozen
 * (all zeros means "not computed yet", also after loading such a state dict), and `multiplier`
 * [H], the per-feature decay (from options.decay).
 *
 * Any L works: the kernel (of length kernelDim·2^(S−1+initScale) >= lMax) is truncated or
 * zero-padded to L.
 */
export class SGConv extends LongConvLayer {
  /** Length d of each sub-kernel. */
  readonly kernelDim: number;
  /** The longest sequence the kernel was built for (sets the number of scales); any L is accepted. */
  declare readonly lMax: number;
  /** Kernels per feature. */
  readonly channels: number;
  /** The decay multipliers' range [min, max] over the features (equal ends: one multiplier). */
  readonly decay: [number, number];
  /** Upsampling offset: sub-kernel i is upsampled by 2^(max(0,i−1)+initScale). */
  readonly initScale: number;
  /** Whether the layer also has an anti-causal kernel. */
  readonly bidirectional: boolean;
  /** Whether the output linear goes to 2H followed by GLU. */
  readonly glu: boolean;
  /** Number of sub-kernels S. */
  readonly numScales: number;
  private normFrozen: boolean;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option, a missing lMax;
   *   RangeError for sizes < 1, a negative initScale, a non-positive decay or a dropout
   *   outside [0,1).
   */
  constructor(H: number, options: SGConvOptions) {
    const opts = checkOptions<SGConvOptions>(options, 'SGConv options', ['kernelDim', 'lMax', 'channels', 'decay', 'initScale', 'bidirectional', 'dropout', 'tiedDropout', 'glu', 'seed']);
    super(H, opts, 'sets the scales');
    this.normFrozen = false;
    this.kernelDim = checkPositiveInt(opts.kernelDim, 'options.kernelDim', 64);
    this.channels = checkPositiveInt(opts.channels, 'options.channels', 1);
    const decay = opts.decay === undefined ? 2 : opts.decay;
    if (Array.isArray(decay) && decay.length !== 2) throw typeError('options.decay', 'a number or [min, max]', `an array of ${decay.length}`);
    const ends = Array.isArray(decay) ? decay : [decay, decay];
    const positive = { min: 0, minExclusive: true };
    this.decay = ends.map((v, i) => checkNumber(v, ends === decay ? `options.decay[${i}]` : 'options.decay', positive)) as [number, number];
    this.initScale = checkNonNegativeInt(opts.initScale, 'options.initScale', 0);
    this.bidirectional = checkBoolean(opts.bidirectional, 'options.bidirectional', false);
    this.glu = checkBoolean(opts.glu, 'options.glu', false);
    const seeds = seedStream(opts.seed);
    this.numScales = Math.max(1, 1 + Math.ceil(Math.log2(this.lMax / this.kernelDim)) - this.initScale);

    const rows = this.channels * (this.bidirectional ? 2 : 1);
    for (let i = 0; i < this.numScales; i++) {
      this.registerParameter(`kernel_list.${i}`, randn([rows, H, this.kernelDim], { seed: seeds() }), 'ssm');
    }
    this.registerParameter('D', randn([this.channels, H], { seed: seeds() }), 'noDecay');
    this.registerOutputLinear('output_linear.', this.channels * H, this.glu ? 2 * H : H, false, this.glu, seeds);
    this.registerBuffer('kernel_norm', zeros([rows, H]));
    // Per-feature multipliers (a buffer, as the reference's `multiplier`), linspace(min, max, H).
    const [lo, hi] = this.decay;
    this.registerBuffer('multiplier', tensor(Float32Array.from({ length: H }, (_, h) => (H === 1 ? lo : lo + ((hi - lo) * h) / (H - 1))), [H]));
  }

  /** Whether `kernel_norm` holds the norm (computed at the first forward, or loaded). */
  get normInitialized(): boolean {
    return !this.own('kernel_norm').toFloat32Array().every((v) => v === 0);
  }

  /** Loads as Module.loadStateDict; a loaded `kernel_norm` of zeros is computed at the next forward. */
  override loadStateDict(...args: Parameters<Module['loadStateDict']>): void {
    super.loadStateDict(...args);
    this.normFrozen = false;
  }

  /**
   * The kernel [C',H,L]. The first call computes the norm and freezes it in `kernel_norm`
   * (unless a loaded state dict already holds one); later calls divide by that frozen norm.
   */
  kernel(L: number): Tensor {
    const subKernels = Array.from({ length: this.numScales }, (_, i) => this.own(`kernel_list.${i}`));
    const options = { multiplier: this.own('multiplier'), initScale: this.initScale };
    if (!this.normFrozen && !this.normInitialized) {
      const { kernel, norm } = sgconv(subKernels, L, options);
      this.replaceTensor('kernel_norm', norm);
      this.normFrozen = true;
      return kernel;
    }
    this.normFrozen = true;
    return sgconv(subKernels, L, { ...options, norm: this.own('kernel_norm') }).kernel;
  }

  protected override convolve(x: Tensor, L: number): Tensor {
    return convolveWithKernel(x, this.kernel(L), this.own('D'), this.channels, this.bidirectional);
  }
}

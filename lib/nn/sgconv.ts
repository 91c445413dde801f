// The SGConv layer (docs/MATH.md §3.3): the multiscale SGConv kernel (optionally times a fixed
// power-law decay) → fftConv (+D, optionally bidirectional) → GELU → dropout →
// Linear(channels·H → H) (or → 2H and GLU).
import { noGrad } from '../autograd';
import { sgconv } from '../conv_kernels/sgconv';
import { div, exp, mul, neg, sqrt, square } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { narrow, pad, reshape } from '../ops/shape';
import { uniformGenerator } from '../random';
import { ones, randn, Tensor, tensor, tidy, zeros } from '../tensor';
import { Bounds, checkBoolean, checkNonNegativeInt, checkNumber, checkOneOf, checkOptions, checkPositiveInt, rangeError, typeError } from '../validate';
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
  /**
   * How the sub-kernels start: 'randn' (default; N(0,1) entries, GConv's mode cat_randn) or
   * 'cos' (GConv's cat_cos): row (c,h) of sub-kernel i is cos(2π·k·j/(kernelDim−1)), j = 0 ..
   * kernelDim−1, where k = π_i(h) for a random permutation π_i of 0..H−1 drawn per sub-kernel
   * (the same for every channel row).
   */
  init?: 'randn' | 'cos';
  /**
   * A fixed power-law decay (GConv's mode *_learnable_fixed): the untruncated kernel is
   * multiplied by (t + 1)^(−a_h) at position t before it is normalised, truncated or padded.
   * A number a (every feature) or [min, max]: a_h ~ U(min, max) per feature, drawn once (the
   * buffer `decay`). Exponents >= 0. Default: none. (GConv's learnable modes also fix the
   * multiplier at 1: give `decay: 1` with it to match them.)
   */
  powerDecay?: number | [number, number];
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
 * (all zeros means "not computed yet", also after loading such a state dict), `multiplier`
 * [H], the per-feature decay (from options.decay), and with options.powerDecay `decay` [H], the
 * per-feature power-law exponents.
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
  /** How the sub-kernels started. */
  readonly init: 'randn' | 'cos';
  /** The power-law exponents' range [min, max] (null: no power-law decay). */
  readonly powerDecay: [number, number] | null;
  /** Whether the layer also has an anti-causal kernel. */
  readonly bidirectional: boolean;
  /** Whether the output linear goes to 2H followed by GLU. */
  readonly glu: boolean;
  /** Number of sub-kernels S. */
  readonly numScales: number;
  private normFrozen: boolean;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option or init, a missing
   *   lMax; RangeError for sizes < 1, a negative initScale, a non-positive decay, a negative
   *   powerDecay or one with min > max, or a dropout outside [0,1).
   */
  constructor(H: number, options: SGConvOptions) {
    const opts = checkOptions<SGConvOptions>(options, 'SGConv options', ['kernelDim', 'lMax', 'channels', 'decay', 'initScale', 'init', 'powerDecay', 'bidirectional', 'dropout', 'tiedDropout', 'glu', 'seed']);
    super(H, opts, 'sets the scales');
    this.normFrozen = false;
    this.kernelDim = checkPositiveInt(opts.kernelDim, 'options.kernelDim', 64);
    this.channels = checkPositiveInt(opts.channels, 'options.channels', 1);
    this.decay = checkEnds(opts.decay === undefined ? 2 : opts.decay, 'options.decay', { min: 0, minExclusive: true });
    this.powerDecay = opts.powerDecay === undefined ? null : checkEnds(opts.powerDecay, 'options.powerDecay', { min: 0 });
    if (this.powerDecay && this.powerDecay[0] > this.powerDecay[1]) throw rangeError('options.powerDecay', '[min, max] with min <= max', `[${this.powerDecay.join(', ')}]`);
    this.initScale = checkNonNegativeInt(opts.initScale, 'options.initScale', 0);
    this.init = checkOneOf(opts.init, 'options.init', ['randn', 'cos'] as const, 'randn');
    this.bidirectional = checkBoolean(opts.bidirectional, 'options.bidirectional', false);
    this.glu = checkBoolean(opts.glu, 'options.glu', false);
    const seeds = seedStream(opts.seed);
    this.numScales = Math.max(1, 1 + Math.ceil(Math.log2(this.lMax / this.kernelDim)) - this.initScale);

    const rows = this.channels * (this.bidirectional ? 2 : 1);
    for (let i = 0; i < this.numScales; i++) {
      const shape = [rows, H, this.kernelDim];
      this.registerParameter(`kernel_list.${i}`, this.init === 'randn' ? randn(shape, { seed: seeds() }) : cosineRows(shape, seeds()), 'ssm');
    }
    this.registerParameter('D', randn([this.channels, H], { seed: seeds() }), 'noDecay');
    this.registerOutputLinear('output_linear.', this.channels * H, this.glu ? 2 * H : H, false, this.glu, seeds);
    this.registerBuffer('kernel_norm', zeros([rows, H]));
    // Per-feature multipliers (a buffer, as the reference's `multiplier`), linspace(min, max, H).
    const [lo, hi] = this.decay;
    this.registerBuffer('multiplier', tensor(Float32Array.from({ length: H }, (_, h) => (H === 1 ? lo : lo + ((hi - lo) * h) / (H - 1))), [H]));
    if (this.powerDecay) {
      // The exponents a_h ~ U(min, max), as GConv's decay = rand(H)·(max − min) + min.
      const [aMin, aMax] = this.powerDecay;
      const uniform = uniformGenerator(seeds());
      this.registerBuffer('decay', tensor(Float32Array.from({ length: H }, () => aMin + uniform() * (aMax - aMin)), [H]));
    }
  }

  /** The length T = kernelDim·2^(S−1+initScale) of the untruncated concatenation of the sub-kernels. */
  get fullLength(): number {
    return this.kernelDim * 2 ** (this.numScales - 1 + this.initScale);
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
    if (this.powerDecay) return this.powerDecayedKernel(subKernels, options, L);
    if (!this.normFrozen && !this.normInitialized) {
      const { kernel, norm } = sgconv(subKernels, L, options);
      this.replaceTensor('kernel_norm', norm);
      this.normFrozen = true;
      return kernel;
    }
    this.normFrozen = true;
    return sgconv(subKernels, L, { ...options, norm: this.own('kernel_norm') }).kernel;
  }

  /**
   * The kernel with the power-law decay: the untruncated concatenation k [C',H,T] (normaliser 1)
   * times (t + 1)^(−a_h), normalised by the frozen norm of that product (computed at the first
   * call, as kernel() does), then truncated or zero-padded to L.
   */
  private powerDecayedKernel(subKernels: Tensor[], options: { multiplier: Tensor; initScale: number }, L: number): Tensor {
    const T = this.fullLength;
    const rows = subKernels[0].shape[0], H = this.H, device = this.device;
    return tidy(() => {
      const raw = sgconv(subKernels, T, { ...options, norm: ones([rows, H], { device }) }).kernel;
      const logT = tensor(Float32Array.from({ length: T }, (_, t) => Math.log(t + 1)), [1, T], { device });
      const k = mul(raw, exp(neg(mul(reshape(this.own('decay'), [H, 1]), logT))));
      if (!this.normFrozen && !this.normInitialized) this.replaceTensor('kernel_norm', noGrad(() => sqrt(sum(square(k), -1))));
      this.normFrozen = true;
      const fitted = L <= T ? narrow(k, 2, 0, L) : pad(k, 2, 0, L - T);
      return div(fitted, reshape(this.own('kernel_norm'), [rows, H, 1]));
    });
  }

  protected override convolve(x: Tensor, L: number): Tensor {
    return convolveWithKernel(x, this.kernel(L), this.own('D'), this.channels, this.bidirectional);
  }
}

/** A number (both ends) or [min, max], each checked against `bounds`. */
function checkEnds(value: unknown, name: string, bounds: Bounds): [number, number] {
  if (Array.isArray(value) && value.length !== 2) throw typeError(name, 'a number or [min, max]', `an array of ${value.length}`);
  const ends: unknown[] = Array.isArray(value) ? value : [value, value];
  return ends.map((v, i) => checkNumber(v, ends === value ? `${name}[${i}]` : name, bounds)) as [number, number];
}

/**
 * GConv's cosine sub-kernel [rows, H, d]: row (c, h) = cos(2π·k·j/(d−1)) for j < d (torch's
 * linspace(0, 2πk, d); [1] when d = 1) with k = π(h), π a random permutation of 0..H−1 (seeded),
 * the same for every row c.
 */
function cosineRows([rows, H, d]: number[], seed: number): Tensor {
  const uniform = uniformGenerator(seed);
  const perm = Array.from({ length: H }, (_, h) => h);
  for (let i = H - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const values = new Float32Array(rows * H * d);
  for (let c = 0; c < rows; c++)
    for (let h = 0; h < H; h++)
      for (let j = 0; j < d; j++) values[(c * H + h) * d + j] = d === 1 ? 1 : Math.cos((2 * Math.PI * perm[h] * j) / (d - 1));
  return tensor(values, [rows, H, d]);
}

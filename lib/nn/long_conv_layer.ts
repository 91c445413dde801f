// The skeleton of the long-convolution layers (docs/MATH.md §3):
// - LongConvLayer, the base of S4D, S4, SGConv and MultiresConv: x [B,H,L] → [B,H,L] as
//     convolve(x) → GELU → dropout → output linear → GLU
//   where each layer supplies convolve (and registers the output linear, if it has one);
// - convolveWithKernel, the convolve of S4D, S4 and SGConv:
//     kernel → causal/anti-causal split → fftConv with D;
// - checkStepInput, the input check of the streaming step of S4D and S4.
// (The seed scheme and the input check of every module are in module.ts.) docs/MATH.md §3.0.
import { gelu, glu } from '../ops/activations';
import { fftConv } from '../ops/fftconv';
import { linear } from '../ops/linear';
import { dropout } from '../ops/nn';
import { narrow, reshape } from '../ops/shape';
import { Tensor, tidy } from '../tensor';
import { checkBoolean, checkDevice, checkObject, checkPositiveInt, checkProbability, checkShape, checkTensor, fmtShape, rangeError } from '../validate';
import { checkModuleInput, Module, uniformTensor } from './module';

/** The output linear of a LongConvLayer: parameter names, and whether a GLU follows it. */
interface OutputLinear {
  weight: string;
  bias: string;
  glu: boolean;
}

/**
 * The base of the sequence layers S4D, S4, SGConv and MultiresConv: x [B,H,L] → [B,H,L] as
 * convolve(x) → GELU → dropout (training mode only) → output linear (C·H → H or 2H, when the
 * layer registered one) → GLU (when the linear gives 2H).
 */
export abstract class LongConvLayer extends Module {
  /** The feature count H of the input and output [B, H, L]. */
  readonly H: number;
  /** Dropout probability after the GELU (training mode only). */
  readonly dropoutP: number;
  /** Whether that dropout shares its mask along L (one value per example and channel). */
  readonly tiedDropout: boolean;
  /** The longest sequence the layer is built for (undefined: none given). */
  readonly lMax: number | undefined;
  private readonly limitsInput: boolean;
  private output: OutputLinear | null = null;

  /**
   * @param H the width (a positive integer)
   * @param options the layer's `dropout` (default 0), `tiedDropout` (default false) and `lMax`
   * @param lMax what lMax does: 'limits the input' (required; longer inputs are rejected),
   *   'may limit the input' (optional; when given, it does) or 'sets the scales' (required, but
   *   any input length works).
   */
  protected constructor(H: unknown, options: { dropout?: unknown; tiedDropout?: unknown; lMax?: unknown }, lMax: 'limits the input' | 'may limit the input' | 'sets the scales') {
    super();
    this.H = checkPositiveInt(H, 'H');
    const opts = options === undefined ? {} : checkObject(options, 'options'); // subclasses check the option names
    this.dropoutP = checkProbability(opts.dropout, 'options.dropout', 0);
    this.tiedDropout = checkBoolean(opts.tiedDropout, 'options.tiedDropout', false);
    this.lMax = lMax === 'may limit the input' && opts.lMax === undefined ? undefined : checkPositiveInt(opts.lMax, 'options.lMax');
    this.limitsInput = lMax !== 'sets the scales';
  }

  /**
   * x [B, H, L] → [B, H, L].
   * @throws TypeError for a non-tensor, disposed or other-device input; RangeError for a rank
   *   other than 3, a width other than H, an empty dimension, or L > lMax.
   */
  forward(x: Tensor): Tensor {
    const [, , L] = this.checkInput(x);
    return tidy(() => this.mix(this.convolve(x, L), 1, this.training));
  }

  /** The layer's convolution of x [B,H,L]: [B, C·H, L] before the activation. */
  protected abstract convolve(x: Tensor, L: number): Tensor;

  /** Checks x [B,H,L] against H, the device and (when it limits the input) lMax; returns [B, H, L]. */
  private checkInput(x: unknown): [number, number, number] {
    const layer = this.constructor.name;
    const t = checkModuleInput(x, this, { layout: 'B,H,L', width: { axis: 1, size: this.H, what: `H, the width of this ${layer} layer` } });
    const [B, H, L] = t.shape;
    if (this.limitsInput && this.lMax !== undefined && L > this.lMax) {
      throw rangeError('x', `a length L <= lMax = ${this.lMax} (the longest input of this ${layer} layer)`, `shape ${fmtShape(t.shape)}`);
    }
    return [B, H, L];
  }

  /**
   * Registers the output linear `${prefix}weight` [outFeatures, inFeatures] (with a trailing 1
   * when `conv1d`: PyTorch's Conv1d layout) and `${prefix}bias` [outFeatures] (group 'noDecay'),
   * initialised U(−1/√in, 1/√in) as torch's Linear and Conv1d; a GLU follows when `glu`.
   */
  protected registerOutputLinear(prefix: string, inFeatures: number, outFeatures: number, conv1d: boolean, glu: boolean, seeds: () => number): void {
    const bound = 1 / Math.sqrt(inFeatures);
    this.output = { weight: `${prefix}weight`, bias: `${prefix}bias`, glu };
    this.registerParameter(this.output.weight, uniformTensor(conv1d ? [outFeatures, inFeatures, 1] : [outFeatures, inFeatures], bound, seeds()));
    this.registerParameter(this.output.bias, uniformTensor([outFeatures], bound, seeds()), 'noDecay');
  }

  /** GELU → dropout (when `training`; tied: one mask value per row along L) → output linear along `axis` → GLU over it. */
  protected mix(y: Tensor, axis: number, training: boolean): Tensor {
    let z = gelu(y);
    if (training && this.dropoutP > 0) z = dropout(z, this.dropoutP, { training: true, tied: this.tiedDropout });
    if (!this.output) return z;
    const weight = this.own(this.output.weight);
    z = linear(z, weight.shape.length === 3 ? reshape(weight, weight.shape.slice(0, 2)) : weight, this.own(this.output.bias), { axis });
    return this.output.glu ? glu(z, axis) : z;
  }
}

/**
 * The convolution of S4D, S4 and SGConv: x [B,H,L] with `kernel` [C',H,L] (or [H,L] when
 * C' = 1), where C' = channels, doubled when bidirectional (the causal rows first, then the
 * anti-causal ones), plus the skip D ([H] for one channel, or [channels,H]) → [B, channels·H, L].
 */
export function convolveWithKernel(x: Tensor, kernel: Tensor, D: Tensor, channels: number, bidirectional: boolean): Tensor {
  const [B, H, L] = x.shape;
  const rows = (start: number) => {
    const part = kernel.shape.length === 3 && bidirectional ? narrow(kernel, 0, start, channels) : kernel;
    // fftConv wants k [H,L] with D [H], and k [C,H,L] with D [C,H].
    return D.shape.length === 1 && part.shape.length === 3 ? reshape(part, [H, L]) : part;
  };
  const y = fftConv(x, rows(0), { D, kRev: bidirectional ? rows(channels) : undefined });
  return y.shape.length === 4 ? reshape(y, [B, channels * H, L]) : y;
}

/**
 * Checks the inputs of a streaming step: x_t [B,H] and a state [B,H,modes,2] (as
 * defaultState(B) gives), both on the layer's device; returns B.
 */
export function checkStepInput(layer: LongConvLayer, xt: unknown, state: unknown, modes: number): number {
  const x = checkModuleInput(xt, layer, { layout: 'B,H', width: { axis: 1, size: layer.H, what: `H, the width of this ${layer.constructor.name} layer` } }, 'x_t');
  const B = x.shape[0];
  const s = checkTensor(state, 'state');
  checkShape(s, 'state', [B, layer.H, modes, 2], `[B,H,N/2,2], as defaultState(${B}) gives`);
  checkDevice(s, 'state', layer.device, `the device of this ${layer.constructor.name}'s parameters`);
  return B;
}

// The S4D layer (SPEC §2): a diagonal SSM kernel -> fftConv with D skip -> GELU -> dropout ->
// 1×1 convolution H -> 2H -> GLU, with the parameter names of the S4 repository's minimal
// S4D; and its recurrent (streaming) form for inference one time step at a time.
import { noGrad } from '../autograd';
import { checkPositiveInt, checkTensor, describe, fmtShape } from '../errors';
import { logDt, s4dInv, s4dLin } from '../init';
import { s4d as s4dKernel } from '../kernels/s4d';
import { cdiv, cexp, cexpm1, cmul, complex, imag, real } from '../ops/complex';
import { add, exp, mul, neg, scale, sub } from '../ops/elementwise';
import { fftConv } from '../ops/fftconv';
import { checkOptions } from '../ops/options';
import { sum } from '../ops/reduce';
import { narrow, reshape } from '../ops/shape';
import { keep, randn, Tensor, tensor, tidy, zeros } from '../tensor';
import { gelu, glu } from '../ops/activations';
import { linear } from '../ops/linear';
import { dropout } from '../ops/nn';
import { checkInput, checkProbability, Layer, seedStream, uniformTensor } from './layer_utils';

/** Options of the {@link S4D} layer. */
export interface S4DLayerOptions {
  /** State size N (N/2 complex modes are kept); even. Default 64. */
  dState?: number;
  /** Kernels per feature C (default 1): the convolution gives C·H channels, mixed back to H. */
  channels?: number;
  /** A's initialisation: 'lin' (S4D-Lin, default) or 'inv' (S4D-Inv). */
  init?: 'lin' | 'inv';
  /** Discretisation: 'zoh' (default) or 'bilinear'. */
  disc?: 'zoh' | 'bilinear';
  /** Add an anti-causal kernel (a second set of C) — such a layer cannot stream. */
  bidirectional?: boolean;
  /** Dropout after the activation (default 0). */
  dropout?: number;
  /** dt ~ exp(U(log dtMin, log dtMax)): lower end, default 1e-3. */
  dtMin?: number;
  /** Upper end of the dt initialisation range, default 1e-1. */
  dtMax?: number;
  /** When given, longer inputs are rejected. */
  lMax?: number;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

const optionNames = ['dState', 'channels', 'init', 'disc', 'bidirectional', 'dropout', 'dtMin', 'dtMax', 'lMax', 'seed'];

/** The step-mode constants: x' = dA·x + dB·u, y = 2 Re Σ_n C·x' + D·u. */
interface StepConstants {
  dA: Tensor; // [H, N/2, 2]
  dB: Tensor; // [H, N/2, 2]
  C: Tensor; // [channels, H, N/2, 2] (the causal kernels only)
}

/**
 * S4D layer on [B, H, L] -> [B, H, L]. Parameters (names as the S4 repository's minimal S4D):
 * `kernel.log_dt` [H] (ssm), `kernel.C` [H, N/2, 2] — or [channels (×2 when bidirectional), H, N/2, 2]
 * (default group), `kernel.log_A_real` [H, N/2] (ssm), `kernel.A_imag` [H, N/2] (ssm), `D` [H]
 * or [channels, H] (noDecay), `output_linear.0.weight` [2H, channels·H, 1] and
 * `output_linear.0.bias` [2H] (noDecay). A = −exp(log_A_real) + i·A_imag, dt = exp(log_dt), B = 1.
 */
export class S4D extends Layer {
  /** State size N (N/2 complex modes). */
  readonly dState: number;
  /** Kernels per feature. */
  readonly channels: number;
  /** The discretisation. */
  readonly disc: 'zoh' | 'bilinear';
  /** Whether the layer also has an anti-causal kernel (no step mode then). */
  readonly bidirectional: boolean;
  /** Dropout probability after the GELU (training mode only). */
  readonly dropoutP: number;
  /** When set, longer inputs are rejected. */
  readonly lMax: number | undefined;
  private stepConstants: StepConstants | null = null;

  /**
   * @param H the feature count of the input and output [B, H, L]
   * @throws TypeError/RangeError for a non-positive H, unknown options or bad values (odd dState,
   *   dropout outside [0, 1), an unknown init or disc).
   */
  constructor(readonly H: number, options?: S4DLayerOptions) {
    super();
    checkPositiveInt(H, 'H');
    const opts = checkOptions<S4DLayerOptions>(options, 'S4D options', optionNames);
    this.dState = checkPositiveInt(opts.dState ?? 64, 'options.dState');
    if (this.dState % 2 !== 0) throw new RangeError(`options.dState: expected an even state size, got ${this.dState}`);
    this.channels = checkPositiveInt(opts.channels ?? 1, 'options.channels');
    const initKind = opts.init ?? 'lin';
    if (initKind !== 'lin' && initKind !== 'inv') throw new TypeError(`options.init: expected 'lin' or 'inv', got ${describe(initKind)}`);
    this.disc = opts.disc ?? 'zoh';
    if (this.disc !== 'zoh' && this.disc !== 'bilinear') throw new TypeError(`options.disc: expected 'zoh' or 'bilinear', got ${describe(this.disc)}`);
    this.bidirectional = opts.bidirectional ?? false;
    if (typeof this.bidirectional !== 'boolean') throw new TypeError(`options.bidirectional: expected a boolean, got ${describe(this.bidirectional)}`);
    this.dropoutP = checkProbability(opts.dropout ?? 0, 'options.dropout');
    this.lMax = opts.lMax === undefined ? undefined : checkPositiveInt(opts.lMax, 'options.lMax');

    const seeds = seedStream(opts.seed);
    const modes = this.dState / 2;
    const kernelRows = this.channels * (this.bidirectional ? 2 : 1);
    this.registerParameter('kernel.log_dt', logDt(H, opts.dtMin ?? 1e-3, opts.dtMax ?? 1e-1, { seed: seeds() }), 'ssm');
    const cShape = kernelRows === 1 ? [H, modes, 2] : [kernelRows, H, modes, 2];
    this.registerParameter('kernel.C', randn(cShape, { std: Math.SQRT1_2, seed: seeds() }));
    this.registerParameter('kernel.log_A_real', tensor(new Float32Array(H * modes).fill(Math.log(0.5)), [H, modes]), 'ssm');
    this.registerParameter('kernel.A_imag', tidy(() => imag((initKind === 'lin' ? s4dLin : s4dInv)(H, this.dState).A)), 'ssm');
    this.registerParameter('D', randn(this.channels === 1 ? [H] : [this.channels, H], { seed: seeds() }), 'noDecay');
    const fanIn = this.channels * H;
    this.registerParameter('output_linear.0.weight', uniformTensor([2 * H, fanIn, 1], 1 / Math.sqrt(fanIn), seeds()));
    this.registerParameter('output_linear.0.bias', uniformTensor([2 * H], 1 / Math.sqrt(fanIn), seeds()), 'noDecay');
  }

  /** The diagonal state matrix A [H, N/2, 2] and the step sizes dt [H] (differentiable). */
  private ssm(): { A: Tensor; dt: Tensor } {
    const A = complex(neg(exp(this.own('kernel.log_A_real'))), this.own('kernel.A_imag'));
    return { A, dt: exp(this.own('kernel.log_dt')) };
  }

  /** GELU -> dropout -> 1×1 conv C·H -> 2H -> GLU, along `axis` (1 for [B, C·H, L], -1 for [B, C·H]). */
  private mix(y: Tensor, axis: number, train: boolean): Tensor {
    let z = gelu(y);
    if (train && this.dropoutP > 0) z = dropout(z, this.dropoutP, { training: true });
    const weight = reshape(this.own('output_linear.0.weight'), [2 * this.H, this.channels * this.H]);
    return glu(linear(z, weight, this.own('output_linear.0.bias'), { axis }), axis);
  }

  /**
   * u [B, H, L] -> [B, H, L].
   * @throws TypeError for a non-tensor or disposed u; RangeError for a rank other than 3, a
   *   channel count other than H, or L > lMax.
   */
  forward(u: Tensor): Tensor {
    const x = checkInput(u, 'S4D u', [3], 1, this.H, 'the layer width H');
    const [B, , L] = x.shape;
    if (this.lMax !== undefined && L > this.lMax) throw new RangeError(`S4D u: expected length L <= lMax ${this.lMax}, got shape ${fmtShape(x.shape)}`);
    return tidy(() => {
      const { A, dt } = this.ssm();
      const K = s4dKernel({ A, C: this.own('kernel.C'), dt }, L, { disc: this.disc }); // [H,L] or [rows,H,L]
      const C = this.channels;
      let k = K;
      let kRev: Tensor | undefined;
      if (this.bidirectional) {
        k = narrow(K, 0, 0, C);
        kRev = narrow(K, 0, C, C);
      }
      if (K.shape.length === 3 && C === 1) {
        k = reshape(k, [this.H, L]);
        if (kRev) kRev = reshape(kRev, [this.H, L]);
      }
      const y = fftConv(x, k, { D: this.own('D'), ...(kRev ? { kRev } : {}) }); // [B,H,L] or [B,C,H,L]
      return this.mix(C === 1 ? y : reshape(y, [B, C * this.H, L]), 1, this.training);
    });
  }

  /**
   * Precomputes the recurrence (from the current parameters; call again after they change):
   * dA = exp(dt·A), dB = (exp(dt·A) − 1)/A (ZOH) or dA = (1 + dt·A/2)/(1 − dt·A/2),
   * dB = dt/(1 − dt·A/2) (bilinear).
   * @throws Error for a bidirectional layer (its output depends on the future).
   */
  setupStep(): void {
    if (this.bidirectional) throw new Error('S4D.setupStep: a bidirectional layer cannot run as a recurrence');
    this.disposeStep();
    this.stepConstants = noGrad(() => tidy(() => {
      const { A, dt } = this.ssm();
      const dtA = mul(A, reshape(dt, [this.H, 1, 1]));
      let dA: Tensor, dB: Tensor;
      if (this.disc === 'zoh') {
        dA = cexp(dtA);
        dB = cdiv(cexpm1(dtA), A);
      } else {
        const one = tensor([1, 0], [2], { device: dtA.device });
        const denom = sub(one, scale(dtA, 0.5));
        dA = cdiv(add(one, scale(dtA, 0.5)), denom);
        dB = cdiv(mul(one, reshape(dt, [this.H, 1, 1])), denom); // dt as a complex number
      }
      const C = this.own('kernel.C');
      const Cf = C.shape.length === 3 ? reshape(C, [1, ...C.shape]) : narrow(C, 0, 0, this.channels);
      return { dA: keep(dA), dB: keep(dB), C: keep(Cf) };
    }));
  }

  /** The zero state for `batch` sequences: complex [batch, H, N/2, 2], on the layer's device. */
  defaultState(batch: number): Tensor {
    checkPositiveInt(batch, 'batch');
    return zeros([batch, this.H, this.dState / 2, 2], { device: this.device });
  }

  /**
   * One time step: x_t [B, H] and state [B, H, N/2, 2] -> [y_t [B, H], new state], O(N·H) per
   * sequence. Dropout is off. Requires setupStep().
   * @throws Error before setupStep(); TypeError/RangeError for bad x_t or state.
   */
  step(xt: Tensor, state: Tensor): [Tensor, Tensor] {
    const constants = this.stepConstants;
    if (!constants) throw new Error('S4D.step: call setupStep() first');
    const x = checkInput(xt, 'S4D x_t', [2], 1, this.H, 'the layer width H');
    const B = x.shape[0];
    const modes = this.dState / 2;
    const s = checkTensor(state, 'S4D state', Tensor);
    const want = [B, this.H, modes, 2];
    if (s.shape.length !== 4 || s.shape.some((d, i) => d !== want[i])) {
      throw new RangeError(`S4D state: expected shape ${fmtShape(want)} (defaultState(${B})), got ${fmtShape(s.shape)}`);
    }
    return tidy(() => {
      const u = reshape(x, [B, this.H, 1, 1]);
      const next = add(cmul(constants.dA, s), mul(constants.dB, u)); // [B, H, N/2, 2]
      const C = this.channels;
      const out = scale(sum(real(cmul(constants.C, reshape(next, [B, 1, this.H, modes, 2]))), -1), 2); // [B, C, H]
      const D = reshape(this.own('D'), [C, this.H]);
      const y = add(out, mul(D, reshape(x, [B, 1, this.H])));
      return [this.mix(reshape(y, [B, C * this.H]), -1, false), next] as [Tensor, Tensor];
    });
  }

  private disposeStep(): void {
    if (!this.stepConstants) return;
    Object.values(this.stepConstants).forEach((t) => t.dispose());
    this.stepConstants = null;
  }

  override dispose(): void {
    this.disposeStep();
    super.dispose();
  }
}

// The S4D layer (docs/MATH.md §3.1): a diagonal SSM kernel → fftConv with D → GELU → dropout →
// 1×1 convolution H → 2H → GLU, with the parameter names of the S4 repository's minimal S4D;
// and its recurrent (streaming) form for inference one time step at a time.
import { noGrad } from '../autograd';
import { s4d as s4dKernel } from '../conv_kernels/s4d';
import { logDt, s4dInv, s4dLin } from '../init';
import { cdiv, cexp, cexpm1, cmul, complex, imag, real } from '../ops/complex';
import { add, exp, mul, neg, scale, sub } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { narrow, reshape } from '../ops/shape';
import { randn, Tensor, tensor, tidy, zeros } from '../tensor';
import { checkBoolean, checkNumber, checkOneOf, checkOptions, checkPositiveInt, rangeError } from '../validate';
import { checkStepInput, convolveWithKernel, LongConvLayer } from './long_conv_layer';
import { seedStream } from './module';
import { checkDtTransform, checkSsmCopies, DtTransform, dtOf, dtParameterName, initialDtParameter, repeatCopies } from './ssm_params';

/** Options of the {@link S4D} layer. */
export interface S4DOptions {
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
  /** Share the dropout mask along L (one value per example and channel; the S4 repository's tie_dropout). Default false. */
  tiedDropout?: boolean;
  /** dt ~ exp(U(log dtMin, log dtMax)): lower end, default 1e-3. */
  dtMin?: number;
  /** Upper end of the dt initialisation range, default 1e-1. */
  dtMax?: number;
  /**
   * How the trained parameter gives dt: 'exp' (default; `kernel.log_dt`, dt = exp) or 'softplus'
   * (`kernel.inv_dt`, dt = log(1 + e^inv_dt): the S4 repository's default, dt_transform).
   */
  dtTransform?: 'exp' | 'softplus';
  /**
   * Copies of A (and of B when trainB) that the features share (the S4 repository's n_ssm): a
   * divisor of H, feature h using copy h mod nSsm; dt and C stay per feature. Default H.
   */
  nSsm?: number;
  /**
   * Train B (`kernel.B`, starting at 1) as the S4 repository's full diagonal kernel
   * (SSMKernelDiag) does; default false: B = 1 fixed, as its minimal S4D.
   */
  trainB?: boolean;
  /** When given, longer inputs are rejected. */
  lMax?: number;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

const optionNames = ['dState', 'channels', 'init', 'disc', 'bidirectional', 'dropout', 'tiedDropout', 'dtMin', 'dtMax', 'dtTransform', 'nSsm', 'trainB', 'lMax', 'seed'];

/** The step-mode constants: x' = dA·x + dB·u, y = 2 Re Σ_n C·x' + D·u. */
type StepConstants = {
  dA: Tensor; // [H, N/2, 2]
  dB: Tensor; // [H, N/2, 2]
  C: Tensor; // [channels, H, N/2, 2] (the causal kernels only)
};

/**
 * S4D layer on [B, H, L] -> [B, H, L]. Parameters (names as the S4 repository's minimal S4D; S =
 * nSsm, default H): `kernel.log_dt` [H] (ssm; `kernel.inv_dt` with dtTransform 'softplus'),
 * `kernel.C` [H, N/2, 2] — or [channels (×2 when bidirectional), H, N/2, 2] (default group),
 * `kernel.log_A_real` [S, N/2] (ssm), `kernel.A_imag` [S, N/2] (ssm), with trainB `kernel.B`
 * [S, N/2, 2] (ssm), `D` [H] or [channels, H] (noDecay), `output_linear.0.weight`
 * [2H, channels·H, 1] and `output_linear.0.bias` [2H] (noDecay). A = −exp(log_A_real) +
 * i·A_imag, dt = exp(log_dt) (or softplus(inv_dt)), B = 1 unless trained; feature h uses copy
 * h mod S of A and B.
 */
export class S4D extends LongConvLayer {
  /** State size N (N/2 complex modes). */
  readonly dState: number;
  /** Kernels per feature. */
  readonly channels: number;
  /** The discretisation. */
  readonly disc: 'zoh' | 'bilinear';
  /** Whether the layer also has an anti-causal kernel (no step mode then). */
  readonly bidirectional: boolean;
  /** Copies of A (and B) shared by the features (H: one per feature). */
  readonly nSsm: number;
  /** How the dt parameter gives dt. */
  readonly dtTransform: DtTransform;
  /** Whether B is a trained parameter (otherwise B = 1). */
  readonly trainB: boolean;

  /**
   * @param H the feature count of the input and output [B, H, L]
   * @throws TypeError/RangeError for a non-positive H, unknown options or bad values (odd dState,
   *   dropout outside [0, 1), an unknown init, disc or dtTransform, an nSsm that does not divide H).
   */
  constructor(H: number, options?: S4DOptions) {
    const opts = checkOptions<S4DOptions>(options, 'S4D options', optionNames);
    super(H, opts, 'may limit the input');
    this.dState = checkPositiveInt(opts.dState, 'options.dState', 64);
    if (this.dState % 2 !== 0) throw rangeError('options.dState', 'an even state size', String(this.dState));
    this.channels = checkPositiveInt(opts.channels, 'options.channels', 1);
    const initKind = checkOneOf(opts.init, 'options.init', ['lin', 'inv'] as const, 'lin');
    this.disc = checkOneOf(opts.disc, 'options.disc', ['zoh', 'bilinear'] as const, 'zoh');
    this.bidirectional = checkBoolean(opts.bidirectional, 'options.bidirectional', false);
    const dtMin = checkNumber(opts.dtMin, 'options.dtMin', { min: 0, minExclusive: true }, 1e-3);
    const dtMax = checkNumber(opts.dtMax, 'options.dtMax', { min: 0, minExclusive: true }, 1e-1);
    this.dtTransform = checkDtTransform(opts.dtTransform);
    this.nSsm = checkSsmCopies(opts.nSsm, H);
    this.trainB = checkBoolean(opts.trainB, 'options.trainB', false);

    const seeds = seedStream(opts.seed);
    const modes = this.dState / 2, S = this.nSsm;
    const kernelRows = this.channels * (this.bidirectional ? 2 : 1);
    this.registerParameter(dtParameterName(this.dtTransform), initialDtParameter(logDt(H, dtMin, dtMax, { seed: seeds() }), this.dtTransform), 'ssm');
    const cShape = kernelRows === 1 ? [H, modes, 2] : [kernelRows, H, modes, 2];
    this.registerParameter('kernel.C', randn(cShape, { std: Math.SQRT1_2, seed: seeds() }));
    this.registerParameter('kernel.log_A_real', tensor(new Float32Array(S * modes).fill(Math.log(0.5)), [S, modes]), 'ssm');
    this.registerParameter('kernel.A_imag', tidy(() => imag((initKind === 'lin' ? s4dLin : s4dInv)(S, this.dState).A)), 'ssm');
    if (this.trainB) this.registerParameter('kernel.B', tensor(Float32Array.from({ length: 2 * S * modes }, (_, i) => (i % 2 === 0 ? 1 : 0)), [S, modes, 2]), 'ssm');
    this.registerParameter('D', randn(this.channels === 1 ? [H] : [this.channels, H], { seed: seeds() }), 'noDecay');
    this.registerOutputLinear('output_linear.0.', this.channels * H, 2 * H, true, true, seeds);
  }

  /** The diagonal state matrix A [H, N/2, 2], B [H, N/2, 2] (undefined: B = 1) and the step sizes dt [H], differentiable. */
  private ssm(): { A: Tensor; B: Tensor | undefined; dt: Tensor } {
    const A = complex(neg(exp(this.own('kernel.log_A_real'))), this.own('kernel.A_imag'));
    return {
      A: repeatCopies(A, 0, this.H),
      B: this.trainB ? repeatCopies(this.own('kernel.B'), 0, this.H) : undefined,
      dt: dtOf(this.own(dtParameterName(this.dtTransform)), this.dtTransform),
    };
  }

  /** The SSM kernel [C',H,L] (C' = channels, doubled when bidirectional), or [H,L] when C' = 1. */
  kernel(L: number): Tensor {
    return tidy(() => s4dKernel({ ...this.ssm(), C: this.own('kernel.C') }, L, { disc: this.disc }));
  }

  protected override convolve(x: Tensor, L: number): Tensor {
    return convolveWithKernel(x, this.kernel(L), this.own('D'), this.channels, this.bidirectional);
  }

  /**
   * Precomputes the recurrence (from the current parameters; call again after they change):
   * dA = exp(dt·A), dB = (exp(dt·A) − 1)/A·B (ZOH) or dA = (1 + dt·A/2)/(1 − dt·A/2),
   * dB = dt/(1 − dt·A/2)·B (bilinear).
   * @throws Error for a bidirectional layer (its output depends on the future).
   */
  setupStep(): void {
    if (this.bidirectional) throw new Error('S4D.setupStep: a bidirectional layer cannot run as a recurrence');
    this.clearDerived('step'); // frees the old constants before the new ones are made
    this.setDerived<StepConstants>('step', noGrad(() => tidy(() => {
      const { A, B, dt } = this.ssm();
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
      return { dA, dB: B ? cmul(dB, B) : dB, C: Cf };
    })));
  }

  /** The zero state for `batch` sequences: complex [batch, H, N/2, 2], on the layer's device. */
  defaultState(batch: number): Tensor {
    return zeros([checkPositiveInt(batch, 'batch'), this.H, this.dState / 2, 2], { device: this.device });
  }

  /**
   * One time step: x_t [B, H] and state [B, H, N/2, 2] -> [y_t [B, H], new state], O(N·H) per
   * sequence. Dropout is off. Requires setupStep() (again after to()).
   * @throws Error before setupStep(); TypeError/RangeError for bad x_t or state.
   */
  step(xt: Tensor, state: Tensor): [Tensor, Tensor] {
    const constants = this.getDerived<StepConstants>('step');
    if (!constants) throw new Error('S4D.step: call setupStep() first (after construction, and after to())');
    const modes = this.dState / 2;
    const B = checkStepInput(this, xt, state, modes);
    return tidy(() => {
      const u = reshape(xt, [B, this.H, 1, 1]);
      const next = add(cmul(constants.dA, state), mul(constants.dB, u)); // [B, H, N/2, 2]
      const C = this.channels;
      const out = scale(sum(real(cmul(constants.C, reshape(next, [B, 1, this.H, modes, 2]))), -1), 2); // [B, C, H]
      const D = reshape(this.own('D'), [C, this.H]);
      const y = add(out, mul(D, reshape(xt, [B, 1, this.H])));
      return [this.mix(reshape(y, [B, C * this.H]), -1, false), next] as [Tensor, Tensor];
    });
  }
}

// The S4 layer (docs/MATH.md §3.2): a DPLR (HiPPO-LegS) SSM kernel → fftConv with D → GELU →
// dropout → 1×1 convolution H → 2H → GLU, plus an O(N·H) recurrent step for streaming inference.
import { CMatrix, conjugateDoubled } from '../conv_kernels/complex64';
import { dplrTransition, s4 as s4Kernel, setupCt } from '../conv_kernels/s4';
import { hippoLegS, logDt, MAX_HIPPO_STATE } from '../init';
import { cmul, complex, real } from '../ops/complex';
import { add, exp, mul, neg, scale, sub } from '../ops/elementwise';
import { sum } from '../ops/reduce';
import { narrow, reshape } from '../ops/shape';
import { randn, Tensor, tensor, tidy, zeros } from '../tensor';
import { checkBoolean, checkInteger, checkNumber, checkOptions, checkPositiveInt, rangeError } from '../validate';
import { checkStepInput, convolveWithKernel, LongConvLayer } from './long_conv_layer';
import { seedStream } from './module';
import { checkDtTransform, checkSsmCopies, DtTransform, dtOf, dtParameterName, dtValue, initialDtParameter, repeatCopies } from './ssm_params';

/** Options of the {@link S4} layer (`lMax` is required). */
export interface S4Options {
  /** State size N (even, at most 4096; N/2 complex modes are kept), default 64. */
  dState?: number;
  /** Rank R of the low-rank part P (1 or 2), default 1. Rank 2 starts with P_2 = 0. */
  rank?: number;
  /** Kernels per feature, default 1; the output linear then mixes channels·H features. */
  channels?: number;
  /** Adds an anti-causal kernel (twice the C̃ rows); such a layer cannot run step by step. */
  bidirectional?: boolean;
  /** Dropout probability after the GELU, default 0. */
  dropout?: number;
  /** Share the dropout mask along L (one value per example and channel; the S4 repository's tie_dropout). Default false. */
  tiedDropout?: boolean;
  /** The kernel length: C̃ is set up for it, and inputs must have L <= lMax. Required. */
  lMax: number;
  /** dt ~ exp(U(log dtMin, log dtMax)), defaults 1e-3 and 1e-1. */
  dtMin?: number;
  /** Upper end of the dt initialisation range (see dtMin). */
  dtMax?: number;
  /**
   * How the trained parameter gives dt: 'exp' (default; `kernel.log_dt`, dt = exp) or 'softplus'
   * (`kernel.inv_dt`, dt = log(1 + e^inv_dt): the S4 repository's default, dt_transform).
   */
  dtTransform?: 'exp' | 'softplus';
  /**
   * Copies of the SSM's Λ, P and B (the S4 repository's n_ssm): a divisor of H, feature h using
   * copy h mod nSsm; dt and C stay per feature. Default H (every feature its own SSM).
   */
  nSsm?: number;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/** Host-precomputed constants of the recurrent (bilinear, Sherman–Morrison/Woodbury) step. */
type StepConstants = {
  halfLambda: Tensor; // dt/2·Λ [H,N,2]
  dtB: Tensor; // dt·B [H,N,2]
  Q: Tensor; // conj(P) [R,H,N,2]
  halfP: Tensor; // dt/2·P [R,H,N,2]
  QInv0: Tensor; // conj(P)/(1 − dt/2·Λ) [R,H,N,2]
  GInv: Tensor; // (I + dt/2·PᴴD₀⁻¹P)⁻¹ transposed to [1,R(i),R(j),H] (real)
  inv0: Tensor; // 1/(1 − dt/2·Λ) [H,N,2]
  C: Tensor; // C = (I − dA^L)^{-T} C̃ [C,H,N,2]
};

/**
 * The S4 layer: maps u [B,H,L] → [B,H,L] with the kernel of a diagonal-plus-low-rank SSM
 * (HiPPO-LegS init, bilinear discretisation), computed the S4 way by kernels.s4.
 *
 * Parameters (names as the S4 repository's, shapes with N' = dState/2, S = nSsm (default H),
 * C' = channels, twice that when bidirectional): `kernel.log_dt` [H] (dt = exp) or
 * `kernel.inv_dt` [H] (dtTransform 'softplus'), `kernel.log_A_real` [S,N'] (Re Λ = −exp),
 * `kernel.A_imag` [S,N'], `kernel.P` [R,S,N',2], `kernel.B` [S,N',2] (all group 'ssm'; feature
 * h uses copy h mod S),
 * `kernel.C` [C',H,N',2] holding C̃ = (I − dA^lMax)ᵀ C (group 'default'; set up at init from a
 * complex normal C), `D` [H] (or [channels,H]; 'noDecay'), `output_linear.0.weight`
 * [2H, channels·H, 1] and `output_linear.0.bias` [2H] ('noDecay'), initialised as torch's Conv1d.
 *
 * The kernel is always computed at lMax (C̃ encodes that length) and truncated to the input's L.
 */
export class S4 extends LongConvLayer {
  /** Kept complex modes N' = dState / 2. */
  readonly modes: number;
  /** Rank R of the low-rank part P (1 or 2). */
  readonly rank: number;
  /** Kernels per feature. */
  readonly channels: number;
  /** Whether the layer also has an anti-causal kernel (no step mode then). */
  readonly bidirectional: boolean;
  /** Copies of Λ, P and B shared by the features (H: one per feature). */
  readonly nSsm: number;
  /** How the dt parameter gives dt. */
  readonly dtTransform: DtTransform;
  /** The kernel length C̃ is set up for; longer inputs are rejected. */
  declare readonly lMax: number;

  /**
   * @throws TypeError for a non-numeric size or option, an unknown option; RangeError for H < 1,
   *   an odd or non-positive dState or one above 4096, rank ∉ {1,2}, channels < 1, lMax missing or < 1, a dropout
   *   outside [0,1), bad dtMin/dtMax, an nSsm that does not divide H; TypeError for an unknown
   *   dtTransform.
   */
  constructor(H: number, options: S4Options) {
    const opts = checkOptions<S4Options>(options, 'S4 options', ['dState', 'rank', 'channels', 'bidirectional', 'dropout', 'tiedDropout', 'lMax', 'dtMin', 'dtMax', 'dtTransform', 'nSsm', 'seed']);
    super(H, opts, 'limits the input');
    const dState = checkPositiveInt(opts.dState, 'options.dState', 64);
    if (dState % 2 !== 0) throw rangeError('options.dState', 'an even state size', String(dState));
    if (dState > MAX_HIPPO_STATE) throw rangeError('options.dState', `an even state size <= ${MAX_HIPPO_STATE}`, String(dState));
    this.modes = dState / 2;
    this.rank = checkInteger(opts.rank, 'options.rank', { min: 1, max: 2 }, 1);
    this.channels = checkPositiveInt(opts.channels, 'options.channels', 1);
    this.bidirectional = checkBoolean(opts.bidirectional, 'options.bidirectional', false);
    const dtMin = checkNumber(opts.dtMin, 'options.dtMin', { min: 0, minExclusive: true }, 1e-3);
    const dtMax = checkNumber(opts.dtMax, 'options.dtMax', { min: 0, minExclusive: true }, 1e-1);
    this.dtTransform = checkDtTransform(opts.dtTransform);
    this.nSsm = checkSsmCopies(opts.nSsm, H);
    const seeds = seedStream(opts.seed);

    const { modes: N, rank: R, channels, nSsm: S } = this;
    const kernelRows = channels * (this.bidirectional ? 2 : 1);
    tidy(() => {
      const dtParam = initialDtParameter(logDt(H, dtMin, dtMax, { seed: seeds() }), this.dtTransform);
      const hippo = hippoLegS(dState);
      const [lam, p, b] = [hippo.Lambda, hippo.P, hippo.B].map((t) => t.toFloat32Array());
      const logAReal = new Float32Array(S * N), aImag = new Float32Array(S * N);
      const P = new Float32Array(R * S * N * 2), B = new Float32Array(S * N * 2);
      for (let s = 0; s < S; s++) {
        for (let n = 0; n < N; n++) {
          logAReal[s * N + n] = Math.log(-lam[2 * n]);
          aImag[s * N + n] = lam[2 * n + 1];
        }
        P.set(p, s * N * 2); // rank 0; a second rank starts at zero
        B.set(b, s * N * 2);
      }
      this.registerParameter(dtParameterName(this.dtTransform), dtParam, 'ssm');
      this.registerParameter('kernel.log_A_real', tensor(logAReal, [S, N]), 'ssm');
      this.registerParameter('kernel.A_imag', tensor(aImag, [S, N]), 'ssm');
      this.registerParameter('kernel.P', tensor(P, [R, S, N, 2]), 'ssm');
      this.registerParameter('kernel.B', tensor(B, [S, N, 2]), 'ssm');
      // C complex normal with variance 1 (each part 1/2), converted to the trained C̃.
      const C = randn([kernelRows, H, N, 2], { seed: seeds(), std: Math.SQRT1_2 });
      this.registerParameter('kernel.C', setupCt(C, this.ssm(), this.lMax));
      this.registerParameter('D', randn(channels === 1 ? [H] : [channels, H], { seed: seeds() }), 'noDecay');
      this.registerOutputLinear('output_linear.0.', channels * H, 2 * H, true, true, seeds);
    });
  }

  /**
   * The SSM kernel [C',H,L] (C' = channels, doubled when bidirectional): computed at lMax (C̃
   * encodes that length) and truncated to L <= lMax (default lMax).
   */
  kernel(L: number = this.lMax): Tensor {
    checkInteger(L, 'L', { min: 1, max: this.lMax });
    return tidy(() => {
      const k = s4Kernel({ ...this.ssm(), Ct: this.own('kernel.C') }, this.lMax);
      return L < this.lMax ? narrow(k, 2, 0, L) : k;
    });
  }

  /** Λ [H,N',2], P [R,H,N',2], B [H,N',2] (the nSsm copies repeated over the features) and dt [H], differentiable. */
  private ssm(): { Lambda: Tensor; P: Tensor; B: Tensor; dt: Tensor } {
    const Lambda = complex(neg(exp(this.own('kernel.log_A_real'))), this.own('kernel.A_imag'));
    return {
      Lambda: repeatCopies(Lambda, 0, this.H),
      P: repeatCopies(this.own('kernel.P'), 1, this.H),
      B: repeatCopies(this.own('kernel.B'), 0, this.H),
      dt: dtOf(this.own(dtParameterName(this.dtTransform)), this.dtTransform),
    };
  }

  protected override convolve(x: Tensor, L: number): Tensor {
    return convolveWithKernel(x, this.kernel(L), this.own('D'), this.channels, this.bidirectional);
  }

  /**
   * Precomputes the recurrent step from the current parameters (call it again after they
   * change): C = (I − dA^lMax)^{-T} C̃ (dense float64 on the host, once per feature) and the
   * diagonal/low-rank factors of the bilinear step, so step() costs O(N·H) per sample.
   * @throws Error for a bidirectional layer (its output depends on future inputs).
   */
  setupStep(): void {
    if (this.bidirectional) throw new Error('S4.setupStep: a bidirectional layer cannot run step by step (its output depends on future inputs)');
    const { H, modes: N, rank: R, nSsm: S } = this;
    const C0 = this.channels;
    this.clearDerived('step'); // frees the old constants before the new ones are made
    const host = (name: string) => Float64Array.from(this.own(name).toFloat32Array());
    const logAReal = host('kernel.log_A_real'), aImag = host('kernel.A_imag'), dtParam = host(dtParameterName(this.dtTransform));
    const P = host('kernel.P'), B = host('kernel.B'), Ct = host('kernel.C');
    const out = {
      halfLambda: new Float32Array(H * N * 2), dtB: new Float32Array(H * N * 2), inv0: new Float32Array(H * N * 2),
      Q: new Float32Array(R * H * N * 2), halfP: new Float32Array(R * H * N * 2), QInv0: new Float32Array(R * H * N * 2),
      GInv: new Float32Array(R * R * H), C: new Float32Array(C0 * H * N * 2),
    };
    for (let h = 0; h < H; h++) {
      const dt = dtValue(dtParam[h], this.dtTransform);
      const copy = h % S; // the SSM copy of feature h
      const lambda = new Float64Array(2 * N);
      for (let n = 0; n < N; n++) [lambda[2 * n], lambda[2 * n + 1]] = [-Math.exp(logAReal[copy * N + n]), aImag[copy * N + n]];
      const Ps = Array.from({ length: R }, (_, r) => P.subarray(2 * N * (r * S + copy), 2 * N * (r * S + copy + 1)));
      recoverC(dplrTransition(lambda, Ps, dt).pow(this.lMax), Ct, out.C, h, H, N, C0);
      const inv0 = new Float64Array(2 * N);
      for (let n = 0; n < N; n++) {
        const i = 2 * (h * N + n);
        // 1/(1 − dt/2·Λ)
        const dr = 1 - (dt / 2) * lambda[2 * n], di = -(dt / 2) * lambda[2 * n + 1];
        const den = dr * dr + di * di;
        [inv0[2 * n], inv0[2 * n + 1]] = [dr / den, -di / den];
        [out.inv0[i], out.inv0[i + 1]] = [inv0[2 * n], inv0[2 * n + 1]];
        [out.halfLambda[i], out.halfLambda[i + 1]] = [(dt / 2) * lambda[2 * n], (dt / 2) * lambda[2 * n + 1]];
        const j = 2 * (copy * N + n);
        [out.dtB[i], out.dtB[i + 1]] = [dt * B[j], dt * B[j + 1]];
      }
      // G = I + dt/2·PᴴD₀⁻¹P on the doubled state: G_ij = δ_ij + dt·Re Σ conj(p_i)·inv0·p_j (real).
      const G = Array.from({ length: R }, () => new Float64Array(R));
      for (let r = 0; r < R; r++) {
        const p = Ps[r];
        for (let n = 0; n < N; n++) {
          const i = 2 * ((r * H + h) * N + n);
          const [qr, qi] = [p[2 * n], -p[2 * n + 1]];
          const [ar, ai] = [inv0[2 * n], inv0[2 * n + 1]];
          [out.Q[i], out.Q[i + 1]] = [qr, qi];
          [out.halfP[i], out.halfP[i + 1]] = [(dt / 2) * p[2 * n], (dt / 2) * p[2 * n + 1]];
          [out.QInv0[i], out.QInv0[i + 1]] = [qr * ar - qi * ai, qr * ai + qi * ar];
        }
        for (let s = 0; s < R; s++) {
          let acc = 0;
          for (let n = 0; n < N; n++) {
            const i = 2 * ((r * H + h) * N + n);
            const [mr, mi] = [out.QInv0[i], out.QInv0[i + 1]];
            acc += mr * Ps[s][2 * n] - mi * Ps[s][2 * n + 1];
          }
          G[r][s] = (r === s ? 1 : 0) + dt * acc;
        }
      }
      const inverse = invertSmall(G);
      for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) out.GInv[(i * R + j) * H + h] = inverse[i][j];
    }
    const device = this.device;
    const make = (data: Float32Array, shape: number[]) => tensor(data, shape, { device });
    this.setDerived<StepConstants>('step', {
      halfLambda: make(out.halfLambda, [H, N, 2]), dtB: make(out.dtB, [H, N, 2]), inv0: make(out.inv0, [H, N, 2]),
      Q: make(out.Q, [R, H, N, 2]), halfP: make(out.halfP, [R, H, N, 2]), QInv0: make(out.QInv0, [R, H, N, 2]),
      GInv: make(out.GInv, [1, R, R, H]), C: make(out.C, [C0, H, N, 2]),
    });
  }

  /** The zero state for `batch` sequences: complex [batch, H, N', 2] (the kept modes). */
  defaultState(batch: number): Tensor {
    return zeros([checkPositiveInt(batch, 'batch'), this.H, this.modes, 2], { device: this.device });
  }

  /**
   * One step of the recurrence: x_t [B,H] and the state [B,H,N',2] → [y_t [B,H], new state].
   * With the doubled state [x, conj x] and A = diag(Λ) − PPᴴ: x' = (I − dt/2·A)⁻¹((I + dt/2·A)x
   * + dt·B·u), the inverse applied by the Woodbury identity; y = 2 Re Σ C·x' + D·u, then GELU,
   * the output linear and GLU (dropout off). Running it over a sequence from defaultState gives
   * forward()'s output. O(N·H) per sample. Requires setupStep() (again after to()).
   * @throws Error before setupStep(); TypeError/RangeError for bad x_t or state.
   */
  step(xt: Tensor, state: Tensor): [Tensor, Tensor] {
    const k = this.getDerived<StepConstants>('step');
    if (!k) throw new Error('S4.step: call setupStep() first (after construction, and after to())');
    const { H, modes: N, rank: R, channels } = this;
    const B = checkStepInput(this, xt, state, N);
    return tidy(() => {
      const u = reshape(xt, [B, H, 1, 1]);
      // Σ_r p_r·c_r[b,h] for per-rank real coefficients c [B,R,H].
      const lowRank = (c: Tensor) => sum(mul(k.halfP, reshape(c, [B, R, H, 1, 1])), 1);
      // 2 Re Σ_n a[r,h,n]·v[b,h,n] → [B,R,H]
      const pairSum = (a: Tensor, v: Tensor) => scale(sum(real(cmul(reshape(v, [B, 1, H, N, 2]), a)), -1), 2);
      const s = pairSum(k.Q, state);
      const v = add(sub(add(state, cmul(k.halfLambda, state)), lowRank(s)), mul(k.dtB, u));
      const c = sum(mul(k.GInv, reshape(pairSum(k.QInv0, v), [B, 1, R, H])), 2);
      const next = cmul(k.inv0, sub(v, lowRank(c)));
      let y = add(pairSum(k.C, next), mul(this.own('D'), reshape(xt, [B, 1, H])));
      y = reshape(y, [B, channels * H]);
      return [this.mix(y, -1, false), next] as [Tensor, Tensor];
    });
  }
}

/**
 * C = (I − dA^L)^{-T} C̃ for feature h and every channel. C̃ is a kept-modes vector, doubled to
 * [C̃, conj C̃]; the solution keeps that conjugate-pair structure, so its first N entries are C.
 */
function recoverC(dAL: CMatrix, Ct: Float64Array, out: Float32Array, h: number, H: number, N: number, channels: number): void {
  const I = CMatrix.identity(2 * N);
  const inverse = I.plusScaled(dAL, -1).transpose().solve(I);
  for (let c = 0; c < channels; c++) {
    const row = 2 * N * (c * H + h);
    const C = inverse.mulVec(conjugateDoubled(Ct.subarray(row, row + 2 * N)));
    out.set(Float32Array.from(C.subarray(0, 2 * N)), row);
  }
}

/** The inverse of a real 1×1 or 2×2 matrix. */
function invertSmall(G: Float64Array[]): number[][] {
  if (G.length === 1) return [[1 / G[0][0]]];
  const det = G[0][0] * G[1][1] - G[0][1] * G[1][0];
  if (det === 0 || !Number.isFinite(det)) throw new RangeError(`S4.setupStep: the low-rank correction is singular (det ${det})`);
  return [[G[1][1] / det, -G[0][1] / det], [-G[1][0] / det, G[0][0] / det]];
}

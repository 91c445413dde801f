// Parameter initialisers of the S4 family (docs/MATH.md §3.1, §3.2), computed in float64 on the host
// and returned as float32 tensors (complex values as a last dimension of 2: re, im).
import { uniformGenerator } from './random';
import { Device, Tensor, tensor } from './tensor';
import { checkInteger, checkNumber, checkOptions, checkPositiveInt, checkSeed, rangeError } from './validate';

/** Options of the initialisers: where the result is created. */
export interface InitOptions {
  /** 'cpu' (default), 'cuda' or 'auto'; 'cuda' without a usable GPU throws an `Error`. */
  device?: Device | 'auto';
}

function checkEvenStateSize(N: unknown): number {
  const n = checkPositiveInt(N, 'N');
  if (n % 2 !== 0) throw rangeError('N', 'an even state size (N/2 complex modes)', String(n));
  return n;
}

// A [H, N/2, 2] tensor of A[h,n] = -1/2 + i*imag(n), the same for every h.
function diagonalA(H: unknown, N: unknown, options: InitOptions | undefined, imag: (n: number, N: number) => number): { A: Tensor } {
  const h = checkPositiveInt(H, 'H');
  const n = checkEvenStateSize(N);
  const opts = checkOptions<InitOptions>(options, 'options', ['device']);
  const modes = n / 2;
  const values = new Float32Array(h * modes * 2);
  for (let row = 0; row < h; row++) {
    for (let k = 0; k < modes; k++) {
      values[(row * modes + k) * 2] = -0.5;
      values[(row * modes + k) * 2 + 1] = imag(k, n);
    }
  }
  return { A: tensor(values, [h, modes, 2], { device: opts.device }) };
}

/** S4D-Lin: A[h,n] = −1/2 + iπn, n = 0..N/2−1, as a tensor [H, N/2, 2]. N must be even. */
export function s4dLin(H: number, N: number, options?: InitOptions): {
  /** A [H, N/2, 2]. */
  A: Tensor;
} {
  return diagonalA(H, N, options, (k) => Math.PI * k);
}

/** S4D-Inv: A[h,n] = −1/2 + i(N/π)(N/(2n+1) − 1), n = 0..N/2−1, as a tensor [H, N/2, 2]. */
export function s4dInv(H: number, N: number, options?: InitOptions): {
  /** A [H, N/2, 2]. */
  A: Tensor;
} {
  return diagonalA(H, N, options, (k, n) => (n / Math.PI) * (n / (2 * k + 1) - 1));
}

/** A dense complex matrix in float64, row-major. */
export interface ComplexMatrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** Real parts, rows × cols, row-major. */
  re: Float64Array;
  /** Imaginary parts, rows × cols, row-major. */
  im: Float64Array;
}

/** Options of {@link hippoLegS}. */
export interface HippoOptions extends InitOptions {
  /** Im B̃ is clipped to [−clipB, clipB] (default 2, as the S4 reference); Infinity keeps it whole. */
  clipB?: number;
}

/** The largest state size N that {@link hippoLegS} (and so nn.S4's dState) accepts. */
export const MAX_HIPPO_STATE = 4096;

/** The diagonalised HiPPO-LegS DPLR matrices from {@link hippoLegS}, for one feature (repeat over H). */
export interface HippoLegS {
  /** The kept eigenvalues −1/2 + iμ (μ < 0, ascending, as the S4 reference keeps them): [N/2, 2]. */
  Lambda: Tensor;
  /** P̃ = Vᴴ P: [N/2, 2]. */
  P: Tensor;
  /** B̃ = Vᴴ B, Im clipped to [−clipB, clipB]: [N/2, 2]. */
  B: Tensor;
  /**
   * The kept eigenvectors as columns, N × N/2, in float64, each of unit norm with its first
   * component real and positive (for tests and analysis; computed when first read).
   */
  readonly V: ComplexMatrix;
}

/** @internal The HiPPO-LegS matrices in float64: A (N×N, row-major), B and P (length N). */
export function hippoLegSDense(N: number): { A: Float64Array; B: Float64Array; P: Float64Array } {
  checkInteger(N, 'N', { min: 1, max: MAX_HIPPO_STATE });
  const A = new Float64Array(N * N), B = new Float64Array(N), P = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    B[n] = Math.sqrt(2 * n + 1);
    P[n] = Math.sqrt(n + 0.5);
    for (let k = 0; k < n; k++) A[n * N + k] = -Math.sqrt(2 * n + 1) * Math.sqrt(2 * k + 1);
    A[n * N + n] = -(n + 1);
  }
  return { A, B, P };
}

// HiPPO-LegS eigenstructure (used by legsFrequencies and hippoLegS).
//
// HiPPO-LegS has A[n][k] = −r_n·r_k for n > k, A[n][n] = −(n+1), 0 above the diagonal, with
// r_n = √(2n+1), B_n = r_n and the rank-1 correction P_n = √(n+½) = r_n/√2. Adding PPᵀ gives
//
//   A + PPᵀ = −½·I + S,   S[n][k] = −½·r_n·r_k (n > k),  +½·r_n·r_k (n < k),  0 (n = k),
//
// so S = ½·D·K·D with D = diag(r) and K the sign matrix (K[n][k] = sign(k − n)). S is real and
// skew-symmetric: its eigenvalues are iμ with real μ in ± pairs, and A + PPᵀ has −½ + iμ.
//
// **Eigenvectors.** Put w = D·v. S·v = iμ·v reads ½·K·w = iμ·D⁻²·w. Subtracting consecutive rows
// of K·w leaves w_n + w_{n+1}, so rows n and n+1 of the equation give the two-term recurrence
//
//   w_{n+1}·(½ + i·a_{n+1}) = w_n·(i·a_n − ½),   a_n = μ / r_n² = μ / (2n+1).
//
// Given μ, the eigenvector is this recurrence from w_0 (O(N) per vector); w_0 = 1 makes its first
// component v_0 = w_0/r_0 real and positive, which is the phase longconv pins.
//
// **Eigenvalues.** The recurrence uses N−1 of the N equations; the remaining one (rows 0 and N−1
// added: w_{N−1} − w_0 = 2iμ(w_0/r_0² + w_{N−1}/r_{N−1}²)) decides which μ are eigenvalues. With
// c_n = ½ + i·a_n = |c_n|·e^{iφ_n}, φ_n = atan(2μ/(2n+1)), each recurrence step multiplies w by
// −(|c_n|/|c_{n+1}|)·e^{−i(φ_n + φ_{n+1})}: the magnitudes telescope, and the last equation holds
// exactly when the phases satisfy
//
//   Θ(μ) = Σ_{n<N} atan(2μ/(2n+1)) = (2j+1)·π/2   for an integer j.
//
// Θ is odd and increasing from −Nπ/2 to Nπ/2, so there is exactly one root per target: the N/2
// positive roots for j = 0 … N/2−1 and their negatives. On μ > 0, Θ is concave, so Newton's method
// started left of a root climbs to it monotonically (lib/init.ts `legsFrequencies`); a root lies
// below N²/π (atan x ≤ x in Σ atan((2n+1)/(2μ)) = π/2). Eigenvalues, P̃ = Vᴴ·P = B̃/√2 and
// B̃ = Vᴴ·B cost O(N²) in all, against O(N³) for a dense eigensolver.
//
// **Which half, which phase.** The S4 reference keeps the N/2 modes with μ < 0 in ascending order,
// and so does longconv. It clips Im B̃ to ±2; B̃ depends on each eigenvector's phase, which a
// dense solver (LAPACK) leaves free. With v_0 real, a column's phase is fixed up to its sign, and a
// sign flip of column k flips B̃_k, which the symmetric clip maps to −clip(B̃_k): the clipped B in
// the original basis, 2·Re(V·clip(B̃)), is unchanged. The reference's files have real v_0 of either
// sign; longconv's are all positive, so its Λ, P̃, B̃ equal the reference's up to those signs.

/**
 * @internal
 * The N/2 positive μ (ascending) for which iμ is an eigenvalue of the skew-symmetric part S of
 * HiPPO-LegS (derivation above): the roots of
 * Θ(μ) = Σₙ atan(2μ/(2n+1)) = (2j+1)π/2, j = 0..N/2−1. Θ is increasing and concave on μ > 0, so
 * Newton's method started left of a root climbs to it without overshooting; the bisection
 * fallback only guards against rounding. O(N) per evaluation, a few evaluations per root.
 */
export function legsFrequencies(N: number): Float64Array {
  checkInteger(N, 'N', { min: 1, max: MAX_HIPPO_STATE });
  // Local bindings: global lookups inside hot loops are slow in vm contexts (jest, REPLs).
  const { atan, abs } = Math, eps = Number.EPSILON;
  const theta = (mu: number): [number, number] => {
    let value = 0, slope = 0;
    for (let n = 0; n < N; n++) {
      const c = 2 * n + 1;
      value += atan((2 * mu) / c);
      slope += (2 * c) / (c * c + 4 * mu * mu);
    }
    return [value, slope];
  };
  const roots = new Float64Array(N / 2);
  let lo = 0;
  for (let j = 0; j < N / 2; j++) {
    const target = ((2 * j + 1) * Math.PI) / 2;
    // Every root lies below N²/π (from atan x <= x applied to Σ atan((2n+1)/(2μ)) = π/2).
    let hi = N * N, mu = lo;
    for (let iteration = 0; iteration < 200; iteration++) {
      const [value, slope] = theta(mu);
      if (value < target) lo = mu;
      else hi = mu;
      let next = mu + (target - value) / slope;
      if (!(next > lo && next < hi)) next = (lo + hi) / 2;
      const done = abs(next - mu) <= 4 * eps * next;
      mu = next;
      if (done) break;
    }
    roots[j] = mu;
    lo = mu;
  }
  return roots;
}

/**
 * HiPPO-LegS in S4's diagonal-plus-low-rank form (docs/MATH.md §3.2), as the S4 reference's
 * `nplr('legs', N)` computes it. A + PPᵀ = −½I + S with S real skew-symmetric, so
 * A = V diag(Λ) Vᴴ − P̃P̃ᴴ on the conjugate-doubled state with eigenvalues Λ = −½ + iμ of
 * A + PPᵀ. Of each conjugate pair the one with μ < 0 is kept (ascending, the reference's order):
 * Lambda, V (N × N/2), P̃ = Vᴴ P, B̃ = Vᴴ B with Im B̃ clipped to ±clipB.
 *
 * Not a general eigensolver: S = ½·D·K·D (D = diag √(2n+1), K the sign matrix) makes each
 * eigenvector a two-term recurrence in μ and the eigenvalues the roots of a monotone scalar
 * equation (derivation above legsFrequencies), so the whole set-up is O(N²) and N = 1024 takes milliseconds.
 * Eigenvectors are pinned to unit norm with a real positive first component: the clip acts on
 * Im B̃, which depends on that phase, so this fixes the same B̃ on every machine (LAPACK leaves
 * the phase free; the reference's files have real first components too, of either sign, and a
 * sign flip of a column does not change the clipped B in the original basis).
 *
 * With W = [V, conj(V)] (unitary), Λ₂ = diag(Λ, conj(Λ)) and P₂ = [P̃; conj(P̃)]:
 * A = W (Λ₂ − P₂P₂ᴴ) Wᴴ and B = W [B̃; conj(B̃)] before clipping.
 * @throws RangeError for an odd N, N < 2 or N > MAX_HIPPO_STATE (4096); TypeError/RangeError
 *   for a bad clipB.
 */
export function hippoLegS(N: number, options?: HippoOptions): HippoLegS {
  const n = checkEvenStateSize(N);
  if (n > MAX_HIPPO_STATE) throw rangeError('N', `an even state size <= ${MAX_HIPPO_STATE}`, String(n));
  const opts = checkOptions<HippoOptions>(options, 'options', ['device', 'clipB']);
  const clipB = opts.clipB === Infinity ? Infinity : checkNumber(opts.clipB, 'options.clipB', { min: 0 }, 2);
  const modes = n / 2;
  const positive = legsFrequencies(n);
  const mu = Float64Array.from({ length: modes }, (_, k) => -positive[modes - 1 - k]);
  // Column k of V: w = D·v solves w_{m+1}(½ + i·a_{m+1}) = w_m(i·a_m − ½) with a_m = μ/(2m+1),
  // D = diag √(2m+1); w_0 = 1 makes the first component real and positive. Written to
  // (re, im)[m·stride + offset], normalised.
  const root = Float64Array.from({ length: n }, (_, m) => Math.sqrt(2 * m + 1));
  const eigenvector = (k: number, re: Float64Array, im: Float64Array, stride: number, offset: number): void => {
    let wr = 1, wi = 0, norm = 0;
    for (let m = 0; m < n; m++) {
      re[m * stride + offset] = wr / root[m];
      im[m * stride + offset] = wi / root[m];
      norm += (wr * wr + wi * wi) / (2 * m + 1);
      const a = mu[k] / (2 * m + 1), b = mu[k] / (2 * m + 3);
      const xr = -0.5 * wr - a * wi, xi = a * wr - 0.5 * wi; // w_m (i·a − ½)
      const den = 0.25 + b * b; // |½ + i·b|²
      [wr, wi] = [(0.5 * xr + b * xi) / den, (0.5 * xi - b * xr) / den];
    }
    const scale = 1 / Math.sqrt(norm);
    for (let m = 0; m < n; m++) {
      re[m * stride + offset] *= scale;
      im[m * stride + offset] *= scale;
    }
  };
  const lambda = new Float32Array(modes * 2), pt = new Float32Array(modes * 2), bt = new Float32Array(modes * 2);
  const vr = new Float64Array(n), vi = new Float64Array(n);
  for (let k = 0; k < modes; k++) {
    eigenvector(k, vr, vi, 1, 0);
    // B̃_k = Σ_m conj(v_m)·√(2m+1); P_m = √(m+½) = B_m/√2, so P̃ = B̃/√2.
    let bR = 0, bI = 0;
    for (let m = 0; m < n; m++) {
      bR += vr[m] * root[m];
      bI -= vi[m] * root[m];
    }
    lambda[2 * k] = -0.5;
    lambda[2 * k + 1] = mu[k];
    pt[2 * k] = bR * Math.SQRT1_2;
    pt[2 * k + 1] = bI * Math.SQRT1_2;
    bt[2 * k] = bR;
    bt[2 * k + 1] = Math.min(clipB, Math.max(-clipB, bI));
  }
  const device = { device: opts.device };
  let V: ComplexMatrix | undefined;
  return {
    Lambda: tensor(lambda, [modes, 2], device),
    P: tensor(pt, [modes, 2], device),
    B: tensor(bt, [modes, 2], device),
    get V(): ComplexMatrix {
      if (!V) {
        V = { rows: n, cols: modes, re: new Float64Array(n * modes), im: new Float64Array(n * modes) };
        for (let k = 0; k < modes; k++) eigenvector(k, V.re, V.im, modes, k);
      }
      return V;
    },
  };
}

/** Options of {@link logDt}. */
export interface LogDtOptions extends InitOptions {
  /** Seed for a reproducible draw (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/** log dt ~ U(log dtMin, log dtMax), as a tensor [H]. Requires 0 < dtMin <= dtMax. */
export function logDt(H: number, dtMin = 1e-3, dtMax = 1e-1, options?: LogDtOptions): Tensor {
  const h = checkPositiveInt(H, 'H');
  checkNumber(dtMin, 'dtMin', { min: 0, minExclusive: true });
  checkNumber(dtMax, 'dtMax', { min: 0, minExclusive: true });
  if (dtMin > dtMax) throw rangeError('dtMin', `a number <= dtMax (${dtMax})`, String(dtMin));
  const opts = checkOptions<LogDtOptions>(options, 'options', ['device', 'seed']);
  const uniform = uniformGenerator(opts.seed === undefined ? undefined : checkSeed(opts.seed, 'options.seed'));
  const lo = Math.log(dtMin), hi = Math.log(dtMax);
  const values = new Float32Array(h);
  for (let k = 0; k < h; k++) values[k] = lo + uniform() * (hi - lo);
  return tensor(values, [h], { device: opts.device });
}

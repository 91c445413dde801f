// Parameter initialisers of the S4 family (SPEC §1.4, §1.5), computed in float64 on the host
// and returned as float32 tensors (complex values as a last dimension of 2: re, im).
import { uniformGenerator } from './random';
import { Device, Tensor, tensor } from './tensor';
import { checkNumber, checkOptions, checkPositiveInt, checkSeed, rangeError } from './validate';

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

/**
 * @internal
 * Eigen-decomposition of a complex Hermitian n×n matrix (row-major re, im; only read) by cyclic
 * Jacobi rotations in float64: M = V diag(values) Vᴴ with V unitary. Each rotation first turns
 * the pivot M[p][q] real by a phase on column q, then applies the real symmetric Jacobi
 * rotation that zeroes it. Accurate to a few ulps of ‖M‖.
 */
export function hermitianEigen(n: number, re: Float64Array, im: Float64Array): { values: Float64Array; vectors: ComplexMatrix } {
  const mr = Float64Array.from(re), mi = Float64Array.from(im);
  const vr = new Float64Array(n * n), vi = new Float64Array(n * n);
  for (let k = 0; k < n; k++) vr[k * n + k] = 1;
  let frobenius = 0;
  for (let k = 0; k < n * n; k++) frobenius += mr[k] * mr[k] + mi[k] * mi[k];
  // Stop once the off-diagonal part is at rounding level (‖off‖ <= 1e-15 ‖M‖), or stops shrinking.
  const tolerance = 1e-30 * frobenius;
  let previousOff = Infinity;

  // Columns p, q of X (n×n) := X·J with J = [[jpp, jpq], [jqp, jqq]] (complex, as [re, im]).
  const rotateColumns = (xr: Float64Array, xi: Float64Array, p: number, q: number, J: number[]) => {
    const [appR, appI, apqR, apqI, aqpR, aqpI, aqqR, aqqI] = J;
    for (let r = 0; r < n; r++) {
      const xpR = xr[r * n + p], xpI = xi[r * n + p], xqR = xr[r * n + q], xqI = xi[r * n + q];
      xr[r * n + p] = xpR * appR - xpI * appI + xqR * aqpR - xqI * aqpI;
      xi[r * n + p] = xpR * appI + xpI * appR + xqR * aqpI + xqI * aqpR;
      xr[r * n + q] = xpR * apqR - xpI * apqI + xqR * aqqR - xqI * aqqI;
      xi[r * n + q] = xpR * apqI + xpI * apqR + xqR * aqqI + xqI * aqqR;
    }
  };
  // Rows p, q of M := Jᴴ·M.
  const rotateRows = (p: number, q: number, J: number[]) => {
    const [appR, appI, apqR, apqI, aqpR, aqpI, aqqR, aqqI] = J;
    for (let c = 0; c < n; c++) {
      const xpR = mr[p * n + c], xpI = mi[p * n + c], xqR = mr[q * n + c], xqI = mi[q * n + c];
      // conj(J_pp) x_p + conj(J_qp) x_q and conj(J_pq) x_p + conj(J_qq) x_q
      mr[p * n + c] = appR * xpR + appI * xpI + aqpR * xqR + aqpI * xqI;
      mi[p * n + c] = appR * xpI - appI * xpR + aqpR * xqI - aqpI * xqR;
      mr[q * n + c] = apqR * xpR + apqI * xpI + aqqR * xqR + aqqI * xqI;
      mi[q * n + c] = apqR * xpI - apqI * xpR + aqqR * xqI - aqqI * xqR;
    }
  };

  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += mr[p * n + q] ** 2 + mi[p * n + q] ** 2;
    if (off <= tolerance || off >= previousOff) break;
    previousOff = off;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const cR = mr[p * n + q], cI = mi[p * n + q];
        const magnitude = Math.hypot(cR, cI);
        if (magnitude === 0) continue;
        // Phase e^{-iφ} on column q makes the pivot real (= magnitude).
        const phR = cR / magnitude, phI = -cI / magnitude;
        const theta = (mr[q * n + q] - mr[p * n + p]) / (2 * magnitude);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        // J = diag(1, e^{-iφ}) · [[cs, sn], [-sn, cs]]
        const J = [cs, 0, sn, 0, -sn * phR, -sn * phI, cs * phR, cs * phI];
        rotateColumns(mr, mi, p, q, J);
        rotateRows(p, q, J);
        rotateColumns(vr, vi, p, q, J);
        mr[p * n + q] = mi[p * n + q] = mr[q * n + p] = mi[q * n + p] = 0;
        mi[p * n + p] = mi[q * n + q] = 0;
      }
    }
  }
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) values[k] = mr[k * n + k];
  return { values, vectors: { rows: n, cols: n, re: vr, im: vi } };
}

/** Options of {@link hippoLegS}. */
export interface HippoOptions extends InitOptions {
  /** Im B̃ is clipped to [−clipB, clipB] (default 2, as the S4 reference); Infinity keeps it whole. */
  clipB?: number;
}

/** The diagonalised HiPPO-LegS DPLR matrices from {@link hippoLegS}, for one feature (repeat over H). */
export interface HippoLegS {
  /** The kept eigenvalues −1/2 + iλ (λ > 0, ascending): [N/2, 2]. */
  Lambda: Tensor;
  /** P̃ = Vᴴ P: [N/2, 2]. */
  P: Tensor;
  /** B̃ = Vᴴ B, Im clipped to [−clipB, clipB]: [N/2, 2]. */
  B: Tensor;
  /** The kept eigenvectors as columns, N × N/2, in float64 (for tests and analysis). */
  V: ComplexMatrix;
}

/** @internal The HiPPO-LegS matrices in float64: A (N×N, row-major), B and P (length N). */
export function hippoLegSDense(N: number): { A: Float64Array; B: Float64Array; P: Float64Array } {
  const A = new Float64Array(N * N), B = new Float64Array(N), P = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    B[n] = Math.sqrt(2 * n + 1);
    P[n] = Math.sqrt(n + 0.5);
    for (let k = 0; k < n; k++) A[n * N + k] = -Math.sqrt(2 * n + 1) * Math.sqrt(2 * k + 1);
    A[n * N + n] = -(n + 1);
  }
  return { A, B, P };
}

/**
 * HiPPO-LegS in S4's diagonal-plus-low-rank form (SPEC §1.5). A + PPᵀ = −½I + S with S real
 * skew-symmetric; −iS is Hermitian, so its eigenvectors diagonalise A + PPᵀ with eigenvalues
 * −½ + iλ, which come in conjugate pairs (eigenvector v for λ, conj(v) for −λ). The N/2 with
 * λ > 0 are kept (ascending): Lambda, V (N × N/2), P̃ = Vᴴ P, B̃ = Vᴴ B.
 *
 * The full (conjugate-doubled) state is the kept modes plus their conjugates: with
 * W = [V, conj(V)] (unitary), Λ₂ = diag(Λ, conj(Λ)) and P₂ = [P̃; conj(P̃)],
 * A = W (Λ₂ − P₂P₂ᴴ) Wᴴ, i.e. A = V diag(Λ) Vᴴ − P̃P̃ᴴ on that state, and B = W [B̃; conj(B̃)]
 * before clipping. N must be even.
 */
export function hippoLegS(N: number, options?: HippoOptions): HippoLegS {
  const n = checkEvenStateSize(N);
  const opts = checkOptions<HippoOptions>(options, 'options', ['device', 'clipB']);
  const clipB = opts.clipB === Infinity ? Infinity : checkNumber(opts.clipB ?? 2, 'options.clipB', { min: 0 });
  const { A, B, P } = hippoLegSDense(n);
  // M = -iS with S = A + PPᵀ + ½I (real skew): M is purely imaginary Hermitian.
  const zero = new Float64Array(n * n), mi = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) mi[r * n + c] = -(A[r * n + c] + P[r] * P[c] + (r === c ? 0.5 : 0));
  }
  const { values, vectors } = hermitianEigen(n, zero, mi);
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]).slice(n / 2);
  const modes = n / 2;
  const V: ComplexMatrix = { rows: n, cols: modes, re: new Float64Array(n * modes), im: new Float64Array(n * modes) };
  const lambda = new Float32Array(modes * 2), pt = new Float32Array(modes * 2), bt = new Float32Array(modes * 2);
  order.forEach((column, k) => {
    let pR = 0, pI = 0, bR = 0, bI = 0;
    for (let r = 0; r < n; r++) {
      const vR = vectors.re[r * n + column], vI = vectors.im[r * n + column];
      V.re[r * modes + k] = vR;
      V.im[r * modes + k] = vI;
      // (Vᴴ x)_k = sum_r conj(V[r,k]) x[r], x real
      pR += vR * P[r];
      pI -= vI * P[r];
      bR += vR * B[r];
      bI -= vI * B[r];
    }
    lambda[2 * k] = -0.5;
    lambda[2 * k + 1] = values[column];
    pt[2 * k] = pR;
    pt[2 * k + 1] = pI;
    bt[2 * k] = bR;
    bt[2 * k + 1] = Math.min(clipB, Math.max(-clipB, bI));
  });
  const device = { device: opts.device };
  return {
    Lambda: tensor(lambda, [modes, 2], device),
    P: tensor(pt, [modes, 2], device),
    B: tensor(bt, [modes, 2], device),
    V,
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

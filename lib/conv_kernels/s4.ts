// kernels.s4 (docs/MATH.md §3.2): the kernel of a diagonal-plus-low-rank (DPLR) SSM, computed the S4
// way — Cauchy kernels at the bilinear frequencies, the Woodbury identity, an inverse real FFT —
// never with dense matrix powers. Built from differentiable ops; autograd gives the gradients.
import { cauchy } from '../ops/cauchy';
import { cdiv, cmul, complex, conj, real } from '../ops/complex';
import { add, mul, sub } from '../ops/elementwise';
import { irfft } from '../ops/fft';
import { sum } from '../ops/reduce';
import { concat, narrow, reshape } from '../ops/shape';
import { Tensor, tensor, tidy, zeros } from '../tensor';
import { checkObject, checkPositiveInt, checkRank, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';
import { CMatrix, conjugateDoubled } from './complex64';

/** The DPLR SSM of `kernels.s4`; every tensor on the same device, complex values as [..., 2]. */
export interface S4Params {
  /** Diagonal part Λ [H, N, 2] (complex, Re < 0), N = kept modes (state size / 2). */
  Lambda: Tensor;
  /** Low-rank part P [R, H, N, 2], R = 1 or 2: A = diag(Λ) − Σ_r P_r P_rᴴ on the doubled state. */
  P: Tensor;
  /** Input matrix B [H, N, 2]. */
  B: Tensor;
  /** C̃ = (I − dA^L)ᵀ C [H, N, 2] (kernel [H, L]) or [C, H, N, 2] (kernel [C, H, L]); see setupCt. */
  Ct: Tensor;
  /** Step sizes dt [H] (> 0). */
  dt: Tensor;
}

/**
 * Validates the DPLR parameters Lambda, P, dt (and B when `withB`), the output matrix `ct`
 * (C̃ for kernels.s4, C for setupCt) and L; `what` describes the params object.
 */
function checkDplr(params: unknown, what: string, L: unknown, ct: { name: string; tensor: unknown }, withB: boolean): { H: number; N: number; R: number } {
  const p = checkObject(params, 'params', what);
  const Lambda = checkTensor(p.Lambda, 'params.Lambda');
  checkRank(Lambda, 'params.Lambda', ['H,N,2']);
  const [H, N, two] = Lambda.shape;
  if (two !== 2) throw rangeError('params.Lambda', 'a complex tensor [H,N,2] (last dimension 2)', fmtShape(Lambda.shape));
  const P = checkTensor(p.P, 'params.P');
  checkRank(P, 'params.P', ['R,H,N,2']);
  const R = P.shape[0];
  checkShape(P, 'params.P', [R, H, N, 2], `[R,H,N,2] with H, N of Lambda ${fmtShape(Lambda.shape)}`);
  if (R !== 1 && R !== 2) throw rangeError('params.P', 'rank R = P.shape[0] of 1 or 2', String(R));
  const B = withB ? checkTensor(p.B, 'params.B') : null;
  if (B) checkShape(B, 'params.B', [H, N, 2], 'the shape of Lambda');
  const Ct = checkTensor(ct.tensor, ct.name);
  checkRank(Ct, ct.name, ['H,N,2', 'C,H,N,2']);
  checkShape(Ct, ct.name, Ct.shape.length === 4 ? [Ct.shape[0], H, N, 2] : [H, N, 2], '[H,N,2] or [C,H,N,2] with H, N of Lambda');
  const dt = checkTensor(p.dt, 'params.dt');
  checkShape(dt, 'params.dt', [H], '[H] with H of Lambda');
  checkPositiveInt(L, 'L');
  checkSameDevice([['params.Lambda', Lambda], ['params.P', P], ['params.B', B], [ct.name, Ct], ['params.dt', dt]]);
  return { H, N, R };
}

/**
 * The finite bilinear frequencies z_j = 2(1 − ω^j)/(1 + ω^j) = 2i·tan(πj/L) and the factors
 * 2/(1 + ω^j) = 1 + i·tan(πj/L), ω = exp(−2πi/L), for j = 0 .. ceil(L/2) − 1 (for even L the
 * Nyquist bin, where z is infinite, is handled by its limit instead).
 */
function bilinearFrequencies(L: number): { z: Float32Array; factor: Float32Array } {
  const count = Math.ceil(L / 2);
  const z = new Float32Array(2 * count);
  const factor = new Float32Array(2 * count);
  for (let j = 0; j < count; j++) {
    const t = Math.tan((Math.PI * j) / L);
    z[2 * j + 1] = 2 * t;
    factor[2 * j] = 1;
    factor[2 * j + 1] = t;
  }
  return { z, factor };
}

/**
 * The S4 (DPLR) kernel K[c,h,l] = C̃ᵀ-generated kernel of dA = (I − dt/2·A)⁻¹(I + dt/2·A),
 * A = diag(Λ) − PPᴴ on the conjugate-doubled state, for l = 0..L−1:
 * `k̂(ω^j) = 2/(1+ω^j) · [r_C̃B − r_C̃P (I + r_QP)⁻¹ r_QB](z_j)`, `r_ab = cauchy(dt·a⊙b, z, dt·Λ, conj)`,
 * Q = conj(P), then K = irfft(k̂, L).
 * @returns [H, L] for Ct of shape [H,N,2], [C, H, L] for [C,H,N,2]. Differentiable in every parameter.
 * @throws TypeError/RangeError for non-tensors, shapes that disagree, R ∉ {1,2}, L < 1, mixed devices.
 */
export function s4(params: S4Params, L: number): Tensor {
  const { H, R } = checkDplr(params, 'an object {Lambda, P, B, Ct, dt}', L, { name: 'params.Ct', tensor: (params as Partial<S4Params>)?.Ct }, true);
  const { Lambda, P, B, Ct, dt } = params;
  const device = Lambda.device;
  return tidy(() => {
    const { z, factor } = bilinearFrequencies(L);
    const zT = tensor(z, [z.length / 2, 2], { device });
    const one = tensor([1, 0], [2], { device });
    const dtB = reshape(dt, [H, 1, 1]);
    const w = mul(Lambda, dtB);
    const Ps = Array.from({ length: R }, (_, r) => reshape(narrow(P, 0, r, 1), [...P.shape.slice(1)]));
    const Qs = Ps.map((p) => conj(p));
    const r = (a: Tensor, b: Tensor) => cauchy(mul(cmul(a, b), dtB), zT, w, { conj: true });

    // Woodbury: k̂ = r_C̃B − r_C̃P (I + r_QP)⁻¹ r_QB, with R = 1 or 2 solved in closed form.
    const rCB = r(Ct, B);
    const rCP = Ps.map((p) => r(Ct, p));
    const rQB = Qs.map((q) => r(q, B));
    const M = Qs.map((q, i) => Ps.map((p, j) => (i === j ? add(r(q, p), one) : r(q, p))));
    let correction: Tensor;
    if (R === 1) {
      correction = cdiv(cmul(rCP[0], rQB[0]), M[0][0]);
    } else {
      const det = sub(cmul(M[0][0], M[1][1]), cmul(M[0][1], M[1][0]));
      const x0 = cdiv(sub(cmul(M[1][1], rQB[0]), cmul(M[0][1], rQB[1])), det);
      const x1 = cdiv(sub(cmul(M[0][0], rQB[1]), cmul(M[1][0], rQB[0])), det);
      correction = add(cmul(rCP[0], x0), cmul(rCP[1], x1));
    }
    let khat = cmul(sub(rCB, correction), tensor(factor, [factor.length / 2, 2], { device }));
    if (L % 2 === 0) {
      // At ω = −1 (z = ∞) the Woodbury term vanishes and k̂·2/(1+ω) → Re Σ_n dt·B_n·C̃_n.
      const limit = real(sum(mul(cmul(Ct, B), dtB), -2));
      const nyquist = reshape(complex(limit, zeros(limit.shape as number[], { device })), [...limit.shape, 1, 2]);
      khat = concat([khat, nyquist], -2);
    }
    return irfft(khat, L);
  });
}

/** The parts of the DPLR SSM that `kernels.setupCt` needs (see {@link S4Params}). */
export interface DplrParams {
  /** Diagonal part Λ [H, N, 2]. */
  Lambda: Tensor;
  /** Low-rank part P [R, H, N, 2], R = 1 or 2. */
  P: Tensor;
  /** Step sizes dt [H] (> 0). */
  dt: Tensor;
}

/** Complex values of row `index` of a [..., N, 2] tensor's host copy, as float64 interleaved pairs. */
function row(data: Float32Array, index: number, N: number): Float64Array {
  return Float64Array.from(data.subarray(2 * N * index, 2 * N * (index + 1)));
}

/**
 * The bilinear transition matrix dA = (I − dt/2·A)⁻¹(I + dt/2·A) of feature h on the
 * conjugate-doubled state (modes n, then their conjugates), A = diag(Λ) − Σ_r p_r p_rᴴ; float64.
 */
export function dplrTransition(lambda: Float64Array, Ps: Float64Array[], dt: number): CMatrix {
  const lam = conjugateDoubled(lambda);
  const n = lam.length / 2;
  const A = new CMatrix(n);
  for (let i = 0; i < n; i++) [A.data[2 * (i * n + i)], A.data[2 * (i * n + i) + 1]] = [lam[2 * i], lam[2 * i + 1]];
  for (const p of Ps.map(conjugateDoubled))
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        // (p pᴴ)_ij = p_i conj(p_j)
        A.data[2 * (i * n + j)] -= p[2 * i] * p[2 * j] + p[2 * i + 1] * p[2 * j + 1];
        A.data[2 * (i * n + j) + 1] -= p[2 * i + 1] * p[2 * j] - p[2 * i] * p[2 * j + 1];
      }
  const I = CMatrix.identity(n);
  return I.plusScaled(A, -dt / 2).solve(I.plusScaled(A, dt / 2));
}

/**
 * x ↦ dAᵀ·x for one feature on the conjugate-doubled state (float64, interleaved pairs):
 * dAᵀ = (I + h·Aᵀ)(I − h·Aᵀ)⁻¹ with h = dt/2 and Aᵀ = diag(λ) − Σ_r conj(p_r)·p_rᵀ, the inverse
 * applied by the Woodbury identity — O(N·R) per application instead of a dense O(N²).
 */
function transposedTransition(lambda: Float64Array, Ps: Float64Array[], dt: number): (x: Float64Array) => Float64Array {
  const lam = conjugateDoubled(lambda);
  const p = Ps.map(conjugateDoubled);
  const n = lam.length / 2, R = p.length, h = dt / 2;
  // d = 1/(1 − h·λ)
  const d = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const re = 1 - h * lam[2 * i], im = -h * lam[2 * i + 1], den = re * re + im * im;
    [d[2 * i], d[2 * i + 1]] = [re / den, -im / den];
  }
  // Σ_i a_i·b_i·c_i (no conjugation) for interleaved vectors; c optional.
  const dot = (a: Float64Array, b: Float64Array, c?: Float64Array): [number, number] => {
    let re = 0, im = 0;
    for (let i = 0; i < n; i++) {
      let [br, bi] = [b[2 * i], b[2 * i + 1]];
      if (c) [br, bi] = [br * c[2 * i] - bi * c[2 * i + 1], br * c[2 * i + 1] + bi * c[2 * i]];
      re += a[2 * i] * br - a[2 * i + 1] * bi;
      im += a[2 * i] * bi + a[2 * i + 1] * br;
    }
    return [re, im];
  };
  // G = I + h·Pᵀ·diag(d)·conj(P) (R×R), inverted in closed form (R <= 2).
  const q = p.map((v) => v.map((x, i) => (i % 2 ? -x : x)));
  const G = p.map((pr, r) => q.map((qs, s) => {
    const [re, im] = dot(pr, qs, d);
    return [h * re + (r === s ? 1 : 0), h * im];
  }));
  const cmulPair = (a: number[], b: number[]) => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
  const cinv = (a: number[]) => {
    const den = a[0] * a[0] + a[1] * a[1];
    return [a[0] / den, -a[1] / den];
  };
  let Ginv: number[][][];
  if (R === 1) Ginv = [[cinv(G[0][0])]];
  else {
    const det = cmulPair(G[0][0], G[1][1]).map((v, i) => v - cmulPair(G[0][1], G[1][0])[i]);
    const inv = cinv(det);
    const neg = (a: number[]) => [-a[0], -a[1]];
    Ginv = [[cmulPair(G[1][1], inv), cmulPair(neg(G[0][1]), inv)], [cmulPair(neg(G[1][0]), inv), cmulPair(G[0][0], inv)]];
  }
  return (x: Float64Array) => {
    // z = d⊙x − d⊙Q·G⁻¹·(h·Pᵀ(d⊙x))
    const z = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      z[2 * i] = d[2 * i] * x[2 * i] - d[2 * i + 1] * x[2 * i + 1];
      z[2 * i + 1] = d[2 * i] * x[2 * i + 1] + d[2 * i + 1] * x[2 * i];
    }
    const t = p.map((pr) => dot(pr, z).map((v) => h * v));
    for (let r = 0; r < R; r++) {
      let [cr, ci] = [0, 0];
      for (let s = 0; s < R; s++) {
        const [gr, gi] = cmulPair(Ginv[r][s], t[s]);
        cr += gr;
        ci += gi;
      }
      const qr = q[r];
      for (let i = 0; i < n; i++) {
        // z_i −= d_i·q_i·c
        const [ar, ai] = [d[2 * i] * qr[2 * i] - d[2 * i + 1] * qr[2 * i + 1], d[2 * i] * qr[2 * i + 1] + d[2 * i + 1] * qr[2 * i]];
        z[2 * i] -= ar * cr - ai * ci;
        z[2 * i + 1] -= ar * ci + ai * cr;
      }
    }
    // y = z + h·(λ⊙z − Σ_r q_r·(p_rᵀz))
    const y = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      y[2 * i] = z[2 * i] + h * (lam[2 * i] * z[2 * i] - lam[2 * i + 1] * z[2 * i + 1]);
      y[2 * i + 1] = z[2 * i + 1] + h * (lam[2 * i] * z[2 * i + 1] + lam[2 * i + 1] * z[2 * i]);
    }
    for (let r = 0; r < R; r++) {
      const [sr, si] = dot(p[r], z);
      for (let i = 0; i < n; i++) {
        y[2 * i] -= h * (q[r][2 * i] * sr - q[r][2 * i + 1] * si);
        y[2 * i + 1] -= h * (q[r][2 * i] * si + q[r][2 * i + 1] * sr);
      }
    }
    return y;
  };
}

/**
 * x ↦ (I − dA^L)ᵀ·x for one feature on the doubled state (2N entries), float64. Applies the
 * structured step L times (O(L·N·R)) or forms dA^L densely by repeated squaring (O(N³·log L)),
 * whichever costs fewer operations for this N, L and number of vectors.
 */
function ctOperator(lambda: Float64Array, Ps: Float64Array[], dt: number, L: number, vectors: number): (x: Float64Array) => Float64Array {
  const n = lambda.length; // doubled state size
  const stepped = vectors * L * n * (8 + 6 * Ps.length);
  const squarings = Math.floor(Math.log2(L)), multiplies = L.toString(2).split('').filter((b) => b === '1').length;
  const dense = (squarings + multiplies + 2) * n ** 3;
  if (stepped <= dense) {
    const step = transposedTransition(lambda, Ps, dt);
    return (x) => {
      let y = x;
      for (let l = 0; l < L; l++) y = step(y);
      return x.map((v, i) => v - y[i]);
    };
  }
  const M = CMatrix.identity(n).plusScaled(dplrTransition(lambda, Ps, dt).pow(L).transpose(), -1);
  return (x) => M.mulVec(x);
}

/**
 * C̃ = (I − dA^L)ᵀ C for each feature (S4 trains C̃ directly; this converts a C once, at init,
 * for kernels of length L). Computed on the host in float64 — an initialisation step, never
 * part of a training step — by L structured steps of the DPLR transition or dense repeated
 * squaring, whichever is cheaper (see ctOperator).
 * @param C [H, N, 2] or [C, H, N, 2]
 * @returns a new tensor of C's shape and device
 */
export function setupCt(C: Tensor, params: DplrParams, L: number): Tensor {
  checkDplr(params, 'an object {Lambda, P, dt}', L, { name: 'C', tensor: C }, false);
  const { Lambda } = params;
  const channels = C.shape.length === 4 ? C.shape[0] : 1;
  const out = convertCt(C.toFloat32Array(), hostDplr(Lambda, params.P, params.dt), channels, 0, L);
  return tensor(out, C.shape, { device: C.device });
}

/** Host copies (float32) of a DPLR SSM's Λ [H,N,2], P [R,H,N,2] and dt [H], for {@link convertCt}. */
export interface HostDplr {
  /** Λ, [H, N, 2] row-major. */
  Lambda: Float32Array;
  /** P, [R, H, N, 2] row-major. */
  P: Float32Array;
  /** dt, [H]. */
  dt: Float32Array;
}

function hostDplr(Lambda: Tensor, P: Tensor, dt: Tensor): HostDplr {
  return { Lambda: Lambda.toFloat32Array(), P: P.toFloat32Array(), dt: dt.toFloat32Array() };
}

/**
 * @internal
 * Re-targets S4's C̃ ([channels, H, N, 2] on the host) from kernel length `fromL` to `toL`:
 * C̃' = (I − dA^toL)ᵀ (I − dA^fromL)⁻ᵀ C̃, float64 per feature. fromL = 0 means C̃ holds a plain
 * C (no C̃ set up yet, the reference's l_kernel = 0).
 */
export function convertCt(Ct: Float32Array, dplr: HostDplr, channels: number, fromL: number, toL: number): Float32Array {
  const H = dplr.dt.length, N = dplr.Lambda.length / (2 * H), R = dplr.P.length / (2 * H * N);
  const out = new Float32Array(Ct.length);
  for (let h = 0; h < H; h++) {
    const lambda = row(dplr.Lambda, h, N);
    const Ps = Array.from({ length: R }, (_, r) => row(dplr.P, r * H + h, N));
    const dt = dplr.dt[h];
    const apply = ctOperator(lambda, Ps, dt, toL, channels);
    const undo = fromL > 0 ? CMatrix.identity(2 * N).plusScaled(dplrTransition(lambda, Ps, dt).pow(fromL).transpose(), -1) : null;
    for (let c = 0; c < channels; c++) {
      let x = conjugateDoubled(row(Ct, c * H + h, N));
      if (undo) x = solveVector(undo, x);
      out.set(Float32Array.from(apply(x).subarray(0, 2 * N)), 2 * N * (c * H + h));
    }
  }
  return out;
}

/** Solves M·x = b for one complex vector b (interleaved). */
function solveVector(M: CMatrix, b: Float64Array): Float64Array {
  const n = M.n;
  const rhs = new CMatrix(n);
  for (let i = 0; i < n; i++) [rhs.data[2 * i * n], rhs.data[2 * i * n + 1]] = [b[2 * i], b[2 * i + 1]];
  const x = M.solve(rhs);
  return Float64Array.from({ length: 2 * n }, (_, k) => x.data[2 * Math.floor(k / 2) * n + (k % 2)]);
}

// float64 references of the SSM kernels (tests of kernels.s4d/s4 and of the S4D/S4 layers): S4D
// by its direct formula, S4 by dense matrices (A = diag(Λ) − PPᴴ on the doubled state, bilinear
// dA and dB, K[l] = Cᵀ dA^l dB with C recovered from C̃).
import { CMatrix, conjugateDoubled } from '../lib/conv_kernels/complex64';
import { randomArray } from './helpers';

type C64 = [number, number];
const cmul = (a: C64, b: C64): C64 => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cdiv = (a: C64, b: C64): C64 => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const cexp = (a: C64): C64 => [Math.exp(a[0]) * Math.cos(a[1]), Math.exp(a[0]) * Math.sin(a[1])];
const at = (x: ArrayLike<number>, i: number): C64 => [x[2 * i], x[2 * i + 1]];

/** Random stable diagonal SSM data: A with Re in [−1, −0.1], dt in [1e-3, 1e-1]. */
export function ssmData(channels: number, H: number, N: number, seed: number) {
  const A = randomArray(H * N * 2, seed).map((v, i) => (i % 2 === 0 ? -0.55 + 0.45 * v : 3 * v));
  const dt = randomArray(H, seed + 1).map((v) => Math.fround(Math.exp(Math.log(1e-3) + ((v + 1) / 2) * Math.log(100))));
  return { A, B: randomArray(H * N * 2, seed + 2), C: randomArray(channels * H * N * 2, seed + 3), dt };
}

export function s4dReference(d: ReturnType<typeof ssmData>, channels: number, H: number, N: number, L: number, disc: 'zoh' | 'bilinear') {
  const K = new Float64Array(channels * H * L);
  for (let c = 0; c < channels; c++)
    for (let h = 0; h < H; h++)
      for (let n = 0; n < N; n++) {
        const A = at(d.A, h * N + n);
        const dtA: C64 = [A[0] * d.dt[h], A[1] * d.dt[h]];
        const CB = cmul(at(d.C, (c * H + h) * N + n), at(d.B, h * N + n));
        let Cb: C64;
        let base: C64;
        if (disc === 'zoh') {
          const e = cexp(dtA);
          Cb = cmul(CB, cdiv([e[0] - 1, e[1]], A));
          base = e;
        } else {
          const den: C64 = [1 - dtA[0] / 2, -dtA[1] / 2];
          Cb = cdiv([CB[0] * d.dt[h], CB[1] * d.dt[h]], den);
          base = cdiv([1 + dtA[0] / 2, dtA[1] / 2], den);
        }
        let p: C64 = [1, 0];
        for (let l = 0; l < L; l++) {
          K[(c * H + h) * L + l] += 2 * cmul(Cb, p)[0];
          p = cmul(p, base);
        }
      }
  return K;
}

export interface DplrData {
  Lambda: Float64Array; // [H,N,2]
  P: Float64Array; // [R,H,N,2]
  B: Float64Array; // [H,N,2]
  Ct: Float64Array; // [C,H,N,2]
  dt: Float64Array; // [H]
}

export function dplrData(channels: number, R: number, H: number, N: number, seed: number): DplrData {
  const d = ssmData(channels, H, N, seed);
  return { Lambda: d.A, P: randomArray(R * H * N * 2, seed + 7).map((v) => 0.7 * v), B: d.B, Ct: d.C, dt: d.dt };
}

/** Column vector helpers on CMatrix data (a vector is an n×n matrix's first column). */
function asColumn(v: Float64Array): CMatrix {
  const n = v.length / 2;
  const m = new CMatrix(n);
  for (let i = 0; i < n; i++) [m.data[2 * i * n], m.data[2 * i * n + 1]] = [v[2 * i], v[2 * i + 1]];
  return m;
}
function firstColumn(m: CMatrix): Float64Array {
  const out = new Float64Array(2 * m.n);
  for (let i = 0; i < m.n; i++) [out[2 * i], out[2 * i + 1]] = [m.data[2 * i * m.n], m.data[2 * i * m.n + 1]];
  return out;
}

/** Dense reference on the doubled state; `ctIsC` treats Ct as C itself (for setupCt). */
export function s4Reference(d: DplrData, channels: number, R: number, H: number, N: number, L: number, ctIsC = false) {
  const K = new Float64Array(channels * H * L);
  const slice = (x: Float64Array, i: number) => x.subarray(2 * N * i, 2 * N * (i + 1));
  for (let h = 0; h < H; h++) {
    const n = 2 * N;
    const A = new CMatrix(n);
    const lam = conjugateDoubled(slice(d.Lambda, h));
    for (let i = 0; i < n; i++) [A.data[2 * (i * n + i)], A.data[2 * (i * n + i) + 1]] = [lam[2 * i], lam[2 * i + 1]];
    for (let r = 0; r < R; r++) {
      const p = conjugateDoubled(slice(d.P, r * H + h));
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const v = cmul(at(p, i), [p[2 * j], -p[2 * j + 1]]);
          A.data[2 * (i * n + j)] -= v[0];
          A.data[2 * (i * n + j) + 1] -= v[1];
        }
    }
    const dt = d.dt[h];
    const I = CMatrix.identity(n);
    const left = I.plusScaled(A, -dt / 2);
    const dA = left.solve(I.plusScaled(A, dt / 2));
    const dB = firstColumn(left.solve(asColumn(conjugateDoubled(slice(d.B, h)).map((v) => v * dt))));
    const dAL = dA.pow(L);
    for (let c = 0; c < channels; c++) {
      const ct = conjugateDoubled(slice(d.Ct, c * H + h));
      // C from C̃ = (I − dA^L)ᵀ C.
      const C = ctIsC ? ct : firstColumn(I.plusScaled(dAL.transpose(), -1).solve(asColumn(ct)));
      let x = dB;
      for (let l = 0; l < L; l++) {
        let re = 0, im = 0;
        for (let i = 0; i < n; i++) {
          const v = cmul(at(C, i), at(x, i));
          re += v[0];
          im += v[1];
        }
        expect(Math.abs(im)).toBeLessThan(1e-9 * (1 + Math.abs(re))); // real by conjugate symmetry
        K[(c * H + h) * L + l] = re;
        x = dA.mulVec(x);
      }
    }
  }
  return K;
}


import * as lc from '../lib';
import { hippoLegSDense, legsFrequencies } from '../lib/init';

function complexPairs(x: lc.Tensor): [number, number][] {
  const v = x.toFloat32Array();
  return Array.from({ length: v.length / 2 }, (_, k) => [v[2 * k], v[2 * k + 1]]);
}

describe('S4D initialisers', () => {
  test('s4dLin: A = -1/2 + i*pi*n for every h', () => {
    lc.tidy(() => {
      const { A } = lc.init.s4dLin(3, 8);
      expect(A.shape).toEqual([3, 4, 2]);
      complexPairs(A).forEach(([re, im], k) => {
        expect(re).toBe(-0.5);
        expect(im).toBe(Math.fround(Math.PI * (k % 4)));
      });
    });
  });

  test('s4dInv: A = -1/2 + i(N/pi)(N/(2n+1) - 1)', () => {
    lc.tidy(() => {
      const N = 64;
      const { A } = lc.init.s4dInv(2, N);
      expect(A.shape).toEqual([2, 32, 2]);
      complexPairs(A).forEach(([re, im], k) => {
        const n = k % 32;
        expect(re).toBe(-0.5);
        expect(im).toBe(Math.fround((N / Math.PI) * (N / (2 * n + 1) - 1)));
      });
    });
  });

  test('bad sizes', () => {
    expect(() => lc.init.s4dLin(2, 7)).toThrow(/^N: expected an even state size/);
    expect(() => lc.init.s4dInv(0, 8)).toThrow(RangeError);
    expect(() => lc.init.s4dLin(2.5, 8)).toThrow(TypeError);
    expect(() => lc.init.s4dLin(2, 8, { dev: 'cpu' } as never)).toThrow(/unknown option 'dev'/);
  });
});

// Dense complex helpers on row-major (re, im) pairs.
type CMat = { re: Float64Array; im: Float64Array; rows: number; cols: number };

// W = [V, conj(V)]: the eigenvectors of the conjugate-doubled state.
function doubled(V: CMat): CMat {
  const n = V.rows, m = V.cols;
  const W = { rows: n, cols: 2 * m, re: new Float64Array(n * 2 * m), im: new Float64Array(n * 2 * m) };
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < m; k++) {
      W.re[r * 2 * m + k] = V.re[r * m + k];
      W.im[r * 2 * m + k] = V.im[r * m + k];
      W.re[r * 2 * m + m + k] = V.re[r * m + k];
      W.im[r * 2 * m + m + k] = -V.im[r * m + k];
    }
  }
  return W;
}

// The float64 decomposition behind hippoLegS (Lambda, P~ recomputed from V in float64 since the
// tensors hold float32).
function hippoParts(N: number, V: CMat) {
  const { P, B } = hippoLegSDense(N);
  const m = N / 2;
  const transform = (x: Float64Array) => {
    const re = new Float64Array(m), im = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      for (let r = 0; r < N; r++) {
        re[k] += V.re[r * m + k] * x[r];
        im[k] -= V.im[r * m + k] * x[r];
      }
    }
    return { re, im };
  };
  return { Pt: transform(P), Bt: transform(B) };
}

describe('hippoLegS: the NPLR form reconstructs HiPPO-LegS in float64', () => {
  for (const N of [2, 8, 64, 256]) {
    test(`N=${N}`, () => {
      const { Lambda, P, B, V } = lc.init.hippoLegS(N, { clipB: Infinity });
      const m = N / 2;
      expect([Lambda.shape, P.shape, B.shape]).toEqual([[m, 2], [m, 2], [m, 2]]);
      expect([V.rows, V.cols]).toEqual([N, m]);
      const lambda = complexPairs(Lambda);
      // Real parts -1/2; imaginary parts negative and ascending (the reference's half).
      lambda.forEach(([re, im], k) => {
        expect(re).toBe(-0.5);
        expect(im).toBeLessThan(0);
        if (k > 0) expect(im).toBeGreaterThanOrEqual(lambda[k - 1][1]);
      });
      const W = doubled(V);
      // W unitary.
      let unitaryErr = 0;
      for (let a = 0; a < N; a++) {
        for (let b = 0; b < N; b++) {
          let re = 0, im = 0;
          for (let r = 0; r < N; r++) {
            const xr = W.re[r * N + a], xi = -W.im[r * N + a], yr = W.re[r * N + b], yi = W.im[r * N + b];
            re += xr * yr - xi * yi;
            im += xr * yi + xi * yr;
          }
          unitaryErr = Math.max(unitaryErr, Math.abs(re - (a === b ? 1 : 0)), Math.abs(im));
        }
      }
      expect(unitaryErr).toBeLessThan(1e-12);

      // Eigenvalues in float64 from the residual: (A + PP^T) v_k = (-1/2 + i mu_k) v_k, with
      // mu_k = Im Lambda (float32) refined as the Rayleigh quotient in float64.
      const { A, B: Bd, P: Pd } = hippoLegSDense(N);
      const { Pt, Bt } = hippoParts(N, V);
      const mu = new Float64Array(m);
      let residual = 0;
      for (let k = 0; k < m; k++) {
        // y = (A + PP^T) v; mu = Im(v^H y)
        const yr = new Float64Array(N), yi = new Float64Array(N);
        for (let r = 0; r < N; r++) {
          for (let c = 0; c < N; c++) {
            const a = A[r * N + c] + Pd[r] * Pd[c];
            yr[r] += a * V.re[c * m + k];
            yi[r] += a * V.im[c * m + k];
          }
        }
        let q = 0;
        for (let r = 0; r < N; r++) q += V.re[r * m + k] * yi[r] - V.im[r * m + k] * yr[r];
        mu[k] = q;
        expect(Math.abs(mu[k] - lambda[k][1]) / Math.max(1, Math.abs(mu[k]))).toBeLessThan(1e-6);
        // The pinned phase: the first component is real and positive.
        expect(V.im[k]).toBe(0);
        expect(V.re[k]).toBeGreaterThan(0);
        for (let r = 0; r < N; r++) {
          residual = Math.max(residual,
            Math.abs(yr[r] - (-0.5 * V.re[r * m + k] - mu[k] * V.im[r * m + k])),
            Math.abs(yi[r] - (-0.5 * V.im[r * m + k] + mu[k] * V.re[r * m + k])));
        }
      }
      // A = W (diag(L2) - P2 P2^H) W^H with L2 = (Lambda, conj Lambda), P2 = (P~, conj P~).
      const L2re = new Float64Array(N).fill(-0.5), L2im = new Float64Array(N);
      const P2re = new Float64Array(N), P2im = new Float64Array(N);
      for (let k = 0; k < m; k++) {
        L2im[k] = mu[k];
        L2im[m + k] = -mu[k];
        P2re[k] = P2re[m + k] = Pt.re[k];
        P2im[k] = Pt.im[k];
        P2im[m + k] = -Pt.im[k];
      }
      // X = (diag(L2) - P2 P2^H) W^H, then W X: O(N^3).
      const Xr = new Float64Array(N * N), Xi = new Float64Array(N * N);
      for (let a = 0; a < N; a++) {
        for (let c = 0; c < N; c++) {
          let re = 0, im = 0;
          for (let b = 0; b < N; b++) {
            let cr = -(P2re[a] * P2re[b] + P2im[a] * P2im[b]);
            let ci = -(P2im[a] * P2re[b] - P2re[a] * P2im[b]);
            if (a === b) {
              cr += L2re[a];
              ci += L2im[a];
            }
            const xr = W.re[c * N + b], xi = -W.im[c * N + b]; // conj(W[c][b])
            re += cr * xr - ci * xi;
            im += cr * xi + ci * xr;
          }
          Xr[a * N + c] = re;
          Xi[a * N + c] = im;
        }
      }
      let err = 0, scale = 0;
      for (let r = 0; r < N; r++) {
        for (let c = 0; c < N; c++) {
          let re = 0, im = 0;
          for (let a = 0; a < N; a++) {
            const wr = W.re[r * N + a], wi = W.im[r * N + a];
            re += wr * Xr[a * N + c] - wi * Xi[a * N + c];
            im += wr * Xi[a * N + c] + wi * Xr[a * N + c];
          }
          err = Math.max(err, Math.abs(re - A[r * N + c]), Math.abs(im));
          scale = Math.max(scale, Math.abs(A[r * N + c]));
        }
      }
      expect(err / scale).toBeLessThan(1e-9);
      expect(residual / scale).toBeLessThan(1e-12);
      // B = W [B~; conj B~] (unclipped), and the returned B (float32) is B~.
      const bt = complexPairs(B);
      let bErr = 0;
      for (let r = 0; r < N; r++) {
        let re = 0;
        for (let k = 0; k < m; k++) re += 2 * (V.re[r * m + k] * Bt.re[k] - V.im[r * m + k] * Bt.im[k]);
        bErr = Math.max(bErr, Math.abs(re - Bd[r]) / Bd[N - 1]);
      }
      expect(bErr).toBeLessThan(1e-9);
      bt.forEach(([re, im], k) => {
        expect(Math.abs(re - Bt.re[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(Bt.re[k])));
        expect(Math.abs(im - Bt.im[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(Bt.im[k])));
      });
      lc.dispose([Lambda, P, B]);
      process.stdout.write(`hippoLegS N=${N}: reconstruction ${(err / scale).toExponential(2)}, residual ${(residual / scale).toExponential(2)}, unitarity ${unitaryErr.toExponential(2)}\n`);
    });
  }

  // The reference's nplr('legs', N) values (test/fixtures/pytorch-reference/README.md): the same
  // modes in the same order; its eigenvectors have real first components of either sign, ours
  // are pinned positive, so columns are compared after that sign.
  test('matches the S4 reference nplr(legs) for N = 8, 16, 64, 256 (clipped and not)', () => {
    const ref = lc.io.loadTensors(`${__dirname}/fixtures/pytorch-reference/hippo_legs_nplr.safetensors`).tensors;
    try {
      for (const N of [8, 16, 64, 256]) {
        for (const clip of ['clip2', 'noclip']) {
          const ours = lc.init.hippoLegS(N, { clipB: clip === 'clip2' ? 2 : Infinity });
          const get = (k: string) => ref[`N${N}.${clip}.${k}`].toFloat32Array();
          const [Vr, Lr, Pr, Br] = ['V', 'Lambda', 'P', 'B'].map(get);
          const [L, P, B] = [ours.Lambda, ours.P, ours.B].map((t) => t.toFloat32Array());
          const m = N / 2;
          let vErr = 0, bErr = 0;
          for (let k = 0; k < m; k++) {
            expect(Vr[2 * k + 1]).toBe(0); // the reference's first components are real too
            const sign = Math.sign(Vr[2 * k]);
            for (let r = 0; r < N; r++) {
              const i = r * m + k;
              vErr = Math.max(vErr, Math.hypot(sign * ours.V.re[i] - Vr[2 * i], sign * ours.V.im[i] - Vr[2 * i + 1]));
            }
            expect(L[2 * k]).toBe(Lr[2 * k]);
            expect(Math.abs(L[2 * k + 1] - Lr[2 * k + 1])).toBeLessThanOrEqual(2 ** -23 * Math.abs(Lr[2 * k + 1]));
            for (const [x, y] of [[P, Pr], [B, Br]]) {
              const scale = Math.hypot(y[2 * k], y[2 * k + 1]);
              bErr = Math.max(bErr, Math.hypot(sign * x[2 * k] - y[2 * k], sign * x[2 * k + 1] - y[2 * k + 1]) / scale);
            }
          }
          expect(vErr).toBeLessThan(1e-6); // the reference's V is stored as float32
          expect(bErr).toBeLessThan(3e-7);
          // The clipped B in the original basis, 2 Re V·B̃, agrees without any sign alignment.
          let origErr = 0;
          for (let r = 0; r < N; r++) {
            let a = 0, b = 0;
            for (let k = 0; k < m; k++) {
              const i = r * m + k;
              a += 2 * (ours.V.re[i] * B[2 * k] - ours.V.im[i] * B[2 * k + 1]);
              b += 2 * (Vr[2 * i] * Br[2 * k] - Vr[2 * i + 1] * Br[2 * k + 1]);
            }
            origErr = Math.max(origErr, Math.abs(a - b) / Math.sqrt(2 * r + 1));
          }
          expect(origErr).toBeLessThan(1e-5);
          lc.dispose([ours.Lambda, ours.P, ours.B]);
          if (clip === 'clip2') process.stdout.write(`hippoLegS N=${N} vs reference: V ${vErr.toExponential(2)}, P/B ${bErr.toExponential(2)} (relative, float32 files)\n`);
        }
      }
    } finally {
      lc.dispose(Object.values(ref));
    }
  });

  // Large N, checked without dense matrices: S = A + PPᵀ + ½I has S[n][k] = −½·r_n·r_k (n > k),
  // +½·r_n·r_k (n < k), r = √(2n+1), so S·v costs O(N) with running sums.
  test('N = 1024 and 4096: eigenpairs of S to rounding, orthonormal, the same on every call', () => {
    for (const N of [1024, 4096]) {
      const h = lc.init.hippoLegS(N);
      const lambda = h.Lambda.toFloat32Array();
      const mu = legsFrequencies(N);
      const { V } = h;
      const m = N / 2;
      let residual = 0;
      for (const k of [0, 1, m / 2, m - 2, m - 1]) {
        const muK = -mu[m - 1 - k];
        expect(Math.fround(muK)).toBe(lambda[2 * k + 1]);
        const xr = Float64Array.from({ length: N }, (_, r) => V.re[r * m + k] * Math.sqrt(2 * r + 1));
        const xi = Float64Array.from({ length: N }, (_, r) => V.im[r * m + k] * Math.sqrt(2 * r + 1));
        let belowR = 0, belowI = 0, aboveR = xr.reduce((a, b) => a + b, 0), aboveI = xi.reduce((a, b) => a + b, 0);
        for (let r = 0; r < N; r++) {
          aboveR -= xr[r];
          aboveI -= xi[r];
          const rr = Math.sqrt(2 * r + 1);
          // (S v)_r − iμ v_r
          const sr = 0.5 * rr * (aboveR - belowR) + muK * V.im[r * m + k];
          const si = 0.5 * rr * (aboveI - belowI) - muK * V.re[r * m + k];
          residual = Math.max(residual, Math.hypot(sr, si) / Math.abs(mu[m - 1]));
          belowR += xr[r];
          belowI += xi[r];
        }
      }
      expect(residual).toBeLessThan(1e-12);
      let gram = 0;
      for (const [a, b] of [[0, 0], [0, 1], [m / 2, m / 2 + 1], [m - 1, m - 1], [3, m - 1]]) {
        let re = 0, im = 0;
        for (let r = 0; r < N; r++) {
          const [ar, ai, br, bi] = [V.re[r * m + a], -V.im[r * m + a], V.re[r * m + b], V.im[r * m + b]];
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        gram = Math.max(gram, Math.abs(re - (a === b ? 1 : 0)), Math.abs(im));
      }
      expect(gram).toBeLessThan(N * 4e-15); // rounding of the O(N) recurrence
      const again = lc.init.hippoLegS(N);
      expect(again.B.toFloat32Array()).toEqual(h.B.toFloat32Array());
      lc.dispose([h.Lambda, h.P, h.B, again.Lambda, again.P, again.B]);
      process.stdout.write(`hippoLegS N=${N}: residual ${residual.toExponential(2)}, orthonormality ${gram.toExponential(2)}\n`);
    }
  });

  test('B is clipped to [-2, 2] in its imaginary part by default', () => {
    lc.tidy(() => {
      const whole = complexPairs(lc.init.hippoLegS(64, { clipB: Infinity }).B);
      const clipped = complexPairs(lc.init.hippoLegS(64).B);
      expect(whole.some(([, im]) => Math.abs(im) > 2)).toBe(true);
      clipped.forEach(([re, im], k) => {
        expect(re).toBe(whole[k][0]);
        expect(im).toBe(Math.max(-2, Math.min(2, whole[k][1])));
      });
    });
  });

  test('bad input', () => {
    expect(() => lc.init.hippoLegS(7)).toThrow(RangeError);
    expect(() => lc.init.hippoLegS(4098)).toThrow(/^N: expected an even state size <= 4096, got 4098/);
    expect(() => new lc.nn.S4(2, { dState: 8192, lMax: 8 })).toThrow(/^options.dState: expected an even state size <= 4096, got 8192/);
    expect(() => lc.init.hippoLegS(8, { clipB: -1 })).toThrow(/^options\.clipB: expected a finite number >= 0, got -1/);
    expect(() => lc.init.hippoLegS(8, { clipB: 'x' as never })).toThrow(TypeError);
  });
});

describe('logDt', () => {
  test('in [log dtMin, log dtMax], seeded', () => {
    lc.tidy(() => {
      const a = lc.init.logDt(1000, 1e-3, 1e-1, { seed: 5 }).toFloat32Array();
      const b = lc.init.logDt(1000, 1e-3, 1e-1, { seed: 5 }).toFloat32Array();
      const c = lc.init.logDt(1000, 1e-3, 1e-1, { seed: 6 }).toFloat32Array();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      const lo = Math.fround(Math.log(1e-3)), hi = Math.fround(Math.log(1e-1));
      expect(Math.min(...a)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...a)).toBeLessThanOrEqual(hi);
      // Uniform: the mean is near the middle, both ends are reached.
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      expect(Math.abs(mean - (lo + hi) / 2)).toBeLessThan(0.15);
      expect(Math.min(...a)).toBeLessThan(lo + 0.05);
      expect(Math.max(...a)).toBeGreaterThan(hi - 0.05);
      const d = lc.init.logDt(4, 0.01, 0.01, { seed: 1 }).toFloat32Array();
      d.forEach((v) => expect(v).toBe(Math.fround(Math.log(0.01))));
    });
  });

  test('defaults and bad input', () => {
    lc.tidy(() => expect(lc.init.logDt(3).shape).toEqual([3]));
    expect(() => lc.init.logDt(3, 0)).toThrow(/^dtMin: expected a finite number > 0, got 0/);
    expect(() => lc.init.logDt(3, 0.1, 0.01)).toThrow(/^dtMin: expected a number <= dtMax \(0.01\), got 0.1/);
    expect(() => lc.init.logDt(0)).toThrow(RangeError);
  });
});

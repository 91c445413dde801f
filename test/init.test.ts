import * as lc from '../lib';
import { hermitianEigen, hippoLegSDense } from '../lib/init';

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

describe('hermitianEigen', () => {
  test('diagonalises a random Hermitian matrix', () => {
    const n = 9;
    const re = new Float64Array(n * n), im = new Float64Array(n * n);
    let s = 7;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let r = 0; r < n; r++) {
      re[r * n + r] = rnd();
      for (let c = r + 1; c < n; c++) {
        re[r * n + c] = re[c * n + r] = rnd();
        im[r * n + c] = rnd();
        im[c * n + r] = -im[r * n + c];
      }
    }
    const { values, vectors: V } = hermitianEigen(n, re, im);
    // M v_k = lambda_k v_k
    for (let k = 0; k < n; k++) {
      for (let r = 0; r < n; r++) {
        let yr = 0, yi = 0;
        for (let c = 0; c < n; c++) {
          const vr = V.re[c * n + k], vi = V.im[c * n + k];
          yr += re[r * n + c] * vr - im[r * n + c] * vi;
          yi += re[r * n + c] * vi + im[r * n + c] * vr;
        }
        expect(Math.abs(yr - values[k] * V.re[r * n + k])).toBeLessThan(1e-13);
        expect(Math.abs(yi - values[k] * V.im[r * n + k])).toBeLessThan(1e-13);
      }
    }
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
      // Real parts -1/2; imaginary parts positive and ascending.
      lambda.forEach(([re, im], k) => {
        expect(re).toBe(-0.5);
        expect(im).toBeGreaterThan(0);
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
        expect(Math.abs(mu[k] - lambda[k][1]) / Math.max(1, mu[k])).toBeLessThan(1e-6);
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

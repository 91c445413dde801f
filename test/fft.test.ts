// rfft and irfft against float64 direct DFTs, forward and backward; finite differences; threads
// and memory; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice, gpu } from './devices';
import { BadInputCase, checkGradients, expectClose, expectMemoryFlat, expectSameAcrossThreads, randomArray, relError, t, testBadInput } from './helpers';

// Relative error (max abs error / max abs value) against float64 direct DFT sums. Measured
// errors are below 1e-6 for every length here (including Bluestein's primes and 784).
const TOL = 1e-5;

const lengths = [1, 2, 3, 7, 8, 97, 784, 1000, 1009, 4096];
const binsOf = (n: number) => Math.floor(n / 2) + 1;
// DC and (even n) Nyquist appear once in the full spectrum; the other bins stand for k and n-k.
const selfConjugate = (k: number, n: number) => k === 0 || 2 * k === n;
const weight = (k: number, n: number) => (selfConjugate(k, n) ? 1 : 2);
// cos and sin of -2 pi r/n for r < n; exp(-2 pi i jk/n) is entry (jk mod n), exact in float64.
function unitRoots(n: number) {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    cos[r] = Math.cos((-2 * Math.PI * r) / n);
    sin[r] = Math.sin((-2 * Math.PI * r) / n);
  }
  return { cos, sin };
}

/** numpy.fft.rfft(x, n) on each of `rows` rows of length L: [rows, n/2+1, 2]. */
function rfftReference(x: Float64Array, rows: number, L: number, n: number): Float64Array {
  const nb = binsOf(n);
  const count = Math.min(L, n);
  const { cos, sin } = unitRoots(n);
  const out = new Float64Array(rows * nb * 2);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < nb; k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < count; j++) {
        const a = (j * k) % n;
        re += x[r * L + j] * cos[a];
        im += x[r * L + j] * sin[a];
      }
      out[(r * nb + k) * 2] = re;
      out[(r * nb + k) * 2 + 1] = selfConjugate(k, n) ? 0 : im;
    }
  return out;
}

/** numpy.fft.irfft(X, n) on each of `rows` rows of m bins: [rows, n]. */
function irfftReference(X: Float64Array, rows: number, m: number, n: number): Float64Array {
  const kept = Math.min(m, binsOf(n));
  const { cos, sin } = unitRoots(n);
  const out = new Float64Array(rows * n);
  const re = new Float64Array(kept);
  const im = new Float64Array(kept);
  for (let r = 0; r < rows; r++) {
    // c_k/n applied once; the ignored imaginary parts dropped.
    for (let k = 0; k < kept; k++) {
      re[k] = (weight(k, n) / n) * X[(r * m + k) * 2];
      im[k] = selfConjugate(k, n) ? 0 : (weight(k, n) / n) * X[(r * m + k) * 2 + 1];
    }
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < kept; k++) {
        const a = (j * k) % n; // exp(+2 pi i jk/n) = cos[a] - i sin[a]
        acc += re[k] * cos[a] + im[k] * sin[a];
      }
      out[r * n + j] = acc;
    }
  }
  return out;
}

/** d/dx of sum(G * rfft(x, n)) (re with re, im with im), differentiated by hand: [rows, L]. */
function rfftGradReference(G: Float64Array, rows: number, L: number, n: number): Float64Array {
  const nb = binsOf(n);
  const { cos, sin } = unitRoots(n);
  const dx = new Float64Array(rows * L);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < Math.min(L, n); j++) {
      let acc = 0;
      for (let k = 0; k < nb; k++) {
        const a = (j * k) % n; // Re X_k = sum_j x_j cos[a], Im X_k = sum_j x_j sin[a]
        acc += G[(r * nb + k) * 2] * cos[a] + G[(r * nb + k) * 2 + 1] * sin[a];
      }
      dx[r * L + j] = acc;
    }
  return dx;
}

/** d/dX of sum(g * irfft(X, n)): [rows, m, 2]; zero for ignored parts and bins past n/2. */
function irfftGradReference(g: Float64Array, rows: number, m: number, n: number): Float64Array {
  const { cos, sin } = unitRoots(n);
  const dX = new Float64Array(rows * m * 2);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < Math.min(m, binsOf(n)); k++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < n; j++) {
        const a = (j * k) % n; // x_j gets (c_k/n)(Re X_k cos[a] + Im X_k sin[a])
        re += g[r * n + j] * cos[a];
        im += g[r * n + j] * sin[a];
      }
      dX[(r * m + k) * 2] = (weight(k, n) / n) * re;
      dX[(r * m + k) * 2 + 1] = selfConjugate(k, n) ? 0 : (weight(k, n) / n) * im;
    }
  return dX;
}

const rowsOf = (lead: number[]) => lead.reduce((a, b) => a * b, 1);

// Leading dims: none, a single 1, and more than one lane group of 8 rows.
interface RfftCase { lead: number[]; L: number; n?: number }
function rfftCases(n: number): RfftCase[] {
  const cases: RfftCase[] = [{ lead: [], L: n }, { lead: [3, 3], L: n + Math.ceil(n / 3), n }];
  if (n > 1) cases.push({ lead: [1], L: Math.max(1, Math.floor((2 * n) / 3)), n });
  return cases;
}
interface IrfftCase { lead: number[]; m: number; n: number }
function irfftCases(n: number): IrfftCase[] {
  const nb = binsOf(n);
  const cases: IrfftCase[] = [{ lead: [1], m: nb, n }, { lead: [3, 3], m: nb + 3, n }];
  if (nb > 1) cases.push({ lead: [2], m: Math.max(1, Math.floor(nb / 2)), n });
  return cases;
}
const describeRfft = ({ lead, L, n }: RfftCase) => `x [${[...lead, L]}] n=${n ?? 'default'}`;
const describeIrfft = ({ lead, m, n }: IrfftCase) => `X [${[...lead, m, 2]}] n=${n}`;

describe('rfft matches a float64 direct DFT', () => {
  for (const n of lengths)
    for (const c of rfftCases(n)) {
      test(describeRfft(c), () => {
        const rows = rowsOf(c.lead);
        const x = randomArray(rows * c.L, n + c.L);
        lc.tidy(() => {
          const y = lc.rfft(t(x, [...c.lead, c.L]), c.n);
          expect(y.shape).toEqual([...c.lead, binsOf(n), 2]);
          expectClose(y.toFloat32Array(), rfftReference(x, rows, c.L, n), TOL);
        });
      });
    }
});

describe('irfft matches a float64 direct inverse DFT (numpy semantics)', () => {
  for (const n of lengths)
    for (const c of irfftCases(n)) {
      test(describeIrfft(c), () => {
        const rows = rowsOf(c.lead);
        const X = randomArray(rows * c.m * 2, 3 * n + c.m);
        lc.tidy(() => {
          const y = lc.irfft(t(X, [...c.lead, c.m, 2]), n);
          expect(y.shape).toEqual([...c.lead, n]);
          expectClose(y.toFloat32Array(), irfftReference(X, rows, c.m, n), TOL);
        });
      });
    }

  test('the imaginary parts of the DC and Nyquist bins are ignored', () => {
    lc.tidy(() => {
      for (const n of [8, 784, 1009]) {
        const nb = binsOf(n);
        const X = randomArray(nb * 2, n);
        const changed = X.slice();
        changed[1] += 5;
        if (n % 2 === 0) changed[2 * (nb - 1) + 1] -= 3;
        const a = lc.irfft(t(X, [nb, 2]), n).toFloat32Array();
        const b = lc.irfft(t(changed, [nb, 2]), n).toFloat32Array();
        expect(Array.from(b)).toEqual(Array.from(a));
      }
    });
  });

  test('irfft(rfft(x, n), n) returns x', () => {
    lc.tidy(() => {
      for (const n of lengths) {
        const x = randomArray(4 * n, n + 11);
        const back = lc.irfft(lc.rfft(t(x, [4, n])), n);
        expect(relError(back.toFloat32Array(), x)).toBeLessThan(TOL);
      }
    });
  });
});

describe('rfft and irfft gradients match their float64 derivatives', () => {
  for (const n of lengths) {
    for (const c of rfftCases(n)) {
      test(`rfft ${describeRfft(c)}`, () => {
        const rows = rowsOf(c.lead);
        const nb = binsOf(n);
        const x = randomArray(rows * c.L, n + 5);
        const G = randomArray(rows * nb * 2, n + 6);
        lc.tidy(() => {
          const xt = t(x, [...c.lead, c.L], { requiresGrad: true });
          lc.rfft(xt, c.n).backward(t(G, [...c.lead, nb, 2]));
          expect(xt.grad!.shape).toEqual(xt.shape);
          expectClose(xt.grad!.toFloat32Array(), rfftGradReference(G, rows, c.L, n), TOL);
          xt.grad!.dispose();
        });
      });
    }
    for (const c of irfftCases(n)) {
      test(`irfft ${describeIrfft(c)}`, () => {
        const rows = rowsOf(c.lead);
        const X = randomArray(rows * c.m * 2, n + 7);
        const g = randomArray(rows * n, n + 8);
        lc.tidy(() => {
          const Xt = t(X, [...c.lead, c.m, 2], { requiresGrad: true });
          lc.irfft(Xt, n).backward(t(g, [...c.lead, n]));
          expect(Xt.grad!.shape).toEqual(Xt.shape);
          const grad = Xt.grad!.toFloat32Array();
          const ref = irfftGradReference(g, rows, c.m, n);
          expectClose(grad, ref, TOL);
          // Exactly zero where irfft ignores its input.
          for (let i = 0; i < ref.length; i++) if (ref[i] === 0) expect(grad[i]).toBe(0);
          Xt.grad!.dispose();
        });
      });
    }
  }
});

describe('rfft and irfft gradients against finite differences of the ops themselves', () => {
  // Both ops are linear, so a unit step has no truncation error: only float32 rounding.
  const fdOptions = (w: Float64Array, direction: Float64Array) =>
    ({ w, h: 1, tol: 1e-4, relativeTo: 'numeric', directions: 1, direction: () => direction }) as const;

  for (const n of [1, 2, 7, 8, 97, 784, 1009]) {
    for (const c of rfftCases(n)) {
      test(`rfft ${describeRfft(c)}`, () => {
        const rows = rowsOf(c.lead);
        const x = randomArray(rows * c.L, n + 21);
        const w = randomArray(rows * binsOf(n) * 2, n + 22);
        checkGradients(([xt]) => lc.rfft(xt, c.n), [x], [[...c.lead, c.L]], fdOptions(w, randomArray(x.length, n + 23)));
      });
    }
    for (const c of irfftCases(n)) {
      // Real and imaginary parts separately: a bug in one is not hidden by the other.
      for (const part of ['re', 'im'] as const) {
        test(`irfft ${describeIrfft(c)}, ${part} parts`, () => {
          const rows = rowsOf(c.lead);
          const X = randomArray(rows * c.m * 2, n + 31);
          const w = randomArray(rows * n, n + 32);
          const direction = randomArray(X.length, n + 33).map((v, i) => ((i % 2 === 0) === (part === 're') ? v : 0));
          checkGradients(([Xt]) => lc.irfft(Xt, n), [X], [[...c.lead, c.m, 2]], fdOptions(w, direction));
        });
      }
    }
  }

  test('rfft -> irfft chain: gradient of a round trip is the incoming gradient', () => {
    lc.tidy(() => {
      for (const n of [7, 784]) {
        const x = t(randomArray(3 * n, n), [3, n], { requiresGrad: true });
        const g = randomArray(3 * n, n + 1);
        lc.irfft(lc.rfft(x), n).backward(t(g, [3, n]));
        expect(relError(x.grad!.toFloat32Array(), g)).toBeLessThan(TOL);
        x.grad!.dispose();
      }
    });
  });
});

describe('rfft and irfft: threads, memory, grad recording', () => {
  test('1 and 2 threads give identical results', () => {
    const x = randomArray(20 * 784, 3);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const X = lc.rfft(t(x, [20, 784]), 1009);
        return [X.toFloat32Array(), lc.irfft(X, 784).toFloat32Array()];
      });
    };
    expectSameAcrossThreads(run);
  });

  test('memory stays flat over repeated forward and backward', () => {
    const x = lc.randn([4, 97], { seed: 1, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        const y = lc.irfft(lc.rfft(x, 120), 97);
        y.backward(lc.ones([4, 97]));
        x.grad!.dispose();
        x.grad = null;
      });
    expectMemoryFlat(step, 'cpu', 10);
    x.dispose();
  });

  test('noGrad records nothing', () => {
    lc.tidy(() => {
      const x = lc.randn([2, 8], { requiresGrad: true });
      expect(lc.rfft(x).requiresGrad).toBe(true);
      expect(lc.noGrad(() => lc.rfft(x)).requiresGrad).toBe(false);
      expect(lc.noGrad(() => lc.irfft(lc.rfft(x), 8)).requiresGrad).toBe(false);
    });
  });
});

describe('rfft and irfft reject bad input with a clear message', () => {
  const x = lc.randn([2, 8], { seed: 1 });
  const X = lc.randn([2, 5, 2], { seed: 2 });
  afterAll(() => lc.dispose([x, X]));
  const disposed = () => {
    const gone = lc.zeros([3, 8]);
    gone.dispose();
    return gone;
  };

  const cases: BadInputCase[] = [
    ['rfft: non-tensor', () => lc.rfft([1, 2] as unknown as lc.Tensor), TypeError, /^x: expected a Tensor, got an array/],
    ['rfft: disposed tensor', () => lc.rfft(disposed()), TypeError, /^x: expected a live Tensor, got a disposed one \(shape \[3,8\]/],
    ['rfft: rank 0', () => lc.rfft(lc.zeros([])), RangeError, /^x: expected rank >= 1 \(\[\.\.\.,L\]\), got shape \[\]/],
    ['rfft: L = 0', () => lc.rfft(lc.zeros([2, 0])), RangeError, /^x: expected every dimension >= 1.*got shape \[2,0\]/],
    ['rfft: n = 0', () => lc.rfft(x, 0), RangeError, /^n: expected an integer >= 1, got 0/],
    ['rfft: n not an integer', () => lc.rfft(x, 2.5), TypeError, /^n: expected an integer >= 1, got number 2.5/],
    ['irfft: non-tensor', () => lc.irfft(null as unknown as lc.Tensor, 8), TypeError, /^X: expected a Tensor, got null/],
    ['irfft: disposed tensor', () => lc.irfft(disposed(), 8), TypeError, /^X: expected a live Tensor, got a disposed one/],
    ['irfft: rank 1', () => lc.irfft(lc.zeros([2]), 8), RangeError, /^X: expected rank >= 2 \(\[\.\.\.,m,2\]\), got shape \[2\]/],
    ['irfft: last dimension not 2', () => lc.irfft(lc.zeros([5, 3]), 8), RangeError, /^X: expected a last dimension of 2 .*got shape \[5,3\]/],
    ['irfft: m = 0', () => lc.irfft(lc.zeros([0, 2]), 8), RangeError, /^X: expected every dimension >= 1.*got shape \[0,2\]/],
    ['irfft: missing n', () => (lc.irfft as (X: lc.Tensor) => lc.Tensor)(X), TypeError, /^n: expected an integer >= 1, got undefined/],
    ['irfft: n = -4', () => lc.irfft(X, -4), RangeError, /^n: expected an integer >= 1, got -4/],
  ];
  testBadInput(cases);
});

cudaSuite('rfft')('rfft and irfft on CUDA equal the CPU backend', () => {
  for (const n of cudaCases([1, 2, 3, 7, 8, 97, 784, 1000, 1009, 4096, 4097, 65536], [1, 2, 3, 7, 8, 97])) {
    for (const c of [...rfftCases(n).map((r) => ({ kind: 'rfft' as const, ...r })), ...irfftCases(n).map((r) => ({ kind: 'irfft' as const, ...r }))]) {
      const name = c.kind === 'rfft' ? describeRfft(c as RfftCase) : describeIrfft(c as IrfftCase);
      test(`${c.kind} ${name}: forward and backward`, () => {
        const rows = rowsOf(c.lead);
        const inShape = c.kind === 'rfft' ? [...c.lead, (c as RfftCase).L] : [...c.lead, (c as IrfftCase).m, 2];
        const outShape = c.kind === 'rfft' ? [...c.lead, binsOf(n), 2] : [...c.lead, n];
        const input = randomArray(rows * inShape[inShape.length - 1] * (c.kind === 'rfft' ? 1 : inShape[inShape.length - 2]), n + 41);
        const dy = randomArray(outShape.reduce((a, b) => a * b, 1), n + 42);
        forEachDevice((device) =>
          lc.tidy(() => {
            const v = t(input, inShape, { device, requiresGrad: true });
            const y = c.kind === 'rfft' ? lc.rfft(v, c.n) : lc.irfft(v, n);
            y.backward(t(dy, outShape, { device }));
            const out = [y.toFloat32Array(), v.grad!.toFloat32Array()];
            v.grad!.dispose();
            return out;
          }),
        1e-5);
      });
    }
  }

  test('irfft does not modify its input (cuFFT C2R overwrites its own buffer only)', () => {
    lc.tidy(() => {
      const data = randomArray(3 * 50 * 2, 5);
      const X = t(data, [3, 50, 2], { device: gpu });
      lc.irfft(X, 98);
      expect(Array.from(X.toFloat32Array())).toEqual(Array.from(Float32Array.from(data)));
    });
  });

  test('device memory stays flat over repeated forward and backward', () => {
    const x = lc.randn([4, 784], { device: gpu, seed: 1, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        lc.irfft(lc.rfft(x), 784).backward(lc.ones([4, 784], { device: gpu }));
        x.grad!.dispose();
        x.grad = null;
      });
    expectMemoryFlat(step, gpu, 10);
    x.dispose();
  });
});

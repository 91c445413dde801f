// vandermonde against direct float64 sums and analytic gradients; finite differences; threads
// and memory; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice } from './devices';
import { BadInputCase, checkGradients, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput } from './helpers';

// The CPU kernel works in double, so the float32 result is accurate to rounding (~1e-7).
const TOL = 1e-5;

interface VandCase {
  lead: number[]; // v's leading dimensions
  xLead: number[]; // x's: a suffix of lead
  N: number;
  L: number;
  v: Float64Array; // [R,N,2]
  x: Float64Array; // [Rx,N,2]
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const logUniform = (u: number, lo: number, hi: number) => Math.exp(Math.log(lo) + ((u + 1) / 2) * (Math.log(hi) - Math.log(lo)));

// S4D-Lin values: x = dt A with A = -1/2 + i pi n and dt log-uniform in [dtMin, dtMax];
// `decay` overrides Re A (a slow decay keeps large l significant).
function s4dX(rows: number, N: number, seed: number, dtMin = 1e-3, dtMax = 1e-1, decay = -0.5): Float64Array {
  const u = randomArray(rows, seed);
  const x = new Float64Array(rows * N * 2);
  for (let r = 0; r < rows; r++) {
    const dt = logUniform(u[r], dtMin, dtMax);
    for (let n = 0; n < N; n++) {
      x[(r * N + n) * 2] = Math.fround(dt * decay);
      x[(r * N + n) * 2 + 1] = Math.fround(dt * Math.PI * n);
    }
  }
  return x;
}

function makeCase(lead: number[], xLead: number[], N: number, L: number, seed: number): VandCase {
  return { lead, xLead, N, L, v: randomArray(prod(lead) * N * 2, seed), x: s4dX(prod(xLead), N, seed + 1, 1e-2, 0.5) };
}

// exp(x l) in float64, directly (Math.cos/sin reduce large phases exactly).
function expAt(xr: number, xi: number, l: number): [number, number] {
  const m = Math.exp(xr * l);
  return [m * Math.cos(xi * l), m * Math.sin(xi * l)];
}

// out[r, l] = 2 Re sum_n v exp(x l) (docs/MATH.md §2.3) at the given l (all by default).
function vandermondeReference({ lead, xLead, N, L, v, x }: VandCase, ls?: number[]): Float64Array {
  const R = prod(lead), Rx = prod(xLead);
  const at = ls ?? Array.from({ length: L }, (_, l) => l);
  const out = new Float64Array(R * at.length);
  for (let r = 0; r < R; r++)
    at.forEach((l, i) => {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const vo = (r * N + n) * 2, xo = ((r % Rx) * N + n) * 2;
        const [er, ei] = expAt(x[xo], x[xo + 1], l);
        s += v[vo] * er - v[vo + 1] * ei;
      }
      out[r * at.length + i] = 2 * s;
    });
  return out;
}

// For a real loss with output gradient g: dv = 2 sum_l g conj(E), dx = 2 conj(v) sum_l g l conj(E).
function vandermondeGradReference({ lead, xLead, N, L, v, x }: VandCase, g: Float64Array) {
  const R = prod(lead), Rx = prod(xLead);
  const dv = new Float64Array(R * N * 2), dx = new Float64Array(Rx * N * 2);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++) {
      const vo = (r * N + n) * 2, xo = ((r % Rx) * N + n) * 2;
      let ar = 0, ai = 0, br = 0, bi = 0;
      for (let l = 0; l < L; l++) {
        const [er, ei] = expAt(x[xo], x[xo + 1], l);
        const gl = g[r * L + l];
        ar += gl * er;
        ai -= gl * ei;
        br += gl * l * er;
        bi -= gl * l * ei;
      }
      dv[vo] = 2 * ar;
      dv[vo + 1] = 2 * ai;
      dx[xo] += 2 * (v[vo] * br + v[vo + 1] * bi);
      dx[xo + 1] += 2 * (v[vo] * bi - v[vo + 1] * br);
    }
  return { dv, dx };
}

function tensors(cs: VandCase, requiresGrad = false, device: lc.Device = 'cpu') {
  return {
    v: t(cs.v, [...cs.lead, cs.N, 2], { requiresGrad, device }),
    x: t(cs.x, [...cs.xLead, cs.N, 2], { requiresGrad, device }),
  };
}

const layouts: [number[], number[]][] = [
  [[], []],
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 3], []],
];

describe('vandermonde forward matches direct float64 sums', () => {
  for (const N of [1, 3, 8, 33])
    for (const L of [1, 2, 7, 64, 1000])
      for (const [lead, xLead] of layouts) {
        test(`N=${N} L=${L} v[${lead}] x[${xLead}]`, () => {
          const cs = makeCase(lead, xLead, N, L, N * 31 + L);
          lc.tidy(() => {
            const { v, x } = tensors(cs);
            const out = lc.vandermonde(v, x, L);
            expect(out.shape).toEqual([...lead, L]);
            expectClose(out.toFloat32Array(), vandermondeReference(cs), TOL);
          });
        });
      }
});

describe('vandermonde at L = 200000 with S4D values', () => {
  const L = 200000, N = 32;
  const sampled = [0, 1, 63, 64, 65, 511, 512, 513, L - 1, ...Array.from(randomArray(491, 5), (u) => Math.floor(((u + 1) / 2) * L))];
  const gather = (out: Float32Array, R: number) => {
    const picked = new Float64Array(R * sampled.length);
    for (let r = 0; r < R; r++) sampled.forEach((l, i) => (picked[r * sampled.length + i] = out[r * L + l]));
    return picked;
  };
  // Each row on its own: a row's error relative to that row's largest value.
  const rowErrors = (actual: Float64Array, expected: Float64Array, R: number) =>
    Array.from({ length: R }, (_, r) => relError(actual.subarray(r * sampled.length, (r + 1) * sampled.length), expected.subarray(r * sampled.length, (r + 1) * sampled.length)));

  test('dt in [1e-3, 1e-1], A = -1/2 + i pi n: sampled l within 1e-4 of float64', () => {
    const R = 4;
    const cs: VandCase = { lead: [R], xLead: [R], N, L, v: randomArray(R * N * 2, 3), x: s4dX(R, N, 4) };
    lc.tidy(() => {
      const { v, x } = tensors(cs);
      const errors = rowErrors(gather(lc.vandermonde(v, x, L).toFloat32Array(), R), vandermondeReference(cs, sampled), R);
      for (const e of errors) expect(e).toBeLessThan(1e-4);
    });
  });

  test('slow decay (Re x = -1e-6, phases up to 6e6): sampled l within 1e-4 of float64', () => {
    const R = 2;
    const cs: VandCase = { lead: [R], xLead: [R], N, L, v: randomArray(R * N * 2, 6), x: s4dX(R, N, 7, 1e-2, 1e-1, -1e-5) };
    lc.tidy(() => {
      const { v, x } = tensors(cs);
      const errors = rowErrors(gather(lc.vandermonde(v, x, L).toFloat32Array(), R), vandermondeReference(cs, sampled), R);
      for (const e of errors) expect(e).toBeLessThan(1e-4);
    });
  });
});

describe('vandermonde backward matches float64 analytic gradients', () => {
  for (const N of [1, 3, 8, 33])
    for (const L of [1, 7, 64, 1000])
      for (const [lead, xLead] of layouts.slice(1)) {
        test(`N=${N} L=${L} v[${lead}] x[${xLead}]`, () => {
          const cs = makeCase(lead, xLead, N, L, N * 17 + L);
          const g = randomArray(prod(lead) * L, L + 7);
          const ref = vandermondeGradReference(cs, g);
          lc.tidy(() => {
            const { v, x } = tensors(cs, true);
            lc.vandermonde(v, x, L).backward(t(g, [...lead, L]));
            expect(v.grad!.shape).toEqual(v.shape);
            expect(x.grad!.shape).toEqual(x.shape);
            expectClose(v.grad!.toFloat32Array(), ref.dv, TOL);
            expectClose(x.grad!.toFloat32Array(), ref.dx, TOL);
            lc.dispose([v.grad!, x.grad!]);
          });
        });
      }

  test('L = 20000, S4D values', () => {
    const L = 20000, N = 16;
    const cs: VandCase = { lead: [2, 2], xLead: [2], N, L, v: randomArray(4 * N * 2, 1), x: s4dX(2, N, 2) };
    const g = randomArray(4 * L, 3);
    const ref = vandermondeGradReference(cs, g);
    lc.tidy(() => {
      const { v, x } = tensors(cs, true);
      lc.vandermonde(v, x, L).backward(t(g, [2, 2, L]));
      expectClose(v.grad!.toFloat32Array(), ref.dv, TOL);
      expectClose(x.grad!.toFloat32Array(), ref.dx, TOL);
      lc.dispose([v.grad!, x.grad!]);
    });
  });
});

describe('vandermonde gradients against finite differences of the op itself', () => {
  for (const [lead, xLead] of [layouts[1], layouts[2]]) {
    test(`v[${lead}] x[${xLead}]`, () => {
      const N = 5, L = 37;
      const cs = makeCase(lead, xLead, N, L, 77);
      const shapes = [[...lead, N, 2], [...xLead, N, 2]];
      checkGradients(([v, x]) => lc.vandermonde(v, x, L), [cs.v, cs.x], shapes, {
        w: randomArray(prod(lead) * L, 3),
        // Linear in v: a unit step is exact. In x, a small step (curvature grows like l^2).
        h: (i) => (i === 0 ? 1 : 1e-4),
        tol: 2e-3,
        directions: 1,
        direction: (i, _, n) => randomArray(n, 100 + i),
      });
    });
  }

  test('only the inputs that require grad get one; noGrad records nothing', () => {
    const cs = makeCase([3], [3], 4, 10, 9);
    lc.tidy(() => {
      const v = t(cs.v, [3, 4, 2], { requiresGrad: true });
      const x = t(cs.x, [3, 4, 2]);
      lc.vandermonde(v, x, 10).backward(lc.ones([3, 10]));
      expect(x.grad).toBeNull();
      expect(v.grad!.shape).toEqual([3, 4, 2]);
      v.grad!.dispose();
      expect(lc.noGrad(() => lc.vandermonde(v, x, 10)).requiresGrad).toBe(false);
    });
  });
});

describe('vandermonde threads and memory', () => {
  test('1 and 2 threads give identical results', () => {
    const cs = makeCase([3, 2], [2], 16, 3000, 21);
    const g = randomArray(6 * 3000, 4);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const { v, x } = tensors(cs, true);
        const out = lc.vandermonde(v, x, 3000);
        out.backward(t(g, [3, 2, 3000]));
        const res = [out, v.grad!, x.grad!].map((y) => Array.from(y.toFloat32Array()));
        lc.dispose([v.grad!, x.grad!]);
        return res;
      });
    };
    expectSameAcrossThreads(run);
  });

  test('memory stays flat over repeated forward + backward', () => {
    const cs = makeCase([2, 3], [3], 8, 128, 2);
    const { v, x } = tensors(cs, true);
    const step = () =>
      lc.tidy(() => {
        lc.vandermonde(v, x, 128).backward(lc.ones([2, 3, 128]));
        lc.dispose([v.grad!, x.grad!]);
        v.grad = x.grad = null;
      });
    expectMemoryFlat(step, 'cpu', 10);
    lc.dispose([v, x]);
  });
});

describe('vandermonde rejects bad input with a clear message', () => {
  const v = lc.randn([2, 3, 4, 2], { seed: 1 });
  const x = lc.randn([3, 4, 2], { seed: 2 });
  afterAll(() => lc.dispose([v, x]));

  const cases: BadInputCase[] = [
    ['v trailing dim not 2', () => lc.vandermonde(lc.zeros([3, 4, 3]), x, 8), RangeError, /^v: expected shape \[\.\.\.,N,2\].*got \[3,4,3\]/],
    ['x trailing dim not 2', () => lc.vandermonde(v, lc.zeros([3, 4]), 8), RangeError, /^x: expected shape \[\.\.\.,N,2\].*got \[3,4\]/],
    ['N mismatch', () => lc.vandermonde(v, lc.zeros([3, 2, 2]), 8), RangeError, /^x: expected N = 4 modes.*got \[3,2,2\]/],
    ['x leading dims not a suffix', () => lc.vandermonde(v, lc.zeros([2, 4, 2]), 8), RangeError, /^x: expected leading dimensions that are a suffix of v's \[2,3\].*got shape \[2,4,2\]/],
    ['L = 0', () => lc.vandermonde(v, x, 0), RangeError, /^L: expected an integer >= 1, got 0/],
    ['L < 0', () => lc.vandermonde(v, x, -3), RangeError, /^L: expected an integer >= 1, got -3/],
    ['L not an integer', () => lc.vandermonde(v, x, 2.5), TypeError, /^L: expected an integer >= 1, got number 2.5/],
    ['L not a number', () => lc.vandermonde(v, x, '8' as unknown as number), TypeError, /^L: expected an integer >= 1, got string 8/],
    ['non-tensor x', () => lc.vandermonde(v, {} as unknown as lc.Tensor, 8), TypeError, /^x: expected a Tensor, got an object of class Object/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([2, 3, 4, 2]);
        gone.dispose();
        return lc.vandermonde(gone, x, 8);
      },
      TypeError,
      /^v: expected a live Tensor, got a disposed one \(shape \[2,3,4,2\], device 'cpu'\)/,
    ],
  ];
  testBadInput(cases);

  test('tensors on different devices', () => {
    // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
    const fake = fakeTensor([3, 4, 2], 'cuda');
    expect(() => lc.vandermonde(v, fake, 8)).toThrow(TypeError);
    expect(() => lc.vandermonde(v, fake, 8)).toThrow(/^x: expected device 'cpu' \(the device of v\), got 'cuda'/);
  });
});

// vandermonde forward and backward on `device` with output gradient g: [out, dv, dx].
function runVandermonde(cs: VandCase, g: Float64Array, device: lc.Device): Float32Array[] {
  return lc.tidy(() => {
    const { v, x } = tensors(cs, true, device);
    const out = lc.vandermonde(v, x, cs.L);
    out.backward(t(g, [...cs.lead, cs.L], { device }));
    const res = [out, v.grad!, x.grad!].map((y) => y.toFloat32Array());
    lc.dispose([v.grad!, x.grad!]);
    return res;
  });
}

cudaSuite('vandermonde')('vandermonde on CUDA equals the CPU backend', () => {
  // Past L = 1000, x is broadcast over all of v's rows ([2] against []).
  for (const N of cudaCases([1, 2, 3, 33, 64, 300, 1000], [1, 2, 33]))
    for (const L of cudaCases([1, 2, 7, 97, 784, 1000, 4097, 65536, 70000], [1, 7, 97]))
      test(`N=${N} L=${L}`, () => {
        const [lead, xLead] = L > 1000 ? [[2], []] : [[2, 3], [3]];
        const cs = makeCase(lead, xLead, N, L, N + L);
        forEachDevice((device) => runVandermonde(cs, randomArray(prod(lead) * L, 8), device), 1e-4);
      });

  test('R = 65537 rows (more than one grid dimension; small: 300), N = 9, L = 257: forward and backward', () => {
    const [R] = cudaCases([65537], [300]);
    const cs = makeCase([R], [], 9, 257, 3);
    forEachDevice((device) => runVandermonde(cs, randomArray(R * 257, 4), device), TOL);
  });

  test('L = 1000000 (small: 10000) with Im(x)·l up to 9e6: forward and backward', () => {
    const [L] = cudaCases([1000000], [10000]);
    const N = 9;
    // Im x from 0.3 to 9.1 (phases far past float precision), Re x = -1e-7: little decay.
    const x = new Float64Array(N * 2).map((_, i) => Math.fround(i % 2 === 0 ? -1e-7 : 0.3 + 1.1 * ((i - 1) / 2)));
    const cs: VandCase = { lead: [2], xLead: [], N, L, v: randomArray(2 * N * 2, 6), x };
    forEachDevice((device) => runVandermonde(cs, randomArray(2 * L, 7), device), TOL);
  });

  test('L = 1000000 (small: 10000), slow decay: sampled l equal the CPU backend', () => {
    const [L] = cudaCases([1000000], [10000]);
    const N = 32;
    const cs: VandCase = { lead: [2], xLead: [2], N, L, v: randomArray(2 * N * 2, 6), x: s4dX(2, N, 7, 1e-2, 1e-1, -1e-6) };
    forEachDevice((device) => lc.tidy(() => {
      const { v, x } = tensors(cs, false, device);
      return [lc.vandermonde(v, x, L).toFloat32Array()];
    }), 1e-4);
  });
});

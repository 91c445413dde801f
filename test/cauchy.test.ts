// cauchy against direct float64 sums and analytic gradients; finite differences; threads and
// memory; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice } from './devices';
import { BadInputCase, checkGradients, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput } from './helpers';

// The CPU kernel works in double, so the float32 result is accurate to rounding (~1e-7).
const TOL = 1e-5;

interface CauchyCase {
  lead: number[]; // v's leading dimensions
  wLead: number[]; // w's: a suffix of lead
  N: number;
  L: number;
  conj: boolean;
  v: Float64Array; // [R,N,2]
  w: Float64Array; // [Rw,N,2]
  z: Float64Array; // [L,2]
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

// S4-like values: Re w < 0 and z near the imaginary axis keep |z - w| >= 0.1.
function makeCase(lead: number[], wLead: number[], N: number, L: number, conj: boolean, seed: number): CauchyCase {
  const R = prod(lead), Rw = prod(wLead);
  const w = randomArray(Rw * N * 2, seed + 1).map((u, i) => Math.fround(i % 2 === 0 ? -0.6 + 0.5 * u : 3 * u));
  const z = randomArray(L * 2, seed + 2).map((u, i) => Math.fround(i % 2 === 0 ? 0.05 * u : 4 * u));
  return { lead, wLead, N, L, conj, v: randomArray(R * N * 2, seed), w, z };
}

// Float64 direct sums of docs/MATH.md §2.2.
function cauchyReference({ lead, wLead, N, L, conj, v, w, z }: CauchyCase): Float64Array {
  const R = prod(lead), Rw = prod(wLead);
  const out = new Float64Array(R * L * 2);
  const addTerm = (o: number, zr: number, zi: number, vr: number, vi: number, wr: number, wi: number) => {
    const dr = zr - wr, di = zi - wi, m = dr * dr + di * di;
    out[o] += (vr * dr + vi * di) / m;
    out[o + 1] += (vi * dr - vr * di) / m;
  };
  for (let r = 0; r < R; r++)
    for (let l = 0; l < L; l++)
      for (let n = 0; n < N; n++) {
        const vi = (r * N + n) * 2, wi = ((r % Rw) * N + n) * 2, o = (r * L + l) * 2;
        addTerm(o, z[2 * l], z[2 * l + 1], v[vi], v[vi + 1], w[wi], w[wi + 1]);
        if (conj) addTerm(o, z[2 * l], z[2 * l + 1], v[vi], -v[vi + 1], w[wi], -w[wi + 1]);
      }
  return out;
}

// Float64 analytic gradients for a real loss with output gradient g (dL/dRe + i dL/dIm):
// a holomorphic term f gives conj(f') g, an antiholomorphic one (of conj(v), conj(w)) f' conj(g).
function cauchyGradReference(cs: CauchyCase, g: Float64Array): { dv: Float64Array; dw: Float64Array } {
  const { lead, wLead, N, L, conj, v, w, z } = cs;
  const R = prod(lead), Rw = prod(wLead);
  const dv = new Float64Array(R * N * 2), dw = new Float64Array(Rw * N * 2);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++) {
      const vo = (r * N + n) * 2, wo = ((r % Rw) * N + n) * 2;
      const [vr, vi, wr, wi] = [v[vo], v[vo + 1], w[wo], w[wo + 1]];
      for (let l = 0; l < L; l++) {
        const gr = g[(r * L + l) * 2], gi = g[(r * L + l) * 2 + 1];
        // c = 1/(z - w): d/dv = c, d/dw = v c^2
        const dr = z[2 * l] - wr, di = z[2 * l + 1] - wi, m = dr * dr + di * di;
        const cr = dr / m, ci = -di / m;
        const c2r = cr * cr - ci * ci, c2i = 2 * cr * ci;
        const fwr = vr * c2r - vi * c2i, fwi = vr * c2i + vi * c2r;
        dv[vo] += cr * gr + ci * gi; // conj(c) g
        dv[vo + 1] += cr * gi - ci * gr;
        dw[wo] += fwr * gr + fwi * gi;
        dw[wo + 1] += fwr * gi - fwi * gr;
        if (conj) {
          // b = 1/(z - conj w): d/dconj(v) = b, d/dconj(w) = conj(v) b^2
          const er = z[2 * l] - wr, ei = z[2 * l + 1] + wi, s = er * er + ei * ei;
          const br = er / s, bi = -ei / s;
          const b2r = br * br - bi * bi, b2i = 2 * br * bi;
          const hr = vr * b2r + vi * b2i, hi = vr * b2i - vi * b2r;
          dv[vo] += br * gr + bi * gi; // b conj(g)
          dv[vo + 1] += bi * gr - br * gi;
          dw[wo] += hr * gr + hi * gi;
          dw[wo + 1] += hi * gr - hr * gi;
        }
      }
    }
  return { dv, dw };
}

function tensors(cs: CauchyCase, requiresGrad = false, device: lc.Device = 'cpu') {
  return {
    v: t(cs.v, [...cs.lead, cs.N, 2], { requiresGrad, device }),
    w: t(cs.w, [...cs.wLead, cs.N, 2], { requiresGrad, device }),
    z: t(cs.z, [cs.L, 2], { device }),
  };
}

// [v's leading dims, w's leading dims]
const layouts: [number[], number[]][] = [
  [[], []],
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 3], []],
];

describe('cauchy forward matches direct float64 sums', () => {
  for (const N of [1, 3, 8, 33])
    for (const L of [1, 2, 7, 64, 1000])
      for (const conj of [false, true])
        for (const [lead, wLead] of layouts) {
          test(`N=${N} L=${L} conj=${conj} v[${lead}] w[${wLead}]`, () => {
            const cs = makeCase(lead, wLead, N, L, conj, N * 31 + L);
            lc.tidy(() => {
              const { v, w, z } = tensors(cs);
              const out = lc.cauchy(v, z, w, { conj });
              expect(out.shape).toEqual([...lead, L, 2]);
              expectClose(out.toFloat32Array(), cauchyReference(cs), TOL);
            });
          });
        }

  test('N = 256: error stays at float32 rounding', () => {
    const cs = makeCase([4], [4], 256, 300, true, 5);
    lc.tidy(() => {
      const { v, w, z } = tensors(cs);
      const err = relError(lc.cauchy(v, z, w, { conj: true }).toFloat32Array(), cauchyReference(cs));
      expect(err).toBeLessThan(1e-6);
    });
  });
});

describe('cauchy backward matches float64 analytic gradients', () => {
  for (const N of [1, 3, 8, 33])
    for (const L of [1, 7, 64, 1000])
      for (const conj of [false, true])
        for (const [lead, wLead] of layouts.slice(1)) {
          test(`N=${N} L=${L} conj=${conj} v[${lead}] w[${wLead}]`, () => {
            const cs = makeCase(lead, wLead, N, L, conj, N * 17 + L);
            const g = randomArray(prod(lead) * L * 2, L + 7);
            const ref = cauchyGradReference(cs, g);
            lc.tidy(() => {
              const { v, w, z } = tensors(cs, true);
              lc.cauchy(v, z, w, { conj }).backward(t(g, [...lead, L, 2]));
              expect(v.grad!.shape).toEqual(v.shape);
              expect(w.grad!.shape).toEqual(w.shape);
              expectClose(v.grad!.toFloat32Array(), ref.dv, TOL);
              expectClose(w.grad!.toFloat32Array(), ref.dw, TOL);
              lc.dispose([v.grad!, w.grad!]);
            });
          });
        }
});

describe('cauchy gradients against finite differences of the op itself', () => {
  for (const conj of [false, true])
    for (const [lead, wLead] of [layouts[1], layouts[2]]) {
      test(`conj=${conj} v[${lead}] w[${wLead}]`, () => {
        const N = 5, L = 37;
        const cs = makeCase(lead, wLead, N, L, conj, 77);
        const shapes = [[...lead, N, 2], [...wLead, N, 2]];
        const z = t(cs.z, [L, 2]);
        checkGradients(([v, w]) => lc.cauchy(v, z, w, { conj }), [cs.v, cs.w], shapes, {
          w: randomArray(prod(lead) * L * 2, 3),
          // Linear in v: a unit step is exact. In w, a small step (curvature is O(1/|z-w|^3)).
          h: (i) => (i === 0 ? 1 : 1e-3),
          tol: 1e-3,
          directions: 1,
          direction: (i, _, n) => randomArray(n, 100 + i),
        });
        z.dispose();
      });
    }

  test('only the inputs that require grad get one; noGrad records nothing', () => {
    const cs = makeCase([3], [3], 4, 10, true, 9);
    lc.tidy(() => {
      const v = t(cs.v, [3, 4, 2]);
      const w = t(cs.w, [3, 4, 2], { requiresGrad: true });
      const z = t(cs.z, [10, 2]);
      lc.cauchy(v, z, w).backward(lc.ones([3, 10, 2]));
      expect(v.grad).toBeNull();
      expect(w.grad!.shape).toEqual([3, 4, 2]);
      w.grad!.dispose();
      expect(lc.noGrad(() => lc.cauchy(v, z, w)).requiresGrad).toBe(false);
    });
  });
});

describe('cauchy threads and memory', () => {
  test('1 and 2 threads give identical results', () => {
    const cs = makeCase([3, 2], [2], 16, 700, true, 21);
    const g = randomArray(6 * 700 * 2, 4);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const { v, w, z } = tensors(cs, true);
        const out = lc.cauchy(v, z, w, { conj: true });
        out.backward(t(g, [3, 2, 700, 2]));
        const res = [out, v.grad!, w.grad!].map((x) => Array.from(x.toFloat32Array()));
        lc.dispose([v.grad!, w.grad!]);
        return res;
      });
    };
    expectSameAcrossThreads(run);
  });

  test('memory stays flat over repeated forward + backward', () => {
    const cs = makeCase([2, 3], [3], 8, 128, true, 2);
    const { v, w, z } = tensors(cs, true);
    const step = () =>
      lc.tidy(() => {
        lc.cauchy(v, z, w, { conj: true }).backward(lc.ones([2, 3, 128, 2]));
        lc.dispose([v.grad!, w.grad!]);
        v.grad = w.grad = null;
      });
    expectMemoryFlat(step, 'cpu', 10);
    lc.dispose([v, w, z]);
  });
});

describe('cauchy rejects bad input with a clear message', () => {
  const v = lc.randn([2, 3, 4, 2], { seed: 1 });
  const w = lc.randn([3, 4, 2], { seed: 2 });
  const z = lc.randn([5, 2], { seed: 3 });
  afterAll(() => lc.dispose([v, w, z]));

  const cases: BadInputCase[] = [
    ['v trailing dim not 2', () => lc.cauchy(lc.zeros([3, 4, 3]), z, w), RangeError, /^v: expected shape \[\.\.\.,N,2\].*got \[3,4,3\]/],
    ['v of rank 1', () => lc.cauchy(lc.zeros([2]), z, w), RangeError, /^v: expected shape \[\.\.\.,N,2\].*got \[2\]/],
    ['w trailing dim not 2', () => lc.cauchy(v, z, lc.zeros([3, 4, 1])), RangeError, /^w: expected shape \[\.\.\.,N,2\].*got \[3,4,1\]/],
    ['N mismatch', () => lc.cauchy(v, z, lc.zeros([3, 5, 2])), RangeError, /^w: expected N = 4 modes.*got \[3,5,2\]/],
    ['w leading dims not a suffix', () => lc.cauchy(v, z, lc.zeros([2, 4, 2])), RangeError, /^w: expected leading dimensions that are a suffix of v's \[2,3\].*got shape \[2,4,2\]/],
    ['w with more leading dims', () => lc.cauchy(w, z, v), RangeError, /^w: expected leading dimensions that are a suffix of v's \[3\]/],
    ['empty dimension', () => lc.cauchy(lc.zeros([0, 4, 2]), z, lc.zeros([4, 2])), RangeError, /^v: expected every dimension >= 1/],
    ['z not [L,2]', () => lc.cauchy(v, lc.zeros([5]), w), RangeError, /^z: expected shape \[L,2\].*got \[5\]/],
    ['z of width 3', () => lc.cauchy(v, lc.zeros([5, 3]), w), RangeError, /^z: expected shape \[L,2\].*got \[5,3\]/],
    ['z with L = 0', () => lc.cauchy(v, lc.zeros([0, 2]), w), RangeError, /^z: expected shape \[L,2\] with L >= 1.*got \[0,2\]/],
    ['z requires grad', () => lc.cauchy(v, lc.zeros([5, 2], { requiresGrad: true }), w), TypeError, /^z: expected a tensor with requiresGrad false \(cauchy gives gradients for v and w only\), got one that requires grad/],
    ['non-tensor v', () => lc.cauchy([1, 2] as unknown as lc.Tensor, z, w), TypeError, /^v: expected a Tensor, got an array/],
    ['non-tensor z', () => lc.cauchy(v, 3 as unknown as lc.Tensor, w), TypeError, /^z: expected a Tensor, got number 3/],
    ['conj not boolean', () => lc.cauchy(v, z, w, { conj: 1 as unknown as boolean }), TypeError, /conj: expected a boolean, got number 1/],
    ['unknown option', () => lc.cauchy(v, z, w, { conjugate: true } as never), TypeError, /unknown option 'conjugate'/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([3, 4, 2]);
        gone.dispose();
        return lc.cauchy(v, z, gone);
      },
      TypeError,
      /^w: expected a live Tensor, got a disposed one \(shape \[3,4,2\], device 'cpu'\)/,
    ],
  ];
  testBadInput(cases);

  test('tensors on different devices', () => {
    // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
    const fake = fakeTensor([5, 2], 'cuda');
    expect(() => lc.cauchy(v, fake, w)).toThrow(TypeError);
    expect(() => lc.cauchy(v, fake, w)).toThrow(/^z: expected device 'cpu' \(the device of v\), got 'cuda'/);
  });
});

// cauchy forward and backward on `device` with output gradient g: [out, dv, dw] as host arrays.
function runCauchy(cs: CauchyCase, g: Float64Array, device: lc.Device): Float32Array[] {
  return lc.tidy(() => {
    const { v, w, z } = tensors(cs, true, device);
    const out = lc.cauchy(v, z, w, { conj: cs.conj });
    out.backward(t(g, [...cs.lead, cs.L, 2], { device }));
    const res = [out, v.grad!, w.grad!].map((x) => x.toFloat32Array());
    lc.dispose([v.grad!, w.grad!]);
    return res;
  });
}

cudaSuite('cauchy')('cauchy on CUDA equals the CPU backend', () => {
  // Past L = 1000, w is broadcast over all of v's rows ([2] against []).
  for (const N of cudaCases([1, 2, 3, 33, 64, 300, 1000], [1, 2, 33]))
    for (const L of cudaCases([1, 2, 7, 97, 784, 1000, 4097, 65536, 70000], [1, 7, 97]))
      for (const conj of [false, true])
        test(`N=${N} L=${L} conj=${conj}`, () => {
          const [lead, wLead] = L > 1000 ? [[2], []] : [[2, 3], [3]];
          const cs = makeCase(lead, wLead, N, L, conj, N + L);
          const g = randomArray(prod(lead) * L * 2, 8);
          forEachDevice((device) => runCauchy(cs, g, device), 1e-4);
        });

  for (const conj of [false, true])
    test(`R = 65537 rows (more than one grid dimension; small: 300), N = 9, L = 257, conj=${conj}`, () => {
      const [R] = cudaCases([65537], [300]);
      const cs = makeCase([R], [], 9, 257, conj, 5);
      forEachDevice((device) => runCauchy(cs, randomArray(R * 257 * 2, 9), device), TOL);
    });

  // Mode 0 of row 0 (row 1) sits at distance d from z[3] (z[5]): |d|^2 under- or overflows
  // float32 for d < ~1e-19 or > ~1.8e19, so CUDA must scale before squaring (the CPU works in
  // double). Where dw = conj(v) sum g / conj(d)^2 itself leaves the float range, only out and
  // dv are compared.
  for (const [d, withDw] of [[1e-12, true], [1e-25, false], [1e21, false]] as [number, boolean][])
    for (const conj of [false, true])
      test(`a pole at distance ${d} from z (conj=${conj}): equal, and finite`, () => {
        const N = 2, L = 8;
        const z = new Float64Array(L * 2).map((_, i) => (i % 2 === 0 ? 0 : (i - 1) / 2));
        const w = Float64Array.from([-d, 3, -0.5, 1.25, d, 5, -0.5, 2.5].map(Math.fround));
        const cs: CauchyCase = { lead: [2], wLead: [2], N, L, conj, v: randomArray(2 * N * 2, 3), w, z };
        const g = randomArray(2 * L * 2, 4);
        const { gpu } = forEachDevice((device) => runCauchy(cs, g, device).slice(0, withDw ? 3 : 2), TOL);
        gpu.forEach((x) => expect(x.every(Number.isFinite)).toBe(true));
      });
});

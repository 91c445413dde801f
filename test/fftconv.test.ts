// fftConv against direct float64 sums, forward and backward; gradients against finite
// differences; threads; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { native } from '../lib/native';
import { cudaCases, cudaSuite, forEachDevice, gpu, gpuOnlyTest } from './devices';
import { BadInputCase, checkGradients, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput } from './helpers';

// Independent float64 references: direct O(L^2) sums of the definition (docs/MATH.md), no FFTs.
interface ConvCase {
  B: number;
  C: number;
  H: number;
  L: number;
  u: Float64Array; // [B,H,L]
  k: Float64Array; // [C,H,L]
  kRev?: Float64Array; // [C,H,L]
  D?: Float64Array; // [C,H]
}

/** y[b,c,h,t] = sum_s k[s] u[t-s] + sum_{s>=1} kRev[s-1] u[t+s] + D u[t]  (docs/MATH.md §2.1). */
function fftConvReference({ B, C, H, L, u, k, kRev, D }: ConvCase): Float64Array {
  const y = new Float64Array(B * C * H * L);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) {
        const uo = (b * H + h) * L;
        const ko = (c * H + h) * L;
        const yo = ((b * C + c) * H + h) * L;
        for (let t = 0; t < L; t++) {
          let acc = D ? D[c * H + h] * u[uo + t] : 0;
          for (let s = 0; s <= t; s++) acc += k[ko + s] * u[uo + t - s];
          if (kRev) for (let s = 1; t + s < L; s++) acc += kRev[ko + s - 1] * u[uo + t + s];
          y[yo + t] = acc;
        }
      }
  return y;
}

/** Gradients of sum(dy * y) w.r.t. u, k, kRev and D, by the same direct sums. */
function fftConvGradReference(cs: ConvCase, dy: Float64Array) {
  const { B, C, H, L, u, k, kRev, D } = cs;
  const du = new Float64Array(B * H * L);
  const dk = new Float64Array(C * H * L);
  const dkRev = new Float64Array(C * H * L);
  const dD = new Float64Array(C * H);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) {
        const uo = (b * H + h) * L;
        const ko = (c * H + h) * L;
        const yo = ((b * C + c) * H + h) * L;
        for (let t = 0; t < L; t++) {
          const g = dy[yo + t];
          if (D) {
            du[uo + t] += g * D[c * H + h];
            dD[c * H + h] += g * u[uo + t];
          }
          for (let s = 0; s <= t; s++) {
            du[uo + t - s] += g * k[ko + s];
            dk[ko + s] += g * u[uo + t - s];
          }
          if (kRev)
            for (let s = 1; t + s < L; s++) {
              du[uo + t + s] += g * kRev[ko + s - 1];
              dkRev[ko + s - 1] += g * u[uo + t + s];
            }
        }
      }
  return { du, dk, dkRev, dD };
}

// Relative error (max abs error / max abs value). The FFT path's float32 error measures about
// 5e-7 at these sizes; 1e-5 is tighter than the 1e-4 required of FFT paths.
const TOL = 1e-5;

function makeCase(B: number, C: number, H: number, L: number, withD: boolean, withRev: boolean, seed: number): ConvCase {
  return {
    B, C, H, L,
    u: randomArray(B * H * L, seed),
    k: randomArray(C * H * L, seed + 1),
    kRev: withRev ? randomArray(C * H * L, seed + 2) : undefined,
    D: withD ? randomArray(C * H, seed + 3) : undefined,
  };
}

// C = 0 stands for a 2-D kernel [H,L] (output [B,H,L]); C >= 1 for [C,H,L].
function tensors(cs: ConvCase, kernel3d: boolean, requiresGrad = false, device: lc.Device = 'cpu') {
  const { B, C, H, L } = cs;
  const kShape = kernel3d ? [C, H, L] : [H, L];
  return {
    u: t(cs.u, [B, H, L], { requiresGrad, device }),
    k: t(cs.k, kShape, { requiresGrad, device }),
    kRev: cs.kRev && t(cs.kRev, kShape, { requiresGrad, device }),
    D: cs.D && t(cs.D, kShape.slice(0, -1), { requiresGrad, device }),
  };
}

const lengths = [1, 2, 7, 97, 1000, 4097];
const variants: [number, boolean, boolean, boolean][] = [
  // [C, kernel3d, D, kRev]
  [1, false, false, false],
  [1, false, true, true],
  [1, true, true, false],
  [3, true, false, true],
  [3, true, true, true],
];

describe('fftConv forward matches direct float64 sums', () => {
  for (const L of lengths) {
    for (const [C, k3, withD, withRev] of variants) {
      const B = L > 1000 ? 2 : 3;
      const H = L > 1000 ? 2 : 5;
      test(`L=${L} B=${B} H=${H} C=${C} k${k3 ? '3d' : '2d'} D=${withD} kRev=${withRev}`, () => {
        const cs = makeCase(B, C, H, L, withD, withRev, L * 7 + C);
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, k3);
          const y = lc.fftConv(u, k, { D, kRev });
          expect(y.shape).toEqual(k3 ? [B, C, H, L] : [B, H, L]);
          expectClose(y.toFloat32Array(), fftConvReference(cs), TOL);
        });
      });
    }
  }
});

describe('fftConv backward matches direct float64 sums', () => {
  for (const L of lengths) {
    for (const [C, k3, withD, withRev] of variants) {
      const B = L > 1000 ? 2 : 3;
      const H = L > 1000 ? 2 : 4;
      test(`L=${L} B=${B} H=${H} C=${C} k${k3 ? '3d' : '2d'} D=${withD} kRev=${withRev}`, () => {
        const cs = makeCase(B, C, H, L, withD, withRev, L * 13 + C);
        const dy = randomArray(B * C * H * L, L + 99);
        const ref = fftConvGradReference(cs, dy);
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, k3, true);
          const y = lc.fftConv(u, k, { D, kRev });
          y.backward(t(dy, [...y.shape]));
          expectClose(u.grad!.toFloat32Array(), ref.du, TOL);
          expectClose(k.grad!.toFloat32Array(), ref.dk, TOL);
          if (kRev) expectClose(kRev.grad!.toFloat32Array(), ref.dkRev, TOL);
          if (D) expectClose(D.grad!.toFloat32Array(), ref.dD, TOL);
          expect(k.grad!.shape).toEqual(k.shape);
          if (D) expect(D.grad!.shape).toEqual(D.shape);
          lc.dispose([u.grad, k.grad, kRev?.grad, D?.grad].filter((g): g is lc.Tensor => !!g));
        });
      });
    }
  }
});

describe('fftConv gradients against finite differences of the op itself', () => {
  for (const L of [7, 97, 256]) {
    test(`L=${L}, C=3, with D and kRev`, () => {
      const B = 2, C = 3, H = 3;
      const cs = makeCase(B, C, H, L, true, true, L);
      const shapes = [[B, H, L], [C, H, L], [C, H, L], [C, H]];
      checkGradients(([u, k, kRev, D]) => lc.fftConv(u, k, { kRev, D }), [cs.u, cs.k, cs.kRev!, cs.D!], shapes, {
        w: randomArray(B * C * H * L, 5),
        // fftConv is linear in each argument, so a unit step has no truncation error.
        h: 1,
        tol: 1e-3,
        relativeTo: 'numeric',
        directions: 1,
        direction: (i, _, n) => randomArray(n, 100 + i),
      });
    });
  }

  test('gradients accumulate across two backward passes', () => {
    const cs = makeCase(2, 1, 3, 33, true, false, 3);
    lc.tidy(() => {
      const { u, k, D } = tensors(cs, false, true);
      const dy = t(randomArray(2 * 3 * 33, 4), [2, 3, 33]);
      lc.fftConv(u, k, { D }).backward(dy);
      const once = k.grad!.toFloat32Array();
      lc.fftConv(u, k, { D }).backward(dy);
      const twice = k.grad!.toFloat32Array();
      expect(relError(twice, once.map((v) => 2 * v))).toBeLessThan(1e-6);
      lc.dispose([u.grad!, k.grad!, D!.grad!]);
    });
  });

  test('only the inputs that require grad get one; noGrad records nothing', () => {
    const cs = makeCase(2, 1, 2, 16, true, false, 9);
    lc.tidy(() => {
      const u = t(cs.u, [2, 2, 16]);
      const k = t(cs.k, [2, 16], { requiresGrad: true });
      const y = lc.fftConv(u, k);
      y.backward(lc.ones([2, 2, 16]));
      expect(u.grad).toBeNull();
      expect(k.grad!.shape).toEqual([2, 16]);
      k.grad!.dispose();
      const z = lc.noGrad(() => lc.fftConv(u, k));
      expect(z.requiresGrad).toBe(false);
      expect(() => z.backward(lc.ones([2, 2, 16]))).toThrow(/does not require grad/);
    });
  });
});

describe('fftConv threads', () => {
  test('1 and 2 threads give identical results', () => {
    const cs = makeCase(4, 2, 6, 500, true, true, 21);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const { u, k, kRev, D } = tensors(cs, true);
        return lc.fftConv(u, k, { D, kRev }).toFloat32Array();
      });
    };
    expectSameAcrossThreads(run);
  });
});

// Every bad call throws a named TypeError/RangeError before touching memory.
describe('fftConv rejects bad input with a clear message', () => {
  const u = lc.randn([2, 3, 8], { seed: 1 });
  const k = lc.randn([3, 8], { seed: 2 });
  const k3 = lc.randn([2, 3, 8], { seed: 3 });
  afterAll(() => lc.dispose([u, k, k3]));

  const cases: BadInputCase[] = [
    ['u of wrong rank', () => lc.fftConv(lc.zeros([3, 8]), k), RangeError, /^u: expected rank 3 \(\[B,H,L\]\), got shape \[3,8\]/],
    ['k of wrong rank', () => lc.fftConv(u, lc.zeros([8])), RangeError, /^k: expected rank 2 or 3 .*got shape \[8\]/],
    ['H mismatch', () => lc.fftConv(u, lc.zeros([4, 8])), RangeError, /^k: expected shape \[3,8\].*got \[4,8\]/],
    ['L mismatch', () => lc.fftConv(u, lc.zeros([3, 9])), RangeError, /^k: expected shape \[3,8\].*got \[3,9\]/],
    ['kRev shape', () => lc.fftConv(u, k, { kRev: lc.zeros([3, 7]) }), RangeError, /^kRev: expected shape \[3,8\].*got \[3,7\]/],
    ['D of wrong shape for 2-D k', () => lc.fftConv(u, k, { D: lc.zeros([2, 3]) }), RangeError, /^D: expected shape \[3\].*got \[2,3\]/],
    ['C mismatch between k and D', () => lc.fftConv(u, k3, { D: lc.zeros([3, 3]) }), RangeError, /^D: expected shape \[2,3\] \(\[C,H\].*got \[3,3\]/],
    ['non-tensor u', () => lc.fftConv([1, 2, 3] as unknown as lc.Tensor, k), TypeError, /^u: expected a Tensor, got an array/],
    ['non-tensor k', () => lc.fftConv(u, 3 as unknown as lc.Tensor), TypeError, /^k: expected a Tensor, got number 3/],
    ['non-tensor D', () => lc.fftConv(u, k, { D: 'x' as unknown as lc.Tensor }), TypeError, /^D: expected a Tensor, got string x/],
    ['unknown option', () => lc.fftConv(u, k, { d: k } as never), TypeError, /unknown option 'd'/],
    ['options not an object', () => lc.fftConv(u, k, 5 as never), TypeError, /expected an options object/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([3, 8]);
        gone.dispose();
        return lc.fftConv(u, gone);
      },
      TypeError,
      /^k: expected a live Tensor, got a disposed one \(shape \[3,8\], device 'cpu'\)/,
    ],
  ];
  testBadInput(cases);

  test('tensors on different devices', () => {
    // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
    const fake = fakeTensor([3, 8], 'cuda');
    expect(() => lc.fftConv(u, fake)).toThrow(TypeError);
    expect(() => lc.fftConv(u, fake)).toThrow(/^k: expected device 'cpu' \(the device of u\), got 'cuda'/);
  });
});

// fftConv with kRev and D (when the case has them) on `device`: y and every input's gradient.
function runFftConv(cs: ConvCase, kernel3d: boolean, dy: Float64Array, device: lc.Device): Float32Array[] {
  return lc.tidy(() => {
    const { u, k, kRev, D } = tensors(cs, kernel3d, true, device);
    const y = lc.fftConv(u, k, { kRev, D });
    y.backward(t(dy, [...y.shape], { device }));
    const inputs = [u, k, kRev, D].filter((x): x is lc.Tensor => x !== undefined);
    const out = [y, ...inputs.map((x) => x.grad!)].map((x) => x.toFloat32Array());
    lc.dispose(inputs.map((x) => x.grad));
    return out;
  });
}

// CUDA against the CPU backend: the lengths of the GPU bundle's parity stage (up to 2^20 and a
// prime near 10^6), C = 1 and 3, with and without D and kRev.
cudaSuite('fftConv')('fftConv on CUDA equals the CPU backend', () => {
  const cudaLengths = cudaCases([1, 2, 7, 97, 784, 1000, 4097, 65536, 2 ** 20, 999983], [1, 2, 7, 97, 784, 1000]);
  const cudaVariants: [number, boolean, boolean, boolean][] = [
    // [C, kernel3d, D, kRev]
    [1, false, true, true],
    [3, true, true, true],
    [1, false, false, false],
    [3, true, true, false],
  ];
  for (const L of cudaLengths) {
    for (const [C, k3, withD, withRev] of cudaVariants) {
      const B = L > 65536 ? 2 : 3;
      const H = L > 65536 ? 2 : 4;
      test(`fftConv L=${L} C=${C} D=${withD} kRev=${withRev}: forward and backward equal the CPU backend`, () => {
        const cs = makeCase(B, C, H, L, withD, withRev, L);
        forEachDevice((device) => runFftConv(cs, k3, randomArray(B * C * H * L, L + 4), device), 1e-4);
      });
    }
  }

  test('B·C·H, B·H and C·H all above 65,535 rows (the grid y limit; small: 10), L = 2048', () => {
    const [H] = cudaCases([32769], [5]);
    const cs = makeCase(2, 2, H, 2048, true, true, 3);
    forEachDevice((device) => runFftConv(cs, true, randomArray(2 * 2 * H * 2048, 4), device), TOL);
  });

  gpuOnlyTest('more shapes than the plan cache holds: evictions are counted, results stay right', () => {
    const before = lc.memory().cuda;
    const shapes = 150; // two new plans each (R2C and C2R at batch B): 300 > 256
    for (let B = 1; B <= shapes; B++) {
      const cs = makeCase(B, 1, 1, 16, true, true, B);
      const y = (device: lc.Device) =>
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, true, false, device);
          return [lc.fftConv(u, k, { kRev, D }).toFloat32Array()];
        });
      if (B % 37 === 1) forEachDevice(y, TOL);
      else y(gpu);
    }
    const after = lc.memory().cuda.caches;
    expect(after.limitEntries).toBe(256);
    expect(after.entries).toBeLessThanOrEqual(256);
    expect(after.evictions - before.caches.evictions).toBeGreaterThanOrEqual(2 * shapes - 256);
    lc.emptyCache();
    expect(lc.memory().cuda.caches.entries).toBe(0);
  });

  gpuOnlyTest('kernel gradients without the saved input spectrum are refused, and CUDA stays usable', () => {
    lc.tidy(() => {
      const u = lc.randn([2, 3, 64], { device: gpu, seed: 1 });
      const k = lc.randn([1, 3, 64], { device: gpu, seed: 2 });
      const { Kf } = native.fftconvKernelSpectrum({ k: k.storage, kRev: null, D: null, C: 1, H: 3, L: 64 });
      const { y } = native.fftconvForward({ u: u.storage, Kf, B: 2, C: 1, H: 3, L: 64, saveUf: false });
      expect(() => native.fftconvBackward({
        dy: y, Kf, Uf: null, B: 2, C: 1, H: 3, L: 64, needDu: true, needDk: true, needDkRev: false, needDD: false,
      })).toThrow(/Uf/);
      expectClose(lc.fftConv(u, k).toFloat32Array(), lc.fftConv(u.to('cpu'), k.to('cpu')).toFloat32Array(), TOL);
    });
  });

  gpuOnlyTest('device memory returns to its level after a training-like loop', () => {
    const u = lc.randn([2, 8, 1024], { device: gpu, seed: 1 });
    const k = lc.randn([8, 1024], { device: gpu, seed: 2, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        lc.fftConv(u, k).backward(lc.ones([2, 8, 1024], { device: gpu }));
        k.grad!.dispose();
        k.grad = null;
      });
    const { before, after } = expectMemoryFlat(step, gpu, 20);
    expect(after.reservedBytes).toBe(before.reservedBytes); // the cache serves every step
    lc.dispose([u, k]);
  });
});

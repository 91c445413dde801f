// kernels.sgconv against a float64 reference, forward and backward; options; finite
// differences; memory and threads; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice } from './devices';
import { BadInputCase, checkGradients, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput } from './helpers';
import { SgCase, sgconvGradReference, sgconvReference } from './sgconv_reference';

// float32 against float64: the only rounding is in the interpolation weights, the products and
// the norm's sum, so the relative error stays near 1e-7.
const TOL = 1e-5;

function makeCase(C: number, H: number, d: number, S: number, initScale: number, L: number, threeD: boolean, multiplier: number[], seed: number): SgCase {
  const subs = Array.from({ length: S }, (_, i) => randomArray(C * H * d, seed + i));
  return { C, H, d, S, initScale, L, threeD, subs, multiplier };
}

function subShape(cs: SgCase): number[] {
  return cs.threeD ? [cs.C, cs.H, cs.d] : [cs.H, cs.d];
}

function totalLength(cs: SgCase): number {
  return cs.d * 2 ** (cs.S - 1 + cs.initScale);
}

describe('sgconv forward and backward against a float64 reference', () => {
  const layouts: [number, boolean, number][] = [
    // [C, threeD, d]
    [1, false, 5],
    [1, true, 1],
    [3, true, 4],
    [3, true, 7],
  ];
  for (const S of [1, 2, 3, 4]) {
    for (const initScale of [0, 1]) {
      for (const [C, threeD, d] of layouts) {
        const T = d * 2 ** (S - 1 + initScale);
        for (const L of [...new Set([Math.max(1, T - 3), T + 7])]) {
          test(`S=${S} initScale=${initScale} C=${C}${threeD ? '' : ' (2-D)'} d=${d} T=${T} L=${L}`, () => {
            const H = 3;
            const cs = makeCase(C, H, d, S, initScale, L, threeD, [2, 2, 2], S * 100 + d * 10 + initScale);
            const ref = sgconvReference(cs);
            const dy = randomArray(C * H * L, 77 + L);
            lc.tidy(() => {
              const subs = cs.subs.map((w) => t(w, subShape(cs), { requiresGrad: true }));
              const { kernel, norm } = lc.kernels.sgconv(subs, L, { initScale });
              expect(kernel.shape).toEqual(threeD ? [C, H, L] : [H, L]);
              expect(norm.shape).toEqual(threeD ? [C, H] : [H]);
              expect(norm.requiresGrad).toBe(false);
              expectClose(kernel.toFloat32Array(), ref.kernel, TOL);
              expectClose(norm.toFloat32Array(), ref.norm, TOL);
              kernel.backward(t(dy, [...kernel.shape]));
              const gradRef = sgconvGradReference(cs, ref.norm, dy);
              subs.forEach((w, i) => {
                expect(w.grad!.shape).toEqual(w.shape);
                expectClose(w.grad!.toFloat32Array(), gradRef[i], TOL);
              });
              lc.dispose(subs.map((w) => w.grad));
            });
          });
        }
      }
    }
  }

  test('a long case: d=64, S=8, L=5000 (T=8192)', () => {
    const cs = makeCase(2, 3, 64, 8, 0, 5000, true, [2, 2, 2], 9);
    const ref = sgconvReference(cs);
    const dy = randomArray(2 * 3 * 5000, 10);
    lc.tidy(() => {
      const subs = cs.subs.map((w) => t(w, subShape(cs), { requiresGrad: true }));
      const { kernel, norm } = lc.kernels.sgconv(subs, 5000);
      expectClose(kernel.toFloat32Array(), ref.kernel, TOL);
      expectClose(norm.toFloat32Array(), ref.norm, TOL);
      kernel.backward(t(dy, [2, 3, 5000]));
      const gradRef = sgconvGradReference(cs, ref.norm, dy);
      subs.forEach((w, i) => expectClose(w.grad!.toFloat32Array(), gradRef[i], TOL));
      process.stdout.write(`sgconv d=64 S=8 L=5000: forward rel err ${relError(kernel.toFloat32Array(), ref.kernel).toExponential(2)}, ` +
        `grad rel err ${relError(subs[7].grad!.toFloat32Array(), gradRef[7]).toExponential(2)}\n`);
      lc.dispose(subs.map((w) => w.grad));
    });
  });
});

describe('sgconv multiplier and norm options', () => {
  const H = 4;
  const base = (multiplier: number[]) => makeCase(2, H, 3, 3, 0, 20, true, multiplier, 31);

  test('multiplier as a number, an array and a tensor', () => {
    const perH = [0.5, 1, 3, -1.5];
    lc.tidy(() => {
      const cs = base(perH);
      const subs = cs.subs.map((w) => t(w, subShape(cs)));
      const ref = sgconvReference(cs).kernel;
      expectClose(lc.kernels.sgconv(subs, 20, { multiplier: perH }).kernel.toFloat32Array(), ref, TOL);
      expectClose(lc.kernels.sgconv(subs, 20, { multiplier: lc.tensor(perH, [H]) }).kernel.toFloat32Array(), ref, TOL);
      const scalar = base([0.7, 0.7, 0.7, 0.7]);
      expectClose(lc.kernels.sgconv(subs, 20, { multiplier: 0.7 }).kernel.toFloat32Array(), sgconvReference(scalar).kernel, TOL);
      // Default 2.
      expectClose(lc.kernels.sgconv(subs, 20).kernel.toFloat32Array(), sgconvReference(base([2, 2, 2, 2])).kernel, TOL);
    });
  });

  test('a given norm is used as it is, returned as it is, and gets no gradient', () => {
    lc.tidy(() => {
      const cs = base([2, 2, 2, 2]);
      const given = Float64Array.from({ length: 2 * H }, (_, k) => 0.5 + k);
      const norm = t(given, [2, H], { requiresGrad: true });
      const subs = cs.subs.map((w) => t(w, subShape(cs), { requiresGrad: true }));
      const out = lc.kernels.sgconv(subs, 20, { norm });
      expect(out.norm).toBe(norm);
      expectClose(out.kernel.toFloat32Array(), sgconvReference(cs, given).kernel, TOL);
      const dy = randomArray(2 * H * 20, 3);
      // The caller may dispose its norm before backward: backward keeps its own copy.
      norm.dispose();
      out.kernel.backward(t(dy, [2, H, 20]));
      const gradRef = sgconvGradReference(cs, given, dy);
      subs.forEach((w, i) => expectClose(w.grad!.toFloat32Array(), gradRef[i], TOL));
      expect(norm.grad).toBeNull();
      lc.dispose(subs.map((w) => w.grad));
    });
  });

  test('the computed norm frozen and passed back gives the same kernel for new weights', () => {
    lc.tidy(() => {
      const cs = base([2, 2, 2, 2]);
      const first = lc.kernels.sgconv(cs.subs.map((w) => t(w, subShape(cs))), 20);
      const moved = cs.subs.map((w) => w.map((v) => v * 1.5));
      const again = lc.kernels.sgconv(moved.map((w) => t(w, subShape(cs))), 20, { norm: first.norm });
      expectClose(again.kernel.toFloat32Array(), first.kernel.toFloat32Array().map((v) => 1.5 * v), 1e-6);
    });
  });
});

describe('sgconv gradients against finite differences of the op itself', () => {
  for (const [C, threeD, d, S, initScale, L] of [
    [1, false, 5, 3, 0, 13],
    [3, true, 4, 4, 1, 100],
    [2, true, 1, 2, 0, 9],
  ] as [number, boolean, number, number, number, number][]) {
    test(`C=${C} d=${d} S=${S} initScale=${initScale} L=${L}`, () => {
      const H = 3;
      const cs = makeCase(C, H, d, S, initScale, L, threeD, [2, 2, 2], 55 + d);
      const norm = sgconvReference(cs).norm;
      const normShape = threeD ? [C, H] : [H];
      const normT = t(norm, normShape);
      checkGradients((subs) => lc.kernels.sgconv(subs, L, { initScale, multiplier: [2, 0.5, 1.5], norm: normT }).kernel, cs.subs, cs.subs.map(() => subShape(cs)), {
        w: randomArray(C * H * L, 8),
        // Linear in the sub-kernels once the norm is fixed: a unit step is exact.
        h: 1,
        tol: 1e-4,
        relativeTo: 'numeric',
        directions: 1,
        direction: (i, _, n) => randomArray(n, 200 + i),
      });
      normT.dispose();
    });
  }

  test('only the sub-kernels that require grad get one; noGrad records nothing', () => {
    const cs = makeCase(1, 2, 3, 3, 0, 10, false, [2, 2], 4);
    lc.tidy(() => {
      const subs = cs.subs.map((x, i) => t(x, [2, 3], { requiresGrad: i === 1 }));
      lc.kernels.sgconv(subs, 10).kernel.backward(lc.ones([2, 10]));
      expect(subs[0].grad).toBeNull();
      expect(subs[2].grad).toBeNull();
      expect(subs[1].grad!.shape).toEqual([2, 3]);
      subs[1].grad!.dispose();
      const k = lc.noGrad(() => lc.kernels.sgconv(subs, 10).kernel);
      expect(k.requiresGrad).toBe(false);
    });
  });
});

describe('sgconv memory and threads', () => {
  test('memory stays flat over repeated forward + backward', () => {
    const subs = [0, 1, 2].map((i) => lc.randn([2, 3, 4], { seed: i, requiresGrad: true }));
    const step = () =>
      lc.tidy(() => {
        const { kernel } = lc.kernels.sgconv(subs, 30, { multiplier: lc.tensor([1, 2, 3], [3]) });
        kernel.backward(lc.ones([2, 3, 30]));
        subs.forEach((w) => w.grad!.dispose());
        subs.forEach((w) => (w.grad = null));
      });
    expectMemoryFlat(step, 'cpu', 5);
    lc.dispose(subs);
  });

  test('1 and 2 threads give identical results', () => {
    const cs = makeCase(4, 8, 16, 6, 0, 700, true, [2, 2, 2, 2, 2, 2, 2, 2], 12);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const subs = cs.subs.map((w) => t(w, subShape(cs), { requiresGrad: true }));
        const { kernel } = lc.kernels.sgconv(subs, 700);
        kernel.backward(lc.ones([4, 8, 700]));
        const out = [kernel, ...subs.map((w) => w.grad!)].map((x) => Array.from(x.toFloat32Array()));
        lc.dispose(subs.map((w) => w.grad));
        return out;
      });
    };
    expectSameAcrossThreads(run);
  });
});

describe('sgconv rejects bad input with a clear message', () => {
  const a = lc.randn([2, 3, 4], { seed: 1 });
  const b = lc.randn([2, 3, 4], { seed: 2 });
  afterAll(() => lc.dispose([a, b]));
  // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
  const fakeCuda = (shape = [2, 3, 4]) => fakeTensor(shape, 'cuda');

  const cases: BadInputCase[] = [
    ['non-array', () => lc.kernels.sgconv(a as never, 8), TypeError, /^subKernels: expected an array of Tensors, got an object of class Tensor/],
    ['empty list', () => lc.kernels.sgconv([], 8), RangeError, /^subKernels: expected 1 to 32 sub-kernels, got 0/],
    ['non-tensor element', () => lc.kernels.sgconv([a, 5 as never], 8), TypeError, /^subKernels\[1\]: expected a Tensor, got number 5/],
    ['differing shapes', () => lc.kernels.sgconv([a, lc.zeros([2, 3, 5])], 8), RangeError, /^subKernels\[1\]: expected shape \[2,3,4\] \(the shape of subKernels\[0\]\), got \[2,3,5\]/],
    ['wrong rank', () => lc.kernels.sgconv([lc.zeros([4])], 8), RangeError, /^subKernels\[0\]: expected rank 2 or 3/],
    ['zero dimension', () => lc.kernels.sgconv([lc.zeros([3, 0])], 8), RangeError, /^subKernels\[0\]: expected every dimension >= 1/],
    ['too many', () => lc.kernels.sgconv(new Array(33).fill(a), 8), RangeError, /^subKernels: expected 1 to 32 sub-kernels, got 33/],
    ['too long', () => lc.kernels.sgconv([a, b], 8, { initScale: 40 }), RangeError, /^subKernels: expected a concatenated length d·2\^\(S−1\+initScale\) <= 2\^40, got 8796093022208/],
    ['L = 0', () => lc.kernels.sgconv([a, b], 0), RangeError, /^L: expected an integer >= 1, got 0/],
    ['L negative', () => lc.kernels.sgconv([a, b], -3), RangeError, /^L: expected an integer >= 1/],
    ['L not an integer', () => lc.kernels.sgconv([a, b], 2.5), TypeError, /^L: expected an integer/],
    ['initScale negative', () => lc.kernels.sgconv([a, b], 8, { initScale: -1 }), RangeError, /^options\.initScale: expected an integer >= 0, got -1/],
    ['initScale fractional', () => lc.kernels.sgconv([a, b], 8, { initScale: 0.5 }), TypeError, /^options\.initScale: expected an integer >= 0, got number 0.5/],
    ['multiplier of wrong length', () => lc.kernels.sgconv([a, b], 8, { multiplier: [1, 2] }), RangeError, /^options\.multiplier: expected 3 values \(H of the sub-kernels\), got 2/],
    ['multiplier tensor of wrong shape', () => lc.kernels.sgconv([a, b], 8, { multiplier: lc.zeros([2]) }), RangeError, /^options\.multiplier: expected shape \[3\]/],
    ['multiplier not finite', () => lc.kernels.sgconv([a, b], 8, { multiplier: NaN }), TypeError, /^options\.multiplier: expected a finite number, got number NaN/],
    ['multiplier of the wrong type', () => lc.kernels.sgconv([a, b], 8, { multiplier: '2' as never }), TypeError, /^options\.multiplier: expected a number, a number\[\] or a Tensor, got string 2/],
    ['norm of wrong shape', () => lc.kernels.sgconv([a, b], 8, { norm: lc.ones([3]) }), RangeError, /^options\.norm: expected shape \[2,3\] \(\[C,H\].*got \[3\]/],
    ['norm of wrong shape (2-D)', () => lc.kernels.sgconv([lc.zeros([3, 4])], 8, { norm: lc.ones([1, 3]) }), RangeError, /^options\.norm: expected shape \[3\]/],
    ['norm not a tensor', () => lc.kernels.sgconv([a, b], 8, { norm: [1, 2] as never }), TypeError, /^options\.norm: expected a Tensor, got an array/],
    ['unknown option', () => lc.kernels.sgconv([a, b], 8, { scale: 1 } as never), TypeError, /unknown option 'scale'/],
    ['mixed devices (sub-kernels)', () => lc.kernels.sgconv([a, fakeCuda()], 8), TypeError, /^subKernels\[1\]: expected device 'cpu' \(the device of subKernels\[0\]\), got 'cuda'/],
    ['mixed devices (norm)', () => lc.kernels.sgconv([a, b], 8, { norm: fakeCuda([2, 3]) }), TypeError, /^options\.norm: expected device 'cpu' \(the device of subKernels\[0\]\), got 'cuda'/],
    ['mixed devices (multiplier)', () => lc.kernels.sgconv([a, b], 8, { multiplier: fakeCuda([3]) }), TypeError, /^options\.multiplier: expected device 'cpu' \(the device of subKernels\[0\]\), got 'cuda'/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([2, 3, 4]);
        gone.dispose();
        return lc.kernels.sgconv([a, gone], 8);
      },
      TypeError,
      /^subKernels\[1\]: expected a live Tensor, got a disposed one/,
    ],
  ];
  testBadInput(cases);
});

cudaSuite('sgconv')('sgconv CUDA equals the CPU backend', () => {
  const sizes: [number, boolean, number, number, number, number][] = [
    [1, false, 5, 1, 0, 3],
    [1, false, 5, 3, 1, 50],
    [3, true, 4, 4, 0, 100],
    [2, true, 64, 10, 0, 20000],
    [2, true, 1, 16, 0, 70000],
    // the parity stage's lengths
    [1, false, 4, 2, 0, 1],
    [2, true, 3, 2, 1, 2],
    [1, false, 8, 3, 0, 7],
    [3, true, 16, 4, 0, 97],
    [2, true, 32, 5, 0, 784],
    [1, false, 64, 5, 1, 1000],
    [2, true, 64, 7, 0, 4097],
    [1, false, 64, 11, 0, 65536],
  ];
  // A concatenation of 2^25 samples per row (the norm sums all of them, in double on both
  // backends), truncated to L; small: 2^15.
  const longest = cudaCases<[number, boolean, number, number, number, number]>([[1, false, 2, 25, 0, 4096]], [[1, false, 2, 15, 0, 4096]]);
  for (const [C, threeD, d, S, initScale, L] of [...cudaCases(sizes, [...sizes.slice(0, 3), ...sizes.slice(5, 9)]), ...longest]) {
    test(`C=${C} d=${d} S=${S} initScale=${initScale} L=${L}`, () => {
      const H = 3;
      const cs = makeCase(C, H, d, S, initScale, L, threeD, [2, 2, 2], 3);
      const dy = randomArray(C * H * L, 4);
      const run = (device: lc.Device, withNorm: boolean) =>
        lc.tidy(() => {
          const subs = cs.subs.map((w) => t(w, subShape(cs), { device, requiresGrad: true }));
          const norm = withNorm ? lc.full(threeD ? [C, H] : [H], 1.5, { device }) : undefined;
          const out = lc.kernels.sgconv(subs, L, { initScale, multiplier: lc.tensor([2, 0.5, 1.25], [3], { device }), norm });
          out.kernel.backward(t(dy, [...out.kernel.shape], { device }));
          const result = [out.kernel, out.norm, ...subs.map((w) => w.grad!)].map((x) => x.toFloat32Array());
          lc.dispose(subs.map((w) => w.grad));
          return result;
        });
      for (const withNorm of [false, true]) forEachDevice((device) => run(device, withNorm), 1e-5);
    });
  }
});

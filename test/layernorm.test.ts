// layerNorm against a float64 reference over every axis, with and without weight and bias;
// gradients against the float64 analytic ones and finite differences; bad input.
import * as lc from '../lib';
import { cudaSuite, expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, t, timeRun } from './helpers';
import { checkGradients, disposedTensor, layerNormReference } from './nn_reference';

const TOL = 1e-5;

const cases: [number[], number][] = [
  [[9], 0], [[4, 7], -1], [[4, 7], 0], [[3, 5, 8], 1], [[3, 5, 8], 2], [[3, 5, 8], 0], [[2, 1, 3], 1],
  [[4, 64, 300], 1], // several tiles of 64 positions and a partial one; split across threads
  [[300, 128], -1],
];

describe('layerNorm forward and backward match float64', () => {
  for (const [shape, axis] of cases) {
    for (const affine of [false, true]) {
      test(`shape [${shape}] axis ${axis} ${affine ? 'weight, bias' : 'no weight, bias'}`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const ax = axis < 0 ? axis + shape.length : axis;
        const size = shape[ax];
        // An offset makes the mean large next to the spread: the two-pass variance must hold.
        const x = randomArray(n, n + size).map((v) => Math.fround(3 + 2 * v));
        const w = affine ? randomArray(size, 5) : null;
        const b = affine ? randomArray(size, 6) : null;
        const dy = randomArray(n, n + 1000); // a seed unlike x's: dy ∝ x would make dx vanish
        const ref = layerNormReference(x, shape, ax, w, b, 1e-5, dy);
        lc.tidy(() => {
          const xt = t(x, shape, { requiresGrad: true });
          const wt = w && t(w, [size], { requiresGrad: true });
          const bt = b && t(b, [size], { requiresGrad: true });
          const y = lc.layerNorm(xt, wt, bt, { axis });
          expect(y.shape).toEqual(shape);
          expectClose(y.toFloat32Array(), ref.y, TOL);
          y.backward(t(dy, shape));
          expectClose(xt.grad!.toFloat32Array(), ref.dx, 2e-5);
          if (wt) expectClose(wt.grad!.toFloat32Array(), ref.dw, TOL);
          if (bt) expectClose(bt.grad!.toFloat32Array(), ref.db, TOL);
          lc.dispose([xt.grad, wt?.grad, bt?.grad]);
        });
      });
    }
  }

  test('eps is added to the variance', () => {
    const x = randomArray(12, 3);
    const ref = layerNormReference(x, [3, 4], 1, null, null, 0.5, new Float64Array(12));
    lc.tidy(() => expectClose(lc.layerNorm(t(x, [3, 4]), null, null, { eps: 0.5 }).toFloat32Array(), ref.y, TOL));
  });

  test('a constant row gives 0 (no NaN)', () => {
    lc.tidy(() => expect(Array.from(lc.layerNorm(lc.full([2, 3], 4)).toFloat32Array())).toEqual([0, 0, 0, 0, 0, 0]));
  });

  test('the result does not depend on the thread count', () => {
    const x = randomArray(4 * 64 * 300, 11);
    const dy = randomArray(x.length, 12);
    const run = () =>
      lc.tidy(() => {
        const xt = t(x, [4, 64, 300], { requiresGrad: true });
        const wt = lc.ones([64], { requiresGrad: true });
        const y = lc.layerNorm(xt, wt, null, { axis: 1 });
        y.backward(t(dy, [4, 64, 300]));
        const out = [y, xt.grad!, wt.grad!].map((g) => Array.from(g.toFloat32Array()));
        lc.dispose([xt.grad, wt.grad]);
        return out;
      });
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      return run();
    });
  });
});

test('layerNorm finite differences in x, weight and bias', () => {
  const shape = [2, 5, 3];
  const params = [randomArray(30, 1).map((v) => 2 * v), randomArray(5, 2), randomArray(5, 3)];
  checkGradients(([x, w, b]) => lc.layerNorm(x, w, b, { axis: 1 }), params, [shape, [5], [5]], [0, 1, 2], { h: 1e-3 });
});

describe('layerNorm bad input', () => {
  const x = lc.zeros([2, 4, 3]);
  afterAll(() => x.dispose());
  test('each argument', () => {
    const w3 = lc.zeros([3]);
    const w4 = lc.zeros([4]);
    expectBadInput(() => lc.layerNorm(x, w4), RangeError, /^weight: expected shape \[3\] \(the size of axis 2 of x \[2,4,3\]\), got \[4\]/);
    expectBadInput(() => lc.layerNorm(x, null, w3, { axis: 1 }), RangeError, /^bias: expected shape \[4\] \(the size of axis 1 of x \[2,4,3\]\), got \[3\]/);
    expectBadInput(() => lc.layerNorm(x, null, null, { axis: 3 }), RangeError, /^axis: expected an axis in \[-3, 2\]/);
    expectBadInput(() => lc.layerNorm(x, null, null, { eps: -1 }), RangeError, /^eps: expected a number >= 0, got -1/);
    expectBadInput(() => lc.layerNorm(x, null, null, { eps: 'a' as never }), TypeError, /^eps: expected a finite number/);
    expectBadInput(() => lc.layerNorm(x, null, null, { axes: 1 } as never), TypeError, /^layerNorm options: unknown option 'axes'/);
    expectBadInput(() => lc.layerNorm(x, fakeTensor([3])), TypeError, /^weight: expected device 'cpu' \(the device of x\), got 'cuda'/);
    expectBadInput(() => lc.layerNorm(disposedTensor([2, 3])), TypeError, /^x: the tensor was disposed/);
    expectBadInput(() => lc.layerNorm({} as never), TypeError, /^x: expected a Tensor, got an object/);
    lc.dispose([w3, w4]);
  });
});

test('layerNorm memory stays flat over repeated forward and backward', () => {
  const x = lc.randn([2, 8, 17], { seed: 1, requiresGrad: true });
  const w = lc.ones([8], { requiresGrad: true });
  const b = lc.zeros([8], { requiresGrad: true });
  const step = () =>
    lc.tidy(() => {
      lc.layerNorm(x, w, b, { axis: 1 }).backward(lc.ones([2, 8, 17]));
      for (const p of [x, w, b]) {
        p.grad!.dispose();
        p.grad = null;
      }
    });
  expectMemoryFlat(step, 'cpu', 5);
  lc.dispose([x, w, b]);
});

cudaSuite('layerNorm')('layerNorm on CUDA equals the CPU backend (both sum in double)', () => {
  // One input and output gradient per shape, on either device.
  const setup = (shape: number[], axis: number) => {
    const ax = axis < 0 ? axis + shape.length : axis;
    const n = shape.reduce((a, b) => a * b, 1);
    return {
      size: shape[ax],
      // Around 10 with a spread of ~1: float sums over 2^20 of these were off by 2e-4.
      x: randomArray(n, 11).map((v) => Math.fround(10 + 1.7 * v)),
      dy: randomArray(n, 12),
      w: randomArray(shape[ax], 13),
      b: randomArray(shape[ax], 14),
    };
  };
  const run = (device: lc.Device, shape: number[], axis: number, d: ReturnType<typeof setup>) =>
    lc.tidy(() => {
      const xt = t(d.x, shape, { device, requiresGrad: true });
      const wt = t(d.w, [d.size], { device, requiresGrad: true });
      const bt = t(d.b, [d.size], { device, requiresGrad: true });
      const y = lc.layerNorm(xt, wt, bt, { axis });
      y.backward(t(d.dy, shape, { device }));
      const out = [y, xt.grad!, wt.grad!, bt.grad!].map((g) => g.toFloat32Array());
      lc.dispose([xt.grad, wt.grad, bt.grad]);
      return out;
    });

  for (const [shape, axis, what] of [
    [[2, 1 << 20], -1, 'rows of 2^20 (inner == 1: a warp per row)'],
    [[3, 1 << 20, 2], 1, 'rows of 2^20, strided (inner == 2: a thread per row)'],
    [[1 << 20, 5], -1, 'weight and bias gradients summed over 2^20 rows'],
    [[7, 3, 1], 1, 'n = 3, inner == 1'],
  ] as [number[], number, string][]) {
    test(`[${shape}] axis ${axis}, ${what}: forward and backward`, () => {
      const d = setup(shape, axis);
      const [gpu, cpu] = [run('cuda', shape, axis, d), run('cpu', shape, axis, d)];
      expectClose(gpu[0], cpu[0], TOL);
      expectClose(gpu[1], cpu[1], 2e-5);
      expectClose(gpu[2], cpu[2], TOL);
      expectClose(gpu[3], cpu[3], TOL);
    });
  }

  test('backward with inner == 1 (strided weight-gradient reads): equal, and timed', () => {
    const shape = [8192, 1024];
    const d = setup(shape, -1);
    const [gpu, cpu] = [run('cuda', shape, -1, d), run('cpu', shape, -1, d)];
    gpu.forEach((g, i) => expectClose(g, cpu[i], i === 1 ? 2e-5 : TOL));
    for (const device of ['cuda', 'cpu'] as lc.Device[]) {
      const xt = t(d.x, shape, { device, requiresGrad: true });
      const wt = t(d.w, [1024], { device, requiresGrad: true });
      const bt = t(d.b, [1024], { device, requiresGrad: true });
      const dy = t(d.dy, shape, { device });
      timeRun(`layerNorm [8192, 1024] axis -1 forward + backward on ${device}`, () =>
        lc.tidy(() => {
          lc.layerNorm(xt, wt, bt).backward(dy);
          lc.dispose([xt.grad, wt.grad, bt.grad]);
          xt.grad = wt.grad = bt.grad = null;
        }),
      );
      lc.dispose([xt, wt, bt, dy]);
    }
  });
});

// layerNorm against a float64 reference over every axis, with and without weight and bias;
// gradients against the float64 analytic ones and finite differences; bad input; CUDA against
// the CPU backend.
import * as lc from '../lib';
import { compareOp, cudaCases, cudaSuite, forEachDevice, gpu, opInput } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, t, timeRun } from './helpers';
import { split } from './reference';

const TOL = 1e-5;

function layerNormReference(x: Float64Array, shape: number[], axis: number, w: Float64Array | null, b: Float64Array | null, eps: number, dy: Float64Array) {
  const [outer, n, inner] = split(shape, axis);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      let mean = 0;
      for (let j = 0; j < n; j++) mean += x[at(j)] / n;
      let v = 0;
      for (let j = 0; j < n; j++) v += (x[at(j)] - mean) ** 2 / n;
      const rstd = 1 / Math.sqrt(v + eps);
      let mg = 0;
      let mgx = 0;
      for (let j = 0; j < n; j++) {
        const xhat = (x[at(j)] - mean) * rstd;
        y[at(j)] = xhat * (w ? w[j] : 1) + (b ? b[j] : 0);
        const g = dy[at(j)] * (w ? w[j] : 1);
        mg += g / n;
        mgx += (g * xhat) / n;
        dw[j] += dy[at(j)] * xhat;
        db[j] += dy[at(j)];
      }
      for (let j = 0; j < n; j++) {
        const xhat = (x[at(j)] - mean) * rstd;
        dx[at(j)] = rstd * (dy[at(j)] * (w ? w[j] : 1) - mg - xhat * mgx);
      }
    }
  return { y, dx, dw, db };
}

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
  checkGradients(([x, w, b]) => lc.layerNorm(x, w, b, { axis: 1 }), params, [shape, [5], [5]], { h: 1e-3 });
});

describe('layerNorm bad input', () => {
  const x = lc.zeros([2, 4, 3]);
  afterAll(() => x.dispose());
  test('each argument', () => {
    const w3 = lc.zeros([3]);
    const w4 = lc.zeros([4]);
    expectBadInput(() => lc.layerNorm(x, w4), RangeError, /^weight: expected shape \[3\] \(the size of axis 2 of x \[2,4,3\]\), got \[4\]/);
    expectBadInput(() => lc.layerNorm(x, null, w3, { axis: 1 }), RangeError, /^bias: expected shape \[4\] \(the size of axis 1 of x \[2,4,3\]\), got \[3\]/);
    expectBadInput(() => lc.layerNorm(x, null, null, { axis: 3 }), RangeError, /^options\.axis: expected an axis in \[-3, 2\] for rank 3, got 3/);
    expectBadInput(() => lc.layerNorm(x, null, null, { eps: -1 }), RangeError, /^options\.eps: expected a finite number >= 0, got -1/);
    expectBadInput(() => lc.layerNorm(x, null, null, { eps: 'a' as never }), TypeError, /^options\.eps: expected a finite number >= 0, got string a/);
    expectBadInput(() => lc.layerNorm(x, null, null, { axes: 1 } as never), TypeError, /^options: expected only the options axis, eps, got unknown option 'axes'/);
    expectBadInput(() => lc.layerNorm(x, fakeTensor([3])), TypeError, /^weight: expected device 'cpu' \(the device of x\), got 'cuda'/);
    expectBadInput(() => lc.layerNorm(disposedTensor([2, 3])), TypeError, /^x: expected a live Tensor, got a disposed one/);
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

cudaSuite('layerNorm')('layerNorm: CUDA equals the CPU backend', () => {
  for (const [shape, axis] of [[[9], 0], [[4, 128, 257], 1], [[1000, 64], -1], [[3, 5, 7], 0], [[2, 4096], -1]] as [number[], number][]) {
    test(`layerNorm [${shape}] axis ${axis}`, () => {
      const n = shape[axis < 0 ? axis + shape.length : axis];
      compareOp([opInput(shape, 3, true, 2), opInput([n], 4), opInput([n], 5)], ([x, w, b]) => lc.layerNorm(x, w, b, { axis }), 2e-5);
      compareOp([opInput(shape, 3, true, 2)], ([x]) => lc.layerNorm(x, null, null, { axis }), 2e-5);
    });
  }

  // One input and output gradient per shape, on either device.
  const setup = (shape: number[], axis: number) => {
    const ax = axis < 0 ? axis + shape.length : axis;
    const n = shape.reduce((a, b) => a * b, 1);
    return {
      shape, axis, size: shape[ax],
      // Around 10 with a spread of ~1: float sums over 2^20 of these were off by 2e-4.
      x: randomArray(n, 11).map((v) => Math.fround(10 + 1.7 * v)),
      dy: randomArray(n, 12),
      w: randomArray(shape[ax], 13),
      b: randomArray(shape[ax], 14),
    };
  };
  const run = (device: lc.Device, d: ReturnType<typeof setup>) =>
    lc.tidy(() => {
      const xt = t(d.x, d.shape, { device, requiresGrad: true });
      const wt = t(d.w, [d.size], { device, requiresGrad: true });
      const bt = t(d.b, [d.size], { device, requiresGrad: true });
      const y = lc.layerNorm(xt, wt, bt, { axis: d.axis });
      y.backward(t(d.dy, d.shape, { device }));
      const out = [y, xt.grad!, wt.grad!, bt.grad!].map((g) => g.toFloat32Array());
      lc.dispose([xt.grad, wt.grad, bt.grad]);
      return out;
    });
  const long = cudaCases([1 << 20], [1 << 12])[0];
  for (const [shape, axis, what] of [
    [[2, long], -1, 'long rows (inner == 1: a warp per row)'],
    [[3, long, 2], 1, 'long rows, strided (inner == 2: a thread per row)'],
    [[long, 5], -1, 'weight and bias gradients summed over many rows'],
    [[7, 3, 1], 1, 'n = 3, inner == 1'],
  ] as [number[], number, string][]) {
    test(`[${shape}] axis ${axis}, ${what}: sums in double on both backends`, () => {
      // dx to 2e-5, as against float64 above; y and the parameter gradients to TOL.
      const d = setup(shape, axis);
      const { gpu: g, cpu: c } = forEachDevice((device) => run(device, d), 2e-5);
      [0, 2, 3].forEach((i) => expectClose(g[i], c[i], TOL));
    });
  }

  test('backward with inner == 1 (strided weight-gradient reads): equal, and timed', () => {
    const d = setup(cudaCases([[8192, 1024]], [[64, 128]])[0], -1);
    const { gpu: g, cpu: c } = forEachDevice((device) => run(device, d), 2e-5);
    [0, 2, 3].forEach((i) => expectClose(g[i], c[i], TOL));
    for (const device of [gpu, 'cpu'] as lc.Device[]) {
      const xt = t(d.x, d.shape, { device, requiresGrad: true });
      const wt = t(d.w, [d.size], { device, requiresGrad: true });
      const bt = t(d.b, [d.size], { device, requiresGrad: true });
      const dy = t(d.dy, d.shape, { device });
      timeRun(`layerNorm [${d.shape}] axis -1 forward + backward on ${device}`, () =>
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

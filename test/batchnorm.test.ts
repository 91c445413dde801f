// batchNorm against a float64 reference (training and evaluation, every axis, with and without
// weight and bias), running statistics as torch's, finite differences, bad input.
import * as lc from '../lib';
import { checkGradients, expectBadInput, expectClose, randomArray, t } from './helpers';
import { compareOp, cudaSuite, opInput } from './devices';

// Per channel c along `axis` of shape: statistics over every other index.
function batchNormReference(x: Float64Array, shape: number[], axis: number, w: Float64Array | null, b: Float64Array | null, eps: number, dy: Float64Array) {
  const outer = shape.slice(0, axis).reduce((a, c) => a * c, 1);
  const C = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, c) => a * c, 1);
  const N = outer * inner;
  const at = (o: number, c: number, i: number) => (o * C + c) * inner + i;
  const y = new Float64Array(x.length), dx = new Float64Array(x.length);
  const dw = new Float64Array(C), db = new Float64Array(C), mean = new Float64Array(C), variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) m += x[at(o, c, i)] / N;
    let v = 0;
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) v += (x[at(o, c, i)] - m) ** 2 / N;
    mean[c] = m;
    variance[c] = v;
    const rstd = 1 / Math.sqrt(v + eps);
    const wc = w ? w[c] : 1;
    let mg = 0, mgx = 0;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const k = at(o, c, i);
        const xhat = (x[k] - m) * rstd;
        y[k] = xhat * wc + (b ? b[c] : 0);
        mg += (dy[k] * wc) / N;
        mgx += (dy[k] * wc * xhat) / N;
        dw[c] += dy[k] * xhat;
        db[c] += dy[k];
      }
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const k = at(o, c, i);
        dx[k] = rstd * (dy[k] * wc - mg - (x[k] - m) * rstd * mgx);
      }
  }
  return { y, dx, dw, db, mean, variance, N };
}

const cases: [number[], number][] = [[[4, 3, 5], 1], [[2, 7, 1], 1], [[6, 4], 1], [[5, 4], 0], [[3, 2, 13], 2], [[8, 16, 31], 1], [[2, 3, 4, 5], 1]];

describe('batchNorm training matches float64', () => {
  for (const [shape, axis] of cases) {
    for (const affine of [false, true]) {
      test(`shape [${shape}] axis ${axis}${affine ? ' weight, bias' : ''}`, () => {
        const n = shape.reduce((a, c) => a * c, 1);
        const C = shape[axis];
        const x = randomArray(n, n + C).map((v) => 2 + 3 * v);
        const w = affine ? randomArray(C, 5) : null;
        const b = affine ? randomArray(C, 6) : null;
        const dy = randomArray(n, n + 77);
        const ref = batchNormReference(x, shape, axis, w, b, 1e-5, dy);
        lc.tidy(() => {
          const rm = lc.tensor(new Float32Array(C).fill(0.5), [C]);
          const rv = lc.tensor(new Float32Array(C).fill(2), [C]);
          const xt = t(x, shape, { requiresGrad: true });
          const wt = w && t(w, [C], { requiresGrad: true });
          const bt = b && t(b, [C], { requiresGrad: true });
          const y = lc.batchNorm(xt, rm, rv, wt, bt, { axis });
          expect(y.shape).toEqual(shape);
          expectClose(y.toFloat32Array(), ref.y, 2e-5);
          y.backward(t(dy, shape));
          expectClose(xt.grad!.toFloat32Array(), ref.dx, 5e-5);
          if (wt) expectClose(wt.grad!.toFloat32Array(), ref.dw, 2e-5);
          if (bt) expectClose(bt.grad!.toFloat32Array(), ref.db, 2e-5);
          // running = 0.9·running + 0.1·batch, with the unbiased variance.
          expectClose(rm.toFloat32Array(), Array.from(ref.mean, (m) => 0.9 * 0.5 + 0.1 * m), 1e-5);
          expectClose(rv.toFloat32Array(), Array.from(ref.variance, (v) => 0.9 * 2 + (0.1 * v * ref.N) / (ref.N - 1)), 1e-5);
          lc.dispose([xt.grad, wt?.grad, bt?.grad]);
        });
      });
    }
  }
});

test('evaluation normalises with the running statistics (float64), differentiable in x, weight, bias', () => {
  const shape = [3, 4, 7];
  const x = randomArray(84, 1), w = randomArray(4, 2), b = randomArray(4, 3), rm = randomArray(4, 4), rv = randomArray(4, 5).map((v) => 0.5 + Math.abs(v));
  const dy = randomArray(84, 6);
  const expected = Array.from(x, (v, k) => {
    const c = Math.floor(k / 7) % 4;
    return ((v - rm[c]) / Math.sqrt(rv[c] + 1e-3)) * w[c] + b[c];
  });
  lc.tidy(() => {
    const xt = t(x, shape, { requiresGrad: true });
    const wt = t(w, [4], { requiresGrad: true });
    const y = lc.batchNorm(xt, t(rm, [4]), t(rv, [4]), wt, t(b, [4]), { training: false, eps: 1e-3 });
    expectClose(y.toFloat32Array(), expected, 1e-5);
    y.backward(t(dy, shape));
    expectClose(xt.grad!.toFloat32Array(), Array.from(dy, (g, k) => (g * w[Math.floor(k / 7) % 4]) / Math.sqrt(rv[Math.floor(k / 7) % 4] + 1e-3)), 1e-5);
    lc.dispose([xt.grad, wt.grad]);
  });
  checkGradients(([xx, ww, bb]) => lc.batchNorm(xx, t(rm, [4]), t(rv, [4]), ww, bb, { training: false }), [x, w, b], [shape, [4], [4]], { h: 1e-3 });
});

test('batchNorm training: finite differences in x, weight and bias', () => {
  const shape = [3, 5, 4];
  checkGradients(([x, w, b]) => lc.batchNorm(x, null, null, w, b), [randomArray(60, 1).map((v) => 2 * v), randomArray(5, 2), randomArray(5, 3)], [shape, [5], [5]], { h: 1e-3 });
});

test('momentum 0 keeps the running statistics; 1 replaces them', () => {
  lc.tidy(() => {
    const x = lc.tensor([1, 2, 3, 5], [2, 2]); // channels [1, 3] and [2, 5]
    const rm = lc.zeros([2]), rv = lc.ones([2]);
    lc.batchNorm(x, rm, rv, null, null, { momentum: 0 });
    expect(Array.from(rm.toFloat32Array())).toEqual([0, 0]);
    lc.batchNorm(x, rm, rv, null, null, { momentum: 1 });
    expect(Array.from(rm.toFloat32Array())).toEqual([2, 3.5]);
    expect(Array.from(rv.toFloat32Array())).toEqual([2, 4.5]);
  });
});

describe('batchNorm bad input', () => {
  const x = () => lc.zeros([2, 3, 4]);
  test.each([
    ['non-tensor x', () => lc.batchNorm([1] as never, null, null), TypeError, /x: expected a Tensor/],
    ['stats of the wrong size', () => lc.batchNorm(x(), lc.zeros([4]), lc.ones([4])), RangeError, /runningMean: expected shape \[3\] \(the channels of x \[2,3,4\] along axis 1\), got \[4\]/],
    ['one statistic only', () => lc.batchNorm(x(), lc.zeros([3]), null), TypeError, /runningMean, runningVar: expected both or neither, got runningMean only/],
    ['evaluation without statistics', () => lc.batchNorm(x(), null, null, null, null, { training: false }), RangeError, /runningMean, runningVar: expected the running statistics for evaluation \(options\.training false\), got none/],
    ['one value per channel', () => lc.batchNorm(lc.zeros([1, 3]), null, null), RangeError, /x: expected more than one value per channel for training, got shape \[1,3\]/],
    ['weight of the wrong size', () => lc.batchNorm(x(), null, null, lc.ones([2])), RangeError, /weight: expected shape \[3\]/],
    ['bad momentum', () => lc.batchNorm(x(), null, null, null, null, { momentum: 2 }), RangeError, /options\.momentum: expected a finite number in \[0, 1\], got 2/],
    ['axis out of range', () => lc.batchNorm(x(), null, null, null, null, { axis: 3 }), RangeError, /axis/],
    ['unknown option', () => lc.batchNorm(x(), null, null, null, null, { moment: 0.1 } as never), TypeError, /moment/],
  ])('%s', (_name, fn, type, message) => expectBadInput(fn as () => lc.Tensor, type as ErrorConstructor, message as RegExp));
});

cudaSuite('batchNorm')('batchNorm: CUDA equals the CPU backend', () => {
  test('training with running statistics, then evaluation with them', () => {
    compareOp([opInput([2, 6, 33], 9, true, 2), opInput([6], 11), opInput([6], 12)], ([x, w, b]) => {
      const rm = lc.zeros([6], { device: x.device }), rv = lc.ones([6], { device: x.device });
      const y = lc.batchNorm(x, rm, rv, w, b);
      // The updated running statistics enter the output: evaluation with them, added on.
      return lc.add(y, lc.batchNorm(x, rm, rv, null, null, { training: false }));
    }, 2e-5);
  });
});

// softmax and logSoftmax against float64 references along every axis (odd, even and prime
// sizes); gradients against float64 derivatives and finite differences; extreme inputs; bad
// input; flat memory; CUDA against the CPU backend.
import * as lc from '../lib';
import { compareOp, cudaCases, cudaSuite, opInput } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, randomArray, t } from './helpers';
import { split } from './reference';

const TOL = 1e-6; // float32 rounding of a normalised exponential

/** softmax or logSoftmax of x along axis in float64, and the gradient of sum(dy · y). */
function reference(x: Float64Array, shape: number[], axis: number, dy: Float64Array, log: boolean) {
  const [outer, n, inner] = split(shape, axis);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, x[at(j)]);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(x[at(j)] - max);
      const p = Array.from({ length: n }, (_, j) => Math.exp(x[at(j)] - max) / sum);
      for (let j = 0; j < n; j++) y[at(j)] = log ? x[at(j)] - max - Math.log(sum) : p[j];
      // d/dx_k of sum_j dy_j y_j: softmax y_j = p_j: sum_j dy_j p_j (δ_jk − p_k); log: dy_k − p_k sum_j dy_j.
      let dot = 0;
      for (let j = 0; j < n; j++) dot += dy[at(j)] * (log ? 1 : p[j]);
      for (let k = 0; k < n; k++) dx[at(k)] = log ? dy[at(k)] - p[k] * dot : p[k] * (dy[at(k)] - dot);
    }
  return { y, dx };
}

const ops = [
  { name: 'softmax', op: lc.softmax, log: false },
  { name: 'logSoftmax', op: lc.logSoftmax, log: true },
];

describe.each(ops)('$name', ({ op, log }) => {
  const cases: [number[], number][] = [[[1], 0], [[7], -1], [[4, 33], 1], [[4, 33], 0], [[3, 5, 2], 1], [[2, 8, 31], -1], [[6, 1000], 1], [[2, 3, 5, 7], 2]];
  for (const [shape, axis] of cases) {
    test(`shape [${shape}] axis ${axis}: values and gradient`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(n, n + axis + 9).map((v) => Math.fround(v * 8));
      const dy = randomArray(n, n + 1);
      const ax = axis < 0 ? axis + shape.length : axis;
      const ref = reference(x, shape, ax, dy, log);
      lc.tidy(() => {
        const xt = t(x, shape, { requiresGrad: true });
        const y = op(xt, axis);
        expect(y.shape).toEqual(shape);
        expectClose(y.toFloat32Array(), ref.y, TOL);
        y.backward(t(dy, shape));
        expectClose(xt.grad!.toFloat32Array(), ref.dx, 4 * TOL);
        xt.grad!.dispose();
      });
    });
  }

  test('the default axis is the last', () => {
    const x = randomArray(15, 2);
    lc.tidy(() => expect(op(t(x, [3, 5])).toFloat32Array()).toEqual(op(t(x, [3, 5]), 1).toFloat32Array()));
  });

  test('finite differences', () => {
    checkGradients(([x]) => op(x, 1), [randomArray(60, 4).map((v) => 3 * v)], [[3, 5, 4]], { h: 1e-3 });
    checkGradients(([x]) => op(x, 0), [randomArray(14, 5).map((v) => 3 * v)], [[7, 2]], { h: 1e-3 });
  });

  test('no overflow for large logits; -Infinity entries; NaN propagates', () => {
    const x = Float64Array.from([1e4, 0, -1e4, 3e4, 3e4 + 1, 3e4 - 2]);
    const ref = reference(x, [2, 3], 1, new Float64Array(6), log);
    lc.tidy(() => {
      expectClose(op(t(x, [2, 3])).toFloat32Array(), ref.y, TOL);
      const masked = op(lc.tensor([0, -Infinity, 0], [3])).toFloat32Array();
      expect(Array.from(masked)).toEqual(log ? [Math.fround(-Math.LN2), -Infinity, Math.fround(-Math.LN2)] : [0.5, 0, 0.5]);
      expect(Array.from(op(lc.tensor([1, NaN, 2, 3, 4, 5], [2, 3])).toFloat32Array()).map(Number.isNaN)).toEqual([true, true, true, false, false, false]);
    });
  });

  test('an empty axis gives an empty result', () => {
    lc.tidy(() => expect(op(lc.zeros([2, 0]), 1).shape).toEqual([2, 0]));
  });

  test('the result does not depend on the thread count', () => {
    const x = randomArray(64 * 999, 3);
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => Array.from(op(t(x, [64, 999])).toFloat32Array()));
    });
  });

  test('bad input', () => {
    const x = lc.zeros([2, 3]);
    expectBadInput(() => op(x, 2), RangeError, /^axis: expected an axis in \[-2, 1\] for rank 2, got 2/);
    expectBadInput(() => op(x, 0.5), TypeError, /^axis: expected an integer axis, got number 0.5/);
    expectBadInput(() => op(x, '1' as never), TypeError, /^axis: expected an integer axis, got string 1/);
    const scalar = lc.full([], 1);
    expectBadInput(() => op(scalar), RangeError, /^x: expected rank >= 1 \(\[\.\.\.\]\), got shape \[\]/);
    expectBadInput(() => op([1, 2] as never), TypeError, /^x: expected a Tensor, got an array/);
    expectBadInput(() => op(disposedTensor([2])), TypeError, /^x: expected a live Tensor, got a disposed one/);
    lc.dispose([x, scalar]);
  });

  test('memory stays flat over repeated forward and backward', () => {
    const x = lc.randn([4, 16, 33], { seed: 3, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        op(op(x, 1), -1).backward(lc.ones([4, 16, 33]));
        x.grad!.dispose();
        x.grad = null;
      });
    expectMemoryFlat(step, 'cpu', 5);
    x.dispose();
  });
});

cudaSuite('softmax')('softmax and logSoftmax: CUDA equals the CPU backend', () => {
  const cases = cudaCases<[number[], number]>([[[7], 0], [[3, 1000, 33], 1], [[3, 1000, 33], -1], [[64, 50257], 1], [[5, 2, 64], 0]], [[[7], 0], [[3, 10, 5], 1], [[4, 33], -1]]);
  for (const [shape, axis] of cases) {
    test(`[${shape}] axis ${axis}`, () => {
      for (const op of [lc.softmax, lc.logSoftmax]) compareOp([opInput(shape, 1, true, 8)], ([x]) => op(x, axis), 1e-5);
    });
  }
});

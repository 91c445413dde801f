// max, min, argmax and argmin against float64 references along every axis and over the whole
// tensor (odd, even and prime sizes); ties, NaN; the values' gradient against the reference
// and finite differences; bad input; flat memory; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice, opInput, runOp } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectMemoryFlat, expectSameAcrossThreads, randomArray, t } from './helpers';
import { split } from './reference';

/** The first extreme element of each slice (NaN counts as extreme), and its position. */
function reference(x: Float64Array, shape: number[], axis: number | undefined, isMax: boolean) {
  const [outer, n, inner] = axis === undefined ? [1, x.length, 1] : split(shape, axis);
  const values: number[] = [];
  const indices: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let k = 0;
      for (let j = 1; j < n; j++) {
        const v = x[(o * n + j) * inner + i];
        const best = x[(o * n + k) * inner + i];
        if (Number.isNaN(best)) break;
        if (Number.isNaN(v) || (isMax ? v > best : v < best)) k = j;
      }
      values.push(x[(o * n + k) * inner + i]);
      indices.push(k);
    }
  return { values, indices, n, inner };
}

const ops = [
  { name: 'max', op: lc.max, arg: lc.argmax, isMax: true },
  { name: 'min', op: lc.min, arg: lc.argmin, isMax: false },
];

describe.each(ops)('$name and arg$name', ({ op, arg, isMax }) => {
  const cases: [number[], number | undefined][] = [[[1], 0], [[7], -1], [[4, 33], 1], [[4, 33], 0], [[3, 5, 2], 1], [[2, 8, 31], undefined], [[6, 1000], 1], [[2, 3, 5, 7], 2], [[2, 3, 5, 7], 0]];
  for (const [shape, axis] of cases) {
    test(`shape [${shape}] axis ${axis}: values, indices, gradient`, () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(size, size + 3);
      const ax = axis === undefined ? undefined : axis < 0 ? axis + shape.length : axis;
      const ref = reference(x, shape, ax, isMax);
      const outShape = ax === undefined ? [] : shape.filter((_, i) => i !== ax);
      const dy = randomArray(ref.values.length, 5);
      lc.tidy(() => {
        const xt = t(x, shape, { requiresGrad: true });
        const { values, indices } = op(xt, axis);
        expect(values.shape).toEqual(outShape);
        expect(indices.shape).toEqual(outShape);
        expect(indices.requiresGrad).toBe(false);
        expect(Array.from(values.toFloat32Array())).toEqual(ref.values);
        expect(Array.from(indices.toFloat32Array())).toEqual(ref.indices);
        expect(Array.from(arg(xt, axis).toFloat32Array())).toEqual(ref.indices);
        values.backward(t(dy, outShape));
        // The gradient lands on the position of each extreme element.
        const dx = new Float64Array(size);
        ref.indices.forEach((k, s) => (dx[Math.floor(s / ref.inner) * ref.n * ref.inner + k * ref.inner + (s % ref.inner)] = dy[s]));
        expect(Array.from(xt.grad!.toFloat32Array())).toEqual(Array.from(dx, Math.fround));
        xt.grad!.dispose();
      });
    });
  }

  test('keepDims keeps the reduced axis (or every axis) with size 1', () => {
    lc.tidy(() => {
      const x = lc.randn([3, 4, 5], { seed: 1 });
      expect(op(x, 1, true).values.shape).toEqual([3, 1, 5]);
      expect(arg(x, -1, true).shape).toEqual([3, 4, 1]);
      expect(op(x, undefined, true).indices.shape).toEqual([1, 1, 1]);
      expect(op(lc.full([], 2)).values.item()).toBe(2);
    });
  });

  test('ties give the first position; NaN is extreme', () => {
    lc.tidy(() => {
      const tie = lc.tensor([1, 3, 3, 0, 0, 1], [6]);
      expect(arg(tie).item()).toBe(isMax ? 1 : 3);
      const nan = lc.tensor([1, NaN, 5, NaN, -5], [5]);
      const r = op(nan);
      expect(r.values.item()).toBeNaN();
      expect(r.indices.item()).toBe(1);
      const inf = lc.tensor([-Infinity, Infinity, 0], [3]);
      expect(op(inf).values.item()).toBe(isMax ? Infinity : -Infinity);
    });
  });

  test('finite differences', () => {
    checkGradients(([x]) => op(x, 1).values, [randomArray(60, 4)], [[3, 5, 4]], { h: 1e-3 });
    checkGradients(([x]) => op(x).values, [randomArray(14, 5)], [[7, 2]], { h: 1e-3 });
  });

  test('disposing the indices does not break backward', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 5, 2], [3], { requiresGrad: true });
      const values = lc.tidy(() => op(x, 0).values); // the tidy disposes the indices
      values.backward();
      expect(Array.from(x.grad!.toFloat32Array())).toEqual(isMax ? [0, 1, 0] : [1, 0, 0]);
      x.grad!.dispose();
    });
  });

  test('the result does not depend on the thread count', () => {
    const x = randomArray(64 * 999, 3);
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => Array.from(arg(t(x, [64, 999]), 1).toFloat32Array()));
    });
  });

  test('bad input', () => {
    const x = lc.zeros([2, 3]);
    expectBadInput(() => op(x, 2), RangeError, /^axis: expected an axis in \[-2, 1\] for rank 2, got 2/);
    expectBadInput(() => arg(x, 0.5), TypeError, /^axis: expected an integer axis, got number 0.5/);
    expectBadInput(() => op(x, null as never), TypeError, /^axis: expected an integer axis, got null/);
    expectBadInput(() => op(x, 0, 1 as never), TypeError, /^keepDims: expected a boolean, got number 1/);
    const empty = lc.zeros([2, 0]);
    expectBadInput(() => op(empty, 1), RangeError, /^x: expected a non-empty axis 1 \(\w+ of nothing is undefined\), got shape \[2,0\]/);
    expectBadInput(() => arg(empty), RangeError, /^x: expected a non-empty tensor .*, got shape \[2,0\]/);
    expectBadInput(() => op([1, 2] as never), TypeError, /^x: expected a Tensor, got an array/);
    expectBadInput(() => arg(disposedTensor([2])), TypeError, /^x: expected a live Tensor, got a disposed one/);
    lc.dispose([x, empty]);
  });

  test('more than 2^24 elements along the axis: RangeError (indices are float32)', () => {
    const big = lc.zeros([2 ** 24 + 1]);
    expectBadInput(() => arg(big), RangeError, /^x: expected at most 2\^24 elements in all \(indices are float32 integers\), got shape \[16777217\]/);
    big.dispose();
  });

  test('memory stays flat over repeated forward and backward', () => {
    const x = lc.randn([4, 16, 33], { seed: 3, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        op(x, 1).values.backward(lc.ones([4, 33]));
        arg(x, 2);
        x.grad!.dispose();
        x.grad = null;
      });
    expectMemoryFlat(step, 'cpu', 5);
    x.dispose();
  });
});

cudaSuite('max and min')('max, min, argmax, argmin: CUDA equals the CPU backend', () => {
  const cases = cudaCases<[number[], number | undefined]>(
    [[[7], 0], [[3, 1000, 33], 1], [[3, 1000, 33], -1], [[64, 50257], 1], [[5, 2, 64], 0], [[1000003], undefined]],
    [[[7], 0], [[3, 10, 5], 1], [[4, 33], undefined]],
  );
  for (const [shape, axis] of cases) {
    test(`[${shape}] axis ${axis}`, () => {
      for (const { op, arg } of ops) {
        // Exact (relative error below 1e-30): both backends pick the same element.
        forEachDevice((device) => runOp(device, [opInput(shape, 1)], ([x]) => op(x, axis).values), 1e-30);
        forEachDevice((device) => [lc.tidy(() => arg(t(opInput(shape, 1).data, shape, { device }), axis).toFloat32Array())], 1e-30);
      }
    });
  }
});

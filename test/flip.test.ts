// flip against a float64 reference along every axis of odd, even and prime sizes; its backward
// (the reverse gather) against finite differences; CUDA against the CPU; bad input.
import * as lc from '../lib';
import { checkGradients, expectBadInput, randomArray, t } from './helpers';
import { compareOp, cudaSuite, opInput } from './devices';

function flipReference(x: Float64Array, shape: number[], axis: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((a, c) => a * c, 1);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, c) => a * c, 1);
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) for (let j = 0; j < n; j++) for (let i = 0; i < inner; i++) out[(o * n + j) * inner + i] = x[(o * n + (n - 1 - j)) * inner + i];
  return out;
}

describe('flip matches float64 (forward; backward is flip of the gradient)', () => {
  const cases: [number[], number][] = [[[7], 0], [[4, 6], 1], [[4, 6], 0], [[3, 5, 13], 2], [[3, 5, 13], 1], [[2, 3, 4, 5], -1], [[2, 1, 3], 1], [[8, 16, 64], 2]];
  for (const [shape, axis] of cases) {
    test(`shape [${shape}] axis ${axis}`, () => {
      const n = shape.reduce((a, c) => a * c, 1);
      const ax = axis < 0 ? axis + shape.length : axis;
      const x = randomArray(n, n), dy = randomArray(n, n + 1);
      lc.tidy(() => {
        const xt = t(x, shape, { requiresGrad: true });
        const y = lc.flip(xt, axis);
        expect(y.shape).toEqual(shape);
        expect(Array.from(y.toFloat32Array())).toEqual(Array.from(flipReference(x, shape, ax), Math.fround)); // exact: a gather
        y.backward(t(dy, shape));
        expect(Array.from(xt.grad!.toFloat32Array())).toEqual(Array.from(flipReference(dy, shape, ax), Math.fround));
        xt.grad!.dispose();
      });
    });
  }
  test('flipping twice is the identity; a size-1 axis is a copy', () => {
    lc.tidy(() => {
      const x = lc.randn([3, 4, 5], { seed: 2 });
      expect(Array.from(lc.flip(lc.flip(x, 2), 2).toFloat32Array())).toEqual(Array.from(x.toFloat32Array()));
      const y = lc.flip(lc.randn([3, 1], { seed: 3 }), 1);
      expect(y.shape).toEqual([3, 1]);
    });
  });
});

test('flip finite differences', () => {
  checkGradients(([x]) => lc.mul(lc.flip(x, 1), x), [randomArray(2 * 7 * 3, 4)], [[2, 7, 3]], { h: 1e-3 });
});

test('flip bad input', () => {
  expectBadInput(() => lc.flip([1, 2] as never, 0), TypeError, /x: expected a Tensor/);
  expectBadInput(() => lc.flip(lc.zeros([2, 3]), 2), RangeError, /axis/);
});

cudaSuite('flip')('flip: CUDA equals the CPU backend', () => {
  test('forward and backward along each axis', () => {
    for (const axis of [0, 1, 2]) compareOp([opInput([2, 5, 9], 5)], ([x]) => lc.flip(x, axis), 1e-7);
  });
});

// gelu, sigmoid, tanh, relu, softplus and glu against float64 references; gradients against float64
// derivatives and finite differences; bad input; CUDA against the CPU backend.
import * as lc from '../lib';
import { compareOp, cudaSuite, opInput } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectClose, expectMemoryFlat, randomArray, t } from './helpers';
import { gelu, geluGrad, sigmoid, softplus, split } from './reference';

const TOL = 1e-6; // float32 rounding of one elementwise formula

function gluReference(x: Float64Array, shape: number[], axis: number, dy: Float64Array) {
  const [outer, n, inner] = split(shape, axis);
  const half = n / 2;
  const y = new Float64Array(outer * half * inner);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < half; j++)
      for (let i = 0; i < inner; i++) {
        const ia = (o * n + j) * inner + i;
        const ib = (o * n + j + half) * inner + i;
        const io = (o * half + j) * inner + i;
        const s = sigmoid(x[ib]);
        y[io] = x[ia] * s;
        dx[ia] = dy[io] * s;
        dx[ib] = dy[io] * x[ia] * s * (1 - s);
      }
  return { y, dx };
}

type Ref = { name: string; op: (x: lc.Tensor) => lc.Tensor; f: (x: number) => number; df: (x: number) => number };
const activations: Ref[] = [
  { name: 'gelu', op: lc.gelu, f: gelu, df: geluGrad },
  { name: 'sigmoid', op: lc.sigmoid, f: sigmoid, df: (x) => sigmoid(x) * (1 - sigmoid(x)) },
  { name: 'tanh', op: lc.tanh, f: Math.tanh, df: (x) => 1 - Math.tanh(x) ** 2 },
  { name: 'relu', op: lc.relu, f: (x) => Math.max(x, 0), df: (x) => (x > 0 ? 1 : 0) },
  { name: 'softplus', op: lc.softplus, f: softplus, df: sigmoid },
];

describe.each(activations)('$name', ({ op, f, df }) => {
  for (const shape of [[7], [4, 33], [3, 5, 2001]]) {
    test(`forward and backward, shape [${shape}]`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(n, n).map((v) => Math.fround(v * 6)); // [-6, 6)
      const dy = randomArray(n, n + 1);
      lc.tidy(() => {
        const xt = t(x, shape, { requiresGrad: true });
        const y = op(xt);
        expect(y.shape).toEqual(shape);
        expectClose(y.toFloat32Array(), x.map(f), TOL);
        y.backward(t(dy, shape));
        expectClose(xt.grad!.toFloat32Array(), x.map((v, i) => dy[i] * df(v)), 2 * TOL);
        xt.grad!.dispose();
      });
    });
  }

  test('finite differences', () => {
    const x = randomArray(40, 5).map((v) => v * 3);
    checkGradients(([xt]) => op(xt), [x], [[5, 8]], { h: 1e-3 });
  });

  test('extreme inputs stay finite', () => {
    lc.tidy(() => {
      const y = op(lc.tensor([-1e30, -100, 100, 1e30], [4])).toFloat32Array();
      expect(Array.from(y).every(Number.isFinite)).toBe(true);
    });
  });

  test('bad input', () => {
    expectBadInput(() => op([1, 2] as never), TypeError, /^x: expected a Tensor, got an array/);
    expectBadInput(() => op(disposedTensor([2])), TypeError, /^x: expected a live Tensor, got a disposed one/);
  });
});

test('softplus keeps its relative precision far from 0: log1p for tiny results, x itself for large x', () => {
  // log(1 + 1e-30) would round to 0 and log(1 + e^100) overflow without the stable form.
  const x = [-85, -69.1, -30, -9.21, -1e-3, 0, 1e-3, 9.21, 30, 100]; // e^−85 is still a normal float32
  lc.tidy(() => {
    const y = lc.softplus(lc.tensor(x, [x.length])).toFloat32Array();
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i] - softplus(Math.fround(x[i])))).toBeLessThanOrEqual(2e-7 * softplus(Math.fround(x[i])));
  });
});

describe('glu', () => {
  const cases: [number[], number][] = [[[6], 0], [[3, 4, 5], 1], [[3, 5, 4], -1], [[2, 3, 5], 0], [[2, 64, 301], 1]];
  for (const [shape, axis] of cases) {
    test(`shape [${shape}] axis ${axis}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const ax = axis < 0 ? axis + shape.length : axis;
      const outShape = shape.map((d, i) => (i === ax ? d / 2 : d));
      const x = randomArray(n, n + 2).map((v) => Math.fround(v * 4));
      const dy = randomArray(n / 2, n + 3);
      const ref = gluReference(x, shape, ax, dy);
      lc.tidy(() => {
        const xt = t(x, shape, { requiresGrad: true });
        const y = lc.glu(xt, axis);
        expect(y.shape).toEqual(outShape);
        expectClose(y.toFloat32Array(), ref.y, TOL);
        y.backward(t(dy, outShape));
        expectClose(xt.grad!.toFloat32Array(), ref.dx, TOL);
        xt.grad!.dispose();
      });
    });
  }

  test('default axis is the last; finite differences', () => {
    const x = randomArray(24, 9);
    lc.tidy(() => expect(lc.glu(t(x, [3, 8])).shape).toEqual([3, 4]));
    checkGradients(([xt]) => lc.glu(xt, 1), [x], [[2, 4, 3]], { h: 1e-3 });
  });

  test('bad input', () => {
    const x = lc.zeros([3, 5]);
    expectBadInput(() => lc.glu(x), RangeError, /^x: expected an even size >= 2 along axis -1 \(split in halves\), got shape \[3,5\]/);
    expectBadInput(() => lc.glu(x, 2), RangeError, /^axis: expected an axis in \[-2, 1\] for rank 2, got 2/);
    expectBadInput(() => lc.glu(x, 0.5), TypeError, /^axis: expected an integer/);
    const empty = lc.zeros([0, 2]);
    expectBadInput(() => lc.glu(empty, 0), RangeError, /^x: expected an even size >= 2/);
    empty.dispose();
    expectBadInput(() => lc.glu('x' as never), TypeError, /^x: expected a Tensor/);
    x.dispose();
  });
});

test('memory stays flat over repeated forward and backward', () => {
  const x = lc.randn([4, 16, 33], { seed: 3, requiresGrad: true });
  const step = () =>
    lc.tidy(() => {
      const y = lc.glu(lc.softplus(lc.relu(lc.tanh(lc.sigmoid(lc.gelu(x))))), 1);
      y.backward(lc.ones(y.shape));
      x.grad!.dispose();
      x.grad = null;
    });
  expectMemoryFlat(step, 'cpu', 5);
  x.dispose();
});

cudaSuite('activations')('activations and glu: CUDA equals the CPU backend', () => {
  for (const shape of [[7], [3, 1000, 33]]) {
    test(`activations [${shape}]`, () => {
      for (const op of [lc.gelu, lc.sigmoid, lc.tanh, lc.relu, lc.softplus]) compareOp([opInput(shape, 1, true, 5)], ([x]) => op(x));
    });
  }

  for (const [shape, axis] of [[[6], 0], [[3, 8, 5], 1], [[5, 2, 64], -1]] as [number[], number][]) {
    test(`glu [${shape}] axis ${axis}`, () => {
      compareOp([opInput(shape, 2, true, 3)], ([x]) => lc.glu(x, axis));
    });
  }
});

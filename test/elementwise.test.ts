// The general elementwise, complex, reduction and shape ops against float64 references
// written here by index arithmetic; gradients against float64 finite differences of those
// references and against float32 directional finite differences of the ops themselves; bad
// input; memory; CUDA against the CPU backend.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice } from './devices';
import { BadInputCase, centralDifference, checkGradients, dot, expectClose, fakeTensor, liveMemory, memoryAround, randomArray, relError, t, testBadInput } from './helpers';

interface Arr {
  data: Float64Array;
  shape: number[];
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

// ---- float64 references ----

/** NumPy broadcasting over element shapes (the trailing 2 removed when w = 2). */
function broadcastMap(inputs: Arr[], w: number, fn: (vals: number[][]) => number[]): Arr {
  const elems = inputs.map((x) => (w === 2 ? x.shape.slice(0, -1) : x.shape));
  const rank = Math.max(...elems.map((s) => s.length));
  const padded = elems.map((s) => [...Array<number>(rank - s.length).fill(1), ...s]);
  const shape = Array.from({ length: rank }, (_, d) => Math.max(...padded.map((s) => s[d])));
  const n = numel(shape);
  const out = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    const vals = inputs.map((x, k) => {
      const st = stridesOf(padded[k]);
      const off = idx.reduce((acc, v, d) => acc + (padded[k][d] === 1 ? 0 : v) * st[d], 0);
      return Array.from(x.data.subarray(off * w, off * w + w));
    });
    out.set(fn(vals), i * w);
  }
  return { data: out, shape: w === 2 ? [...shape, 2] : shape };
}

const real1 = (f: (...v: number[]) => number) => (inputs: Arr[]) => broadcastMap(inputs, 1, (v) => [f(...v.map((x) => x[0]))]);
const cplx = (f: (...v: number[][]) => number[]) => (inputs: Arr[]) => broadcastMap(inputs, 2, (v) => f(...v));
const cmulRef = ([a, b]: number[], [c, d]: number[]) => [a * c - b * d, a * d + b * c];
const cdivRef = ([a, b]: number[], [c, d]: number[]) => {
  const n = c * c + d * d;
  return [(a * c + b * d) / n, (b * c - a * d) / n];
};

function reduceRef(x: Arr, axes: number[] | undefined, keepDims: boolean, mean: boolean): Arr {
  const rank = x.shape.length;
  const red = axes === undefined ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((d, i) => (red.includes(i) ? 1 : d));
  const out = new Float64Array(numel(kept));
  const ks = stridesOf(kept);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    out[idx.reduce((acc, v, d) => acc + (red.includes(d) ? 0 : v) * ks[d], 0)] += x.data[i];
  }
  const count = numel(red.map((i) => x.shape[i]));
  if (mean) out.forEach((v, i) => (out[i] = v / count));
  return { data: out, shape: keepDims ? kept : x.shape.filter((_, i) => !red.includes(i)) };
}

/** out[idx] = x[map(idx)] for every idx of `shape` (map returns null for a zero). */
function gather(shape: number[], source: (idx: number[]) => number | null): Arr {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = source(unravel(i, shape)) ?? 0;
  return { data, shape };
}

const at = (x: Arr, idx: number[]) => x.data[idx.reduce((acc, v, d) => acc + v * stridesOf(x.shape)[d], 0)];

function concatRef(xs: Arr[], axis: number): Arr {
  const rank = xs[0].shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const shape = xs[0].shape.map((d, i) => (i === ax ? xs.reduce((s, x) => s + x.shape[ax], 0) : d));
  return gather(shape, (idx) => {
    let j = idx[ax];
    for (const x of xs) {
      if (j < x.shape[ax]) return at(x, idx.map((v, d) => (d === ax ? j : v)));
      j -= x.shape[ax];
    }
    return null;
  });
}

// ---- the cases ----

interface Case {
  name: string;
  shapes: number[][];
  op: (xs: lc.Tensor[]) => lc.Tensor;
  ref: (xs: Arr[]) => Arr;
  /** Input values in [0.5, 1.5) (logs, square roots and divisors) instead of [-1, 1). */
  positive?: boolean[];
  /** Complex inputs with real part in [0.2, 1.2): away from the branch cut of clog. */
  rightHalf?: boolean[];
}

// Alternating broadcasts leave every dim unmerged (9 or 10 of them), more than a kernel takes (8), so
// the binding walks the leading ones itself.
const alternating = (rank: number, first: number) => Array.from({ length: rank }, (_, d) => ((d + first) % 2 ? 1 : 2));
const binaryShapes = [[[2, 3], [2, 3]], [[2, 3], [3]], [[4, 1, 5], [3, 1]], [[], [2, 3]], [[1], []], [[3, 1, 4], [1, 2, 1]], [[7], [1]], [alternating(9, 0), alternating(9, 1)]];
const complexShapes = [[[3, 2], [3, 2]], [[2, 3, 2], [3, 2]], [[2, 1, 2], [1, 4, 2]], [[2], [5, 2]], [[1, 2], [2]], [[...alternating(10, 0), 2], [...alternating(10, 1), 2]]];
const unaryShapes = [[7], [2, 3, 4], [], [1, 6]];

const cases: Case[] = [];
const realBinary: [string, (a: lc.Tensor, b: lc.Tensor) => lc.Tensor, (a: number, b: number) => number][] = [
  ['add', lc.add, (a, b) => a + b],
  ['sub', lc.sub, (a, b) => a - b],
  ['mul', lc.mul, (a, b) => a * b],
  ['div', lc.div, (a, b) => a / b],
];
for (const [name, op, f] of realBinary) {
  for (const shapes of binaryShapes) {
    cases.push({ name, shapes, op: ([a, b]) => op(a, b), ref: real1(f), positive: [false, name === 'div'] });
  }
}
const realUnary: [string, (x: lc.Tensor) => lc.Tensor, (x: number) => number, boolean][] = [
  ['neg', lc.neg, (x) => -x, false],
  ['exp', lc.exp, Math.exp, false],
  ['log', lc.log, Math.log, true],
  ['sqrt', lc.sqrt, Math.sqrt, true],
  ['square', lc.square, (x) => x * x, false],
  ['scale', (x) => lc.scale(x, 2.5), (x) => 2.5 * x, false],
  ['addScalar', (x) => lc.addScalar(x, -1.5), (x) => x - 1.5, false],
];
for (const [name, op, f, positive] of realUnary) {
  for (const shape of unaryShapes) cases.push({ name, shapes: [shape], op: ([x]) => op(x), ref: real1(f), positive: [positive] });
}
for (const shapes of complexShapes) {
  cases.push({ name: 'cmul', shapes, op: ([a, b]) => lc.cmul(a, b), ref: cplx(cmulRef) });
  cases.push({ name: 'cdiv', shapes, op: ([a, b]) => lc.cdiv(a, b), ref: cplx(cdivRef), rightHalf: [false, true] });
}
for (const shape of [[5, 2], [2, 3, 2], [2]]) {
  cases.push({ name: 'cexp', shapes: [shape], op: ([z]) => lc.cexp(z), ref: cplx(([a, b]) => [Math.exp(a) * Math.cos(b), Math.exp(a) * Math.sin(b)]) });
  cases.push({ name: 'cexpm1', shapes: [shape], op: ([z]) => lc.cexpm1(z), ref: cplx(([a, b]) => [Math.expm1(a) * Math.cos(b) - 2 * Math.sin(b / 2) ** 2, Math.exp(a) * Math.sin(b)]) });
  cases.push({ name: 'clog', shapes: [shape], op: ([z]) => lc.clog(z), ref: cplx(([a, b]) => [Math.log(Math.hypot(a, b)), Math.atan2(b, a)]), rightHalf: [true] });
  cases.push({ name: 'conj', shapes: [shape], op: ([z]) => lc.conj(z), ref: cplx(([a, b]) => [a, -b]) });
  cases.push({ name: 'real', shapes: [shape], op: ([z]) => lc.real(z), ref: ([z]) => gather(z.shape.slice(0, -1), (idx) => at(z, [...idx, 0])) });
  cases.push({ name: 'imag', shapes: [shape], op: ([z]) => lc.imag(z), ref: ([z]) => gather(z.shape.slice(0, -1), (idx) => at(z, [...idx, 1])) });
}
for (const shape of [[3, 4], [5], []]) {
  cases.push({ name: 'complex', shapes: [shape, shape], op: ([re, im]) => lc.complex(re, im), ref: ([re, im]) => gather([...shape, 2], (idx) => at(idx[idx.length - 1] ? im : re, idx.slice(0, -1))) });
}
const reductions: [number[], number[] | number | undefined, boolean][] = [
  [[3, 4, 5], undefined, false], [[3, 4, 5], 0, false], [[3, 4, 5], -1, true], [[3, 4, 5], [0, 2], false],
  [[3, 4, 5], [2, 0], true], [[], undefined, false], [[6], 0, false], [[6], [], false], [[2, 1, 3], 1, false],
];
for (const [shape, axes, keepDims] of reductions) {
  const list = axes === undefined ? undefined : typeof axes === 'number' ? [axes] : axes;
  cases.push({ name: `sum axes=${JSON.stringify(axes)} keepDims=${keepDims}`, shapes: [shape], op: ([x]) => lc.sum(x, axes, keepDims), ref: ([x]) => reduceRef(x, list, keepDims, false) });
  cases.push({ name: `mean axes=${JSON.stringify(axes)} keepDims=${keepDims}`, shapes: [shape], op: ([x]) => lc.mean(x, axes, keepDims), ref: ([x]) => reduceRef(x, list, keepDims, true) });
}
cases.push({ name: 'reshape [3,4] -> [2,-1,3]', shapes: [[3, 4]], op: ([x]) => lc.reshape(x, [2, -1, 3]), ref: ([x]) => ({ data: x.data, shape: [2, 2, 3] }) });
cases.push({ name: 'reshape [] -> [1,1]', shapes: [[]], op: ([x]) => lc.reshape(x, [1, 1]), ref: ([x]) => ({ data: x.data, shape: [1, 1] }) });
const permuteRef = (x: Arr, perm: number[]) => gather(perm.map((p) => x.shape[p]), (idx) => {
  const src = new Array<number>(perm.length);
  perm.forEach((p, i) => (src[p] = idx[i]));
  return at(x, src);
});
cases.push({ name: 'permute [2,3,4] by [2,0,1]', shapes: [[2, 3, 4]], op: ([x]) => lc.permute(x, [2, 0, 1]), ref: ([x]) => permuteRef(x, [2, 0, 1]) });
cases.push({ name: 'permute [2,1,3,5] by [-1,1,0,2]', shapes: [[2, 1, 3, 5]], op: ([x]) => lc.permute(x, [-1, 1, 0, 2]), ref: ([x]) => permuteRef(x, [3, 1, 0, 2]) });
cases.push({ name: 'transpose [3,5] (0,1)', shapes: [[3, 5]], op: ([x]) => lc.transpose(x, 0, 1), ref: ([x]) => permuteRef(x, [1, 0]) });
cases.push({ name: 'transpose [2,3,4] (-1,0)', shapes: [[2, 3, 4]], op: ([x]) => lc.transpose(x, -1, 0), ref: ([x]) => permuteRef(x, [2, 1, 0]) });
const narrowRef = (x: Arr, axis: number, start: number, length: number) =>
  gather(x.shape.map((d, i) => (i === axis ? length : d)), (idx) => at(x, idx.map((v, d) => (d === axis ? v + start : v))));
cases.push({ name: 'narrow [5,6] axis 1 [2,5)', shapes: [[5, 6]], op: ([x]) => lc.narrow(x, 1, 2, 3), ref: ([x]) => narrowRef(x, 1, 2, 3) });
cases.push({ name: 'narrow [5,6,3] axis -3 [1,5)', shapes: [[5, 6, 3]], op: ([x]) => lc.narrow(x, -3, 1, 4), ref: ([x]) => narrowRef(x, 0, 1, 4) });
cases.push({ name: 'narrow [4,7] axis 0 whole', shapes: [[4, 7]], op: ([x]) => lc.narrow(x, 0, 0, 4), ref: ([x]) => narrowRef(x, 0, 0, 4) });
cases.push({ name: 'concat [2,3]+[4,3] axis 0', shapes: [[2, 3], [4, 3]], op: (xs) => lc.concat(xs, 0), ref: (xs) => concatRef(xs, 0) });
cases.push({ name: 'concat 3 tensors axis -2', shapes: [[2, 1, 3], [2, 4, 3], [2, 2, 3]], op: (xs) => lc.concat(xs, -2), ref: (xs) => concatRef(xs, -2) });
cases.push({ name: 'concat [3,2]+[3,5] axis 1', shapes: [[3, 2], [3, 5]], op: (xs) => lc.concat(xs, 1), ref: (xs) => concatRef(xs, 1) });
for (const axis of [0, 1, 2, -1, -3]) {
  cases.push({
    name: `stack 3 x [3,2] axis ${axis}`, shapes: [[3, 2], [3, 2], [3, 2]], op: (xs) => lc.stack(xs, axis),
    ref: (xs) => {
      const ax = axis < 0 ? axis + 3 : axis;
      return concatRef(xs.map((x) => ({ data: x.data, shape: [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)] })), ax);
    },
  });
}
cases.push({ name: 'stack 0-d tensors', shapes: [[], []], op: (xs) => lc.stack(xs, 0), ref: (xs) => ({ data: Float64Array.from(xs.map((x) => x.data[0])), shape: [2] }) });
const padRef = (x: Arr, axis: number, before: number, after: number) =>
  gather(x.shape.map((d, i) => (i === axis ? d + before + after : d)), (idx) => {
    const j = idx[axis] - before;
    return j < 0 || j >= x.shape[axis] ? null : at(x, idx.map((v, d) => (d === axis ? j : v)));
  });
cases.push({ name: 'pad [3,4] axis -1 (2,1)', shapes: [[3, 4]], op: ([x]) => lc.pad(x, -1, 2, 1), ref: ([x]) => padRef(x, 1, 2, 1) });
cases.push({ name: 'pad [3,4,2] axis 0 (0,3)', shapes: [[3, 4, 2]], op: ([x]) => lc.pad(x, 0, 0, 3), ref: ([x]) => padRef(x, 0, 0, 3) });

function inputsOf(c: Case, seed: number): Arr[] {
  return c.shapes.map((shape, k) => {
    const data = randomArray(numel(shape), seed + 17 * k);
    if (c.positive?.[k]) data.forEach((v, i) => (data[i] = Math.fround(1 + v / 2)));
    if (c.rightHalf?.[k]) for (let i = 0; i < data.length; i += 2) data[i] = Math.fround(0.7 + data[i] / 2);
    return { data, shape };
  });
}

// Gradient of sum(w * ref(x)) w.r.t. every element of input k, by float64 central differences.
function referenceGradient(c: Case, xs: Arr[], k: number, w: Float64Array): Float64Array {
  const h = 1e-6;
  const grad = new Float64Array(xs[k].data.length);
  for (let i = 0; i < grad.length; i++) {
    const shifted = (step: number) => {
      const data = Float64Array.from(xs[k].data);
      data[i] += step;
      return dot(c.ref(xs.map((x, j) => (j === k ? { data, shape: x.shape } : x))).data, w);
    };
    grad[i] = centralDifference(shifted, h);
  }
  return grad;
}

describe('forward matches float64 references', () => {
  cases.forEach((c, ci) => {
    test(`${c.name} ${c.shapes.map((s) => JSON.stringify(s)).join(' ')}`, () => {
      const xs = inputsOf(c, ci * 31 + 1);
      const expected = c.ref(xs);
      lc.tidy(() => {
        const y = c.op(xs.map((x) => t(x.data, x.shape)));
        expect(y.shape).toEqual(expected.shape);
        expectClose(y.toFloat32Array(), expected.data, 2e-6);
      });
    });
  });
});

describe('gradients match float64 finite differences and float32 directional derivatives', () => {
  cases.forEach((c, ci) => {
    test(`${c.name} ${c.shapes.map((s) => JSON.stringify(s)).join(' ')}`, () => {
      const xs = inputsOf(c, ci * 31 + 1);
      const outSize = c.ref(xs).data.length;
      const w = randomArray(outSize, ci + 5);
      // The op itself in float32 along a random direction (PyTorch's convention for complex
      // inputs is the gradient of the real representation, which this measures).
      const grads = checkGradients(c.op, xs.map((x) => x.data), xs.map((x) => x.shape), {
        w,
        directions: 1,
        direction: (k, _, n) => randomArray(n, ci * 7 + k),
      });
      grads.forEach(({ grad, shape }, k) => {
        expect(shape).toEqual(xs[k].shape);
        expectClose(grad, referenceGradient(c, xs, k, w), 1e-5);
      });
    });
  });
});

describe('large tensors (multithreaded paths)', () => {
  test('broadcast add, mul and their gradients on [64,300,7] with [300,1]', () => {
    const a = { data: randomArray(64 * 300 * 7, 3), shape: [64, 300, 7] };
    const b = { data: randomArray(300, 4), shape: [300, 1] };
    lc.tidy(() => {
      const ta = t(a.data, a.shape, { requiresGrad: true });
      const tb = t(b.data, b.shape, { requiresGrad: true });
      const y = lc.mul(lc.add(ta, tb), tb);
      expectClose(y.toFloat32Array(), real1((x, z) => (x + z) * z)([a, b]).data, 2e-6);
      lc.sum(y).backward();
      // d/db sum((a+b) b) = sum over broadcast dims of (a + 2b).
      const gb = reduceRef(real1((x, z) => x + 2 * z)([a, b]), [0, 2], false, false);
      expectClose(tb.grad!.toFloat32Array(), gb.data, 1e-6);
      lc.dispose([ta.grad!, tb.grad!]);
    });
  });

  test('sums over 2e6 elements and over the leading axis are accurate (double accumulation)', () => {
    const x = { data: randomArray(2000 * 1000, 9), shape: [2000, 1000] };
    lc.tidy(() => {
      const tx = t(x.data, x.shape);
      for (const axes of [undefined, 0, 1]) {
        const list = axes === undefined ? undefined : [axes];
        const err = relError(lc.sum(tx, axes).toFloat32Array(), reduceRef(x, list, false, false).data);
        expect(err).toBeLessThan(1e-6);
      }
      // The same result for any thread count: the summation order is fixed.
      const threads = lc.getNumThreads();
      const first = lc.sum(tx).toFloat32Array()[0];
      lc.setNumThreads(1);
      const single = lc.sum(tx).toFloat32Array()[0];
      lc.setNumThreads(threads);
      expect(single).toBe(first);
    });
  });

  test('permute of [40,50,60] by [2,0,1] and its gradient', () => {
    const x = { data: randomArray(40 * 50 * 60, 11), shape: [40, 50, 60] };
    lc.tidy(() => {
      const tx = t(x.data, x.shape, { requiresGrad: true });
      const y = lc.permute(tx, [2, 0, 1]);
      expect(relError(y.toFloat32Array(), permuteRef(x, [2, 0, 1]).data)).toBe(0);
      y.backward(y);
      expect(relError(tx.grad!.toFloat32Array(), x.data)).toBe(0);
      tx.grad!.dispose();
    });
  });
});

describe('more than 8 dimensions after merging', () => {
  test('permute of a 10-d tensor by a permutation that merges no dims, and its gradient', () => {
    const perm = [9, 7, 5, 3, 1, 8, 6, 4, 2, 0];
    const x = { data: randomArray(2 * 3 * 2 * 3 * 2 * 3 * 2 * 3 * 2 * 3, 22), shape: [2, 3, 2, 3, 2, 3, 2, 3, 2, 3] };
    lc.tidy(() => {
      const tx = t(x.data, x.shape, { requiresGrad: true });
      const y = lc.permute(tx, perm);
      expect(relError(y.toFloat32Array(), permuteRef(x, perm).data)).toBe(0);
      y.backward(y); // the gradient permutes back: x itself
      expect(relError(tx.grad!.toFloat32Array(), x.data)).toBe(0);
      tx.grad!.dispose();
    });
  });

  test('sum over 9 alternating axes of a 17-d tensor (9 summed runs) and the broadcast gradient it serves', () => {
    const shape = Array<number>(17).fill(2);
    const axes = [0, 2, 4, 6, 8, 10, 12, 14, 16];
    const x = { data: randomArray(2 ** 17, 21), shape };
    lc.tidy(() => {
      const tx = t(x.data, shape);
      expectClose(lc.sum(tx, axes).toFloat32Array(), reduceRef(x, axes, false, false).data, 1e-6);
      expectClose(lc.mean(tx, axes, true).toFloat32Array(), reduceRef(x, axes, true, true).data, 1e-6);
      // a [2,1,2,...] + b [1,2,1,...] (18 dims): the gradient of a sums over b's 9 runs.
      const a = lc.ones(alternating(18, 0), { requiresGrad: true });
      const b = lc.ones(alternating(18, 1), { requiresGrad: true });
      lc.sum(lc.add(a, b)).backward();
      expect(Array.from(new Set(a.grad!.toFloat32Array()))).toEqual([512]);
      expect(Array.from(new Set(b.grad!.toFloat32Array()))).toEqual([512]);
      lc.dispose([a.grad!, b.grad!]);
    });
  });
});

describe('0-d tensors', () => {
  test('sum to a scalar, backward() without an argument', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 2, 3], [3], { requiresGrad: true });
      const s = lc.mul(lc.sum(x), lc.tensor([2], []));
      expect(s.shape).toEqual([]);
      expect(s.size).toBe(1);
      s.backward();
      expect(Array.from(x.grad!.toFloat32Array())).toEqual([2, 2, 2]);
      x.grad!.dispose();
    });
  });

  test('a 0-d tensor broadcasts with any shape, and its gradient sums everything', () => {
    lc.tidy(() => {
      const s = lc.tensor([3], [], { requiresGrad: true });
      const y = lc.mul(lc.ones([2, 3]), s);
      expect(y.shape).toEqual([2, 3]);
      y.backward(lc.full([2, 3], 0.5));
      expect(s.grad!.shape).toEqual([]);
      expect(Array.from(s.grad!.toFloat32Array())).toEqual([3]);
      s.grad!.dispose();
    });
  });

  test('gradients accumulate across uses of the same tensor (autograd uses the binary kernel)', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 2], [2], { requiresGrad: true });
      lc.sum(lc.add(lc.mul(x, x), x)).backward();
      expect(Array.from(x.grad!.toFloat32Array())).toEqual([3, 5]);
      x.grad!.dispose();
    });
  });
});

cudaSuite('elementwise')('CUDA matches the CPU backend', () => {
  // The small cases above, and large ones that cross the multi-part reduction path.
  const big: Case[] = [
    { name: 'add', shapes: [[64, 300, 7], [300, 1]], op: ([a, b]) => lc.add(a, b), ref: real1((a, b) => a + b) },
    { name: 'cdiv', shapes: [[33, 1, 64, 2], [5, 64, 2]], op: ([a, b]) => lc.cdiv(a, b), ref: cplx(cdivRef), rightHalf: [false, true] },
    { name: 'sum all', shapes: [[3000, 1000]], op: ([x]) => lc.sum(x), ref: ([x]) => reduceRef(x, undefined, false, false) },
    { name: 'mean axis 0', shapes: [[3000, 70]], op: ([x]) => lc.mean(x, 0), ref: ([x]) => reduceRef(x, [0], false, true) },
    { name: 'permute', shapes: [[40, 50, 60]], op: ([x]) => lc.permute(x, [2, 0, 1]), ref: ([x]) => permuteRef(x, [2, 0, 1]) },
    // Sum-to-shape (the broadcast operand's gradient) on both of its paths: few outputs with long
    // sums take two passes (parts, then their totals), contiguous or strided; many outputs, one.
    { name: 'add, two-pass contiguous sum-to-shape', shapes: [[8, 1], [8, 200000]], op: ([a, b]) => lc.add(a, b), ref: real1((a, b) => a + b) },
    { name: 'add, two-pass strided sum-to-shape', shapes: [[1, 5], [300000, 5]], op: ([a, b]) => lc.add(a, b), ref: real1((a, b) => a + b) },
    { name: 'add, one-pass sum-to-shape', shapes: [[20000, 1], [20000, 9]], op: ([a, b]) => lc.add(a, b), ref: real1((a, b) => a + b) },
  ];
  [...cases, ...cudaCases(big, [])].forEach((c, ci) => {
    test(`${c.name} ${c.shapes.map((s) => JSON.stringify(s)).join(' ')}`, () => {
      const xs = inputsOf(c, ci * 13 + 2);
      const outShape = c.ref(xs.map((x) => ({ data: new Float64Array(x.data.length), shape: x.shape }))).shape;
      const w = randomArray(numel(outShape), ci);
      forEachDevice((device) =>
        lc.tidy(() => {
          const inputs = xs.map((x) => t(x.data, x.shape, { device, requiresGrad: true }));
          const y = c.op(inputs);
          y.backward(t(w, [...y.shape], { device }));
          const out = [y, ...inputs.map((x) => x.grad!)].map((x) => x.toFloat32Array());
          lc.dispose(inputs.map((x) => x.grad!));
          return out;
        }),
      1e-5);
    });
  });
});

describe('bad input throws a named error and allocates nothing', () => {
  const a = lc.randn([2, 3], { seed: 1 });
  const z = lc.randn([4, 2], { seed: 2 });
  const t231 = lc.zeros([2, 3, 1]);
  const t24 = lc.zeros([2, 4]);
  const t311 = lc.zeros([3, 1, 1]);
  const t32 = lc.zeros([3, 2]);
  const t42 = lc.zeros([4, 2]);
  const t4 = lc.zeros([4]);
  const t523 = lc.zeros([5, 2, 3]);
  const t0d = lc.zeros([]);
  afterAll(() => lc.dispose([a, z, t231, t24, t311, t32, t42, t4, t523, t0d]));
  const fake = fakeTensor([2, 3], 'cuda');
  const disposed = () => {
    const gone = lc.zeros([2, 3]);
    gone.dispose();
    return gone;
  };

  const cases: BadInputCase[] = [
    ['shapes that do not broadcast', () => lc.add(a, t4), RangeError, /^b: expected a shape that broadcasts with a \[2,3\] \(dimension -1: 3, or 1\), got \[4\]/],
    ['mul shapes that do not broadcast', () => lc.mul(t523, t311), RangeError, /^b: expected a shape that broadcasts with a \[5,2,3\] .*got \[3,1,1\]/],
    ['complex leading dims that do not broadcast', () => lc.cmul(t32, t42), RangeError, /^b: expected a shape that broadcasts with a \[3\] .*got \[4\]/],
    ['cmul with a last dim of 3', () => lc.cmul(a, z), RangeError, /^a: expected a complex tensor \(last dimension 2\), got shape \[2,3\]/],
    ['cdiv with a real b', () => lc.cdiv(z, t4), RangeError, /^b: expected a complex tensor/],
    ['cexp of a 0-d tensor', () => lc.cexp(t0d), RangeError, /^z: expected a complex tensor/],
    ['real of [2,3]', () => lc.real(a), RangeError, /^z: expected a complex tensor/],
    ['complex of different shapes', () => lc.complex(a, t32), RangeError, /^im: expected shape \[2,3\]/],
    ['sum over an axis out of range', () => lc.sum(a, 2), RangeError, /^axes: expected an axis in \[-2, 1\]/],
    ['sum over a repeated axis', () => lc.sum(a, [1, -1]), RangeError, /^axes: expected distinct axes/],
    ['mean with non-integer axes', () => lc.mean(a, 0.5), TypeError, /^axes: expected an integer/],
    ['sum with a non-boolean keepDims', () => lc.sum(a, 0, 1 as never), TypeError, /^keepDims: expected a boolean/],
    ['reshape to the wrong size', () => lc.reshape(a, [4, 2]), RangeError, /^shape: expected a shape of 6 elements \(those of x, shape \[2,3\]\), got \[4,2\]/],
    ['reshape with two -1', () => lc.reshape(a, [-1, -1]), RangeError, /^shape: expected sizes >= 0 and at most one -1/],
    ['reshape with a non-integer', () => lc.reshape(a, [1.5, 4]), TypeError, /^shape\[0\]: expected an integer >= -1, got number 1.5/],
    ['permute with a repeated axis', () => lc.permute(a, [0, 0]), RangeError, /^perm: expected a permutation/],
    ['permute with too few axes', () => lc.permute(a, [0]), RangeError, /^perm: expected a permutation/],
    ['permute out of range', () => lc.permute(a, [0, 2]), RangeError, /^perm\[1\]: expected an axis in \[-2, 1\] for rank 2, got 2/],
    ['transpose out of range', () => lc.transpose(a, 0, -3), RangeError, /^axis1: expected an axis in/],
    ['narrow past the end', () => lc.narrow(a, 1, 2, 2), RangeError, /^length: expected start \+ length <= 3 \(dimension 1 of x, shape \[2,3\]\), got start \+ length = 4/],
    ['narrow with a negative start', () => lc.narrow(a, 1, -1, 1), RangeError, /^start: expected an integer >= 0/],
    ['narrow on a bad axis', () => lc.narrow(a, 2, 0, 1), RangeError, /^axis: expected an axis in/],
    ['concat of mismatched shapes', () => lc.concat([a, t24], 0), RangeError, /^xs\[1\]: expected rank 2 and the sizes of xs\[0\] \[2,3\] off axis 0, got \[2,4\]/],
    ['concat of mismatched ranks', () => lc.concat([a, t231], 1), RangeError, /^xs\[1\]: expected rank 2/],
    ['concat of an empty list', () => lc.concat([], 0), RangeError, /^xs: expected at least one tensor/],
    ['concat of a non-array', () => lc.concat(a as never, 0), TypeError, /^xs: expected an array of tensors/],
    ['stack of different shapes', () => lc.stack([a, t32], 0), RangeError, /^xs\[1\]: expected shape \[2,3\]/],
    ['stack on an axis out of range', () => lc.stack([a, a], 3), RangeError, /^axis: expected an axis in \[-3, 2\] for rank 3, got 3/],
    ['pad with a negative size', () => lc.pad(a, 0, -1, 0), RangeError, /^before: expected an integer >= 0/],
    ['pad with a fractional size', () => lc.pad(a, 0, 0, 0.5), TypeError, /^after: expected an integer/],
    ['scale by NaN', () => lc.scale(a, NaN), TypeError, /^s: expected a finite number, got number NaN/],
    ['addScalar of a string', () => lc.addScalar(a, '1' as never), TypeError, /^s: expected a finite number, got string 1/],
    ['scale by Infinity', () => lc.scale(a, Infinity), RangeError, /^s: expected a finite number, got Infinity/],
    ['a non-tensor', () => lc.add(a, [1, 2, 3] as never), TypeError, /^b: expected a Tensor, got an array/],
    ['a non-tensor to exp', () => lc.exp(3 as never), TypeError, /^x: expected a Tensor, got number 3/],
    ['a non-tensor in concat', () => lc.concat([a, null as never], 0), TypeError, /^xs\[1\]: expected a Tensor, got null/],
    ['a disposed tensor', () => lc.mul(disposed(), a), TypeError, /^a: expected a live Tensor, got a disposed one/],
    ['a disposed tensor to sum', () => lc.sum(disposed()), TypeError, /^x: expected a live Tensor, got a disposed one/],
    ['mixed devices', () => lc.add(a, fake), TypeError, /^b: expected device 'cpu' \(the device of a\), got 'cuda'/],
    ['mixed devices in complex', () => lc.complex(a, fake), TypeError, /^im: expected device 'cpu'/],
    ['mixed devices in stack', () => lc.stack([a, fake], 0), TypeError, /^xs\[1\]: expected device 'cpu'/],
  ];
  // Outside tidy: the calls themselves must allocate nothing. By name: the native addon's errors
  // come from another realm than jest's Error.
  testBadInput(cases, { tidy: false, byName: true });
});

describe('memory stays flat over repeated forward and backward', () => {
  test('a loop through every op', () => {
    const re = lc.randn([4, 6], { seed: 1, requiresGrad: true });
    const im = lc.randn([4, 6], { seed: 2, requiresGrad: true });
    const w = lc.randn([6], { seed: 3, requiresGrad: true });
    const params = [re, im, w];
    const step = () =>
      lc.tidy(() => {
        const z = lc.complex(re, im);
        const e = lc.cexp(lc.cmul(z, lc.complex(w, w)));
        const q = lc.cdiv(lc.clog(lc.addScalar(e, 2)), lc.conj(lc.addScalar(e, 3)));
        const r = lc.add(lc.real(q), lc.imag(q));
        const s = lc.sub(lc.div(lc.mul(r, w), lc.addScalar(lc.square(w), 1)), lc.sqrt(lc.exp(re)));
        const p = lc.pad(lc.narrow(lc.transpose(s, 0, 1), 1, 1, 1), 1, 1, 0);
        const c = lc.concat([p, lc.stack([lc.log(lc.addScalar(lc.square(w), 1)), w], 1)], 0);
        const loss = lc.mean(lc.reshape(lc.permute(lc.neg(lc.scale(c, 0.5)), [1, 0]), [-1]));
        loss.backward();
        lc.sum(c, 0, true);
        params.forEach((x) => {
          x.grad!.dispose();
          x.grad = null;
        });
      });
    step();
    const { before, after } = memoryAround(() => {
      for (let i = 0; i < 20; i++) step();
    });
    expect(liveMemory(after)).toEqual(liveMemory(before));
    lc.dispose(params);
  });
});

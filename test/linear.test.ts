// matmul and linear against float64 direct sums, forward and backward; finite differences; bad
// input; memory and threads; CUDA (cuBLAS) against the CPU backend.
import * as lc from '../lib';
import { native } from '../lib/native';
import { cudaSuite, forEachDevice } from './devices';
import {
  BadInputCase, checkGradients, dot, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput,
} from './helpers';

// Direct float32 sums of up to a few hundred terms against float64: ~1e-6 relative error.
const TOL = 1e-5;

// ---- float64 references ----

function prod(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** For each element of the broadcast batch, the index of the operand's own batch element. */
function batchMap(own: readonly number[], batch: readonly number[]): number[] {
  const padded = [...Array<number>(batch.length - own.length).fill(1), ...own];
  const map: number[] = [];
  for (let flat = 0; flat < prod(batch); flat++) {
    let rest = flat;
    let index = 0;
    let step = 1;
    for (let d = batch.length - 1; d >= 0; d--) {
      const i = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      if (padded[d] !== 1) index += i * step;
      step *= padded[d];
    }
    map.push(index);
  }
  return map;
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...Array<number>(rank - a.length).fill(1), ...a];
  const pb = [...Array<number>(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => Math.max(d, pb[i]));
}

/** C = A B (batched, broadcast), and with a weight w on C: dA = w Bᵀ, dB = Aᵀ w summed alike. */
function matmulReference(a: Float64Array, aShape: number[], b: Float64Array, bShape: number[], w?: ArrayLike<number>) {
  const [M, K] = aShape.slice(-2);
  const N = bShape[bShape.length - 1];
  const batch = broadcastBatch(aShape.slice(0, -2), bShape.slice(0, -2));
  const am = batchMap(aShape.slice(0, -2), batch);
  const bm = batchMap(bShape.slice(0, -2), batch);
  const c = new Float64Array(prod(batch) * M * N);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let p = 0; p < am.length; p++) {
    const ao = am[p] * M * K, bo = bm[p] * K * N, co = p * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        const g = w ? w[co + i * N + j] : 0;
        for (let k = 0; k < K; k++) {
          s += a[ao + i * K + k] * b[bo + k * N + j];
          da[ao + i * K + k] += g * b[bo + k * N + j];
          db[bo + k * N + j] += g * a[ao + i * K + k];
        }
        c[co + i * N + j] = s;
      }
    }
  }
  return { c, da, db, shape: [...batch, M, N] };
}

/** y = W x + b along `axis`; with a weight w on y, the gradients of sum(w * y). */
function linearReference(x: Float64Array, xShape: number[], W: Float64Array, bias: Float64Array | null, axis: number, w?: ArrayLike<number>) {
  const [O, I] = [W.length / xShape[axis], xShape[axis]];
  const pre = prod(xShape.slice(0, axis));
  const post = prod(xShape.slice(axis + 1));
  const y = new Float64Array(pre * O * post);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(W.length);
  const db = new Float64Array(O);
  for (let p = 0; p < pre; p++) {
    for (let o = 0; o < O; o++) {
      for (let l = 0; l < post; l++) {
        const yi = (p * O + o) * post + l;
        const g = w ? w[yi] : 0;
        let s = bias ? bias[o] : 0;
        for (let i = 0; i < I; i++) {
          const xi = (p * I + i) * post + l;
          s += W[o * I + i] * x[xi];
          dx[xi] += g * W[o * I + i];
          dW[o * I + i] += g * x[xi];
        }
        db[o] += g;
        y[yi] = s;
      }
    }
  }
  const shape = xShape.map((d, i) => (i === axis ? O : d));
  return { y, dx, dW, db, shape };
}

// ---- matmul ----

const matmulCases: [number[], number[]][] = [
  [[1, 1], [1, 1]],
  [[1, 17], [17, 64]],
  [[17, 1], [1, 129]],
  [[64, 129], [129, 17]],
  [[129, 64], [64, 1]],
  [[2, 3], [3, 4]],
  [[129, 129], [129, 129]],
  [[7, 300], [300, 5]], // K spans two packed slices
  [[150, 20], [20, 400]], // several row and column tiles with ragged edges
  [[3, 17, 5], [3, 5, 9]], // batched
  [[4, 7, 6], [6, 5]], // b shared by the batch
  [[7, 6], [4, 6, 5]], // a shared by the batch
  [[2, 1, 4, 6], [3, 6, 5]], // both broadcast
  [[2, 3, 1, 4, 6], [3, 1, 6, 5]], // interleaved broadcast dims
];

describe('matmul matches float64 direct sums', () => {
  matmulCases.forEach(([aShape, bShape], n) => {
    test(`${JSON.stringify(aShape)} x ${JSON.stringify(bShape)}`, () => {
      const a = randomArray(prod(aShape), 10 + n);
      const b = randomArray(prod(bShape), 50 + n);
      const ref = matmulReference(a, aShape, b, bShape);
      lc.tidy(() => {
        const c = lc.matmul(t(a, aShape), t(b, bShape));
        expect(c.shape).toEqual(ref.shape);
        expectClose(c.toFloat32Array(), ref.c, TOL);
      });
    });
  });
});

describe('matmul backward', () => {
  matmulCases.forEach(([aShape, bShape], n) => {
    test(`${JSON.stringify(aShape)} x ${JSON.stringify(bShape)}: analytic and finite differences`, () => {
      const a = randomArray(prod(aShape), 100 + n);
      const b = randomArray(prod(bShape), 150 + n);
      const ref = matmulReference(a, aShape, b, bShape);
      const w = randomArray(ref.c.length, 200 + n);
      const grads = matmulReference(a, aShape, b, bShape, w);
      lc.tidy(() => {
        const at = t(a, aShape, { requiresGrad: true });
        const bt = t(b, bShape, { requiresGrad: true });
        lc.sum(lc.mul(lc.matmul(at, bt), t(w, ref.shape))).backward();
        expectClose(at.grad!.toFloat32Array(), grads.da, TOL);
        expectClose(bt.grad!.toFloat32Array(), grads.db, TOL);
        at.grad!.dispose();
        bt.grad!.dispose();
      });
      // The op is bilinear: central differences are exact up to float32 rounding.
      checkGradients(([pa, pb]) => lc.matmul(pa, pb), [a, b], [aShape, bShape], { w, directions: 1, direction: (_, __, len) => randomArray(len, 300 + n) });
    });
  });
});

// ---- linear ----

const linearCases: { x: number[]; O: number; axis?: number; bias: boolean }[] = [
  { x: [5, 7], O: 3, bias: true },
  { x: [2, 3, 7], O: 4, bias: false },
  { x: [1], O: 1, bias: true },
  { x: [129, 17], O: 64, bias: true },
  { x: [2, 7, 9], O: 6, axis: 1, bias: true }, // [B,H,L] 1x1 convolution
  { x: [3, 17, 129], O: 34, axis: 1, bias: true },
  { x: [4, 16, 100], O: 32, axis: 1, bias: false },
  { x: [7, 4], O: 5, axis: 0, bias: true },
  { x: [2, 3, 7, 1], O: 2, axis: 2, bias: true }, // nothing after the axis but a 1
  { x: [2, 3, 7, 5], O: 2, axis: -2, bias: true },
];

describe('linear matches float64 direct sums, forward and backward', () => {
  linearCases.forEach(({ x: xShape, O, axis = -1, bias }, n) => {
    const ax = axis < 0 ? axis + xShape.length : axis;
    const I = xShape[ax];
    test(`x ${JSON.stringify(xShape)} axis=${axis} O=${O} bias=${bias}`, () => {
      const x = randomArray(prod(xShape), 400 + n);
      const W = randomArray(O * I, 450 + n);
      const b = bias ? randomArray(O, 500 + n) : null;
      const ref = linearReference(x, xShape, W, b, ax);
      const w = randomArray(ref.y.length, 550 + n);
      const grads = linearReference(x, xShape, W, b, ax, w);
      lc.tidy(() => {
        const xt = t(x, xShape, { requiresGrad: true });
        const Wt = t(W, [O, I], { requiresGrad: true });
        const bt = b ? t(b, [O], { requiresGrad: true }) : undefined;
        const y = lc.linear(xt, Wt, bt, { axis });
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.toFloat32Array(), ref.y, TOL);
        lc.sum(lc.mul(y, t(w, ref.shape))).backward();
        expectClose(xt.grad!.toFloat32Array(), grads.dx, TOL);
        expectClose(Wt.grad!.toFloat32Array(), grads.dW, TOL);
        if (bt) expectClose(bt.grad!.toFloat32Array(), grads.db, TOL);
        lc.dispose([xt.grad, Wt.grad, bt?.grad]);
      });
      const params = b ? [x, W, b] : [x, W];
      checkGradients(([px, pW, pb]) => lc.linear(px, pW, pb, { axis }), params, [xShape, [O, I], [O]].slice(0, params.length), {
        w,
        directions: 1,
        direction: (which, _, len) => randomArray(len, 600 + n + which),
      });
    });
  });

  test('axis = 1 on [B,H,L] equals axis = -1 on the transposed input', () => {
    const [B, H, L, O] = [3, 8, 11, 5];
    lc.tidy(() => {
      const x = t(randomArray(B * H * L, 700), [B, H, L]);
      const W = t(randomArray(O * H, 701), [O, H]);
      const bias = t(randomArray(O, 702), [O]);
      const conv = lc.linear(x, W, bias, { axis: 1 });
      const rows = lc.transpose(lc.linear(lc.transpose(x, 1, 2), W, bias), 1, 2);
      expect(relError(conv.toFloat32Array(), rows.toFloat32Array())).toBeLessThan(1e-6);
    });
  });
});

// ---- threads, memory, devices, bad input ----

test('1 and 2 threads give identical results', () => {
  const a = randomArray(3 * 200 * 300, 800);
  const b = randomArray(300 * 250, 801);
  expectSameAcrossThreads((threads) => {
    lc.setNumThreads(threads);
    return lc.tidy(() => lc.matmul(t(a, [3, 200, 300]), t(b, [300, 250])).toFloat32Array());
  });
});

test('memory stays flat over repeated forward + backward', () => {
  const x = t(randomArray(2 * 6 * 9, 900), [2, 6, 9], { requiresGrad: true });
  const W = t(randomArray(4 * 6, 901), [4, 6], { requiresGrad: true });
  const bias = t(randomArray(4, 902), [4], { requiresGrad: true });
  const m = t(randomArray(9 * 3, 903), [9, 3], { requiresGrad: true });
  expectMemoryFlat(() =>
    lc.tidy(() => {
      lc.sum(lc.matmul(lc.linear(x, W, bias, { axis: 1 }), m)).backward();
      for (const p of [x, W, bias, m]) {
        p.grad!.dispose();
        p.grad = null;
      }
    }), 'cpu', 5);
  lc.dispose([x, W, bias, m]);
});

describe('bad input throws named errors and allocates nothing', () => {
  const disposed = () => {
    const x = lc.zeros([2, 3]);
    x.dispose();
    return x;
  };
  const cases: BadInputCase[] = [
    ['a not a tensor', () => lc.matmul([1] as never, lc.zeros([1, 1])), TypeError, /^a: expected a Tensor/],
    ['a rank 1', () => lc.matmul(lc.zeros([3]), lc.zeros([3, 2])), RangeError, /^a: expected rank >= 2/],
    ['K mismatch', () => lc.matmul(lc.zeros([2, 3]), lc.zeros([4, 2])), RangeError, /^b: expected 3 rows/],
    ['batch mismatch', () => lc.matmul(lc.zeros([2, 2, 3]), lc.zeros([3, 3, 2])), RangeError, /^b: expected a shape that broadcasts with a \[2\] .*got \[3\]/],
    ['zero dim', () => lc.matmul(lc.zeros([0, 3]), lc.zeros([3, 2])), RangeError, /^a: expected every dimension >= 1, got shape \[0,3\]/],
    ['mixed devices', () => lc.matmul(lc.zeros([2, 3]), fakeTensor([3, 2])), TypeError, /^b: expected device 'cpu'/],
    ['disposed operand', () => lc.matmul(lc.zeros([3, 3]), disposed()), TypeError, /^b: expected a live Tensor, got a disposed one/],
    ['x not a tensor', () => lc.linear({} as never, lc.zeros([5, 3])), TypeError, /^x: expected a Tensor/],
    ['weight rank', () => lc.linear(lc.zeros([2, 3]), lc.zeros([3])), RangeError, /^weight: expected rank 2/],
    ['x size along axis', () => lc.linear(lc.zeros([2, 4]), lc.zeros([5, 3])), RangeError, /^x: expected size 3 along axis 1/],
    ['bias shape', () => lc.linear(lc.zeros([2, 3]), lc.zeros([5, 3]), lc.zeros([4])), RangeError, /^bias: expected shape \[5\]/],
    ['axis out of range', () => lc.linear(lc.zeros([2, 3]), lc.zeros([5, 3]), null, { axis: 2 }), RangeError, /^options.axis: expected an axis/],
    ['axis not an integer', () => lc.linear(lc.zeros([2, 3]), lc.zeros([5, 3]), null, { axis: 0.5 }), TypeError, /^options.axis: expected an integer/],
    ['unknown option', () => lc.linear(lc.zeros([2, 3]), lc.zeros([5, 3]), null, { dim: 1 } as never), TypeError, /^options: expected only the options axis, got unknown option 'dim'/],
    ['weight on another device', () => lc.linear(lc.zeros([2, 3]), fakeTensor([5, 3])), TypeError, /^weight: expected device 'cpu'/],
    ['disposed x', () => lc.linear(disposed(), lc.zeros([5, 3])), TypeError, /^x: expected a live Tensor, got a disposed one/],
    ['L = 0', () => lc.linear(lc.zeros([2, 3, 0]), lc.zeros([5, 3]), null, { axis: 1 }), RangeError, /^x: expected every dimension >= 1, got shape \[2,3,0\]/],
  ];
  testBadInput(cases);
});

// ---- the native GEMM directly ----

// What matmul and linear never combine: both operands transposed, an outer batch dim (P) and a
// summed one (S, C stride 0) together with a bias, and either operand broadcast (stride 0)
// along them. A is stored K x M, B N x K.
const [P, S, M, N, K] = [2, 3, 5, 7, 4];
interface GemmCase { name: string; biasKind: number; strideA: number; strideB: number; a: Float64Array; b: Float64Array; bias: Float64Array }
const gemmCases: GemmCase[] = [];
for (const [biasKind, biasName] of [[1, 'row'], [2, 'column']] as [number, string][])
  for (const [broadcast, strideA, strideB] of [['neither', M * K, N * K], ['A', 0, N * K], ['B', M * K, 0]] as [string, number, number][])
    gemmCases.push({
      name: `A^T B^T over an outer and a summed batch dim, ${biasName} bias, ${broadcast} broadcast`,
      biasKind, strideA, strideB,
      a: randomArray(P * S * M * K, 31), b: randomArray(P * S * N * K, 32), bias: randomArray(biasKind === 1 ? M : N, 33),
    });

function runGemm(g: GemmCase, device: lc.Device): Float32Array {
  return lc.tidy(() => {
    const [a, b, bias] = [g.a, g.b, g.bias].map((x) => t(x, [x.length], { device }));
    const batch = [P, S * g.strideA, S * g.strideB, M * N, S, g.strideA, g.strideB, 0]; // [size, A, B, C] per dim
    const { C: c } = native.gemm({
      A: a.storage, B: b.storage, bias: bias.storage, biasKind: g.biasKind, transA: true, transB: true,
      M, N, K, lda: M, ldb: K, ldc: N, batch, outFloats: P * M * N,
    });
    return lc.tidy(() => new lc.Tensor(c, [P * M * N]).toFloat32Array());
  });
}

function gemmReference(g: GemmCase): Float64Array {
  const c = new Float64Array(P * M * N);
  for (let p = 0; p < P; p++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let sum = g.biasKind === 1 ? g.bias[i] : g.bias[j];
        for (let s = 0; s < S; s++)
          for (let k = 0; k < K; k++)
            sum += g.a[(p * S + s) * g.strideA + k * M + i] * g.b[(p * S + s) * g.strideB + j * K + k];
        c[(p * M + i) * N + j] = sum;
      }
  return c;
}

describe('the native GEMM against float64', () => {
  for (const g of gemmCases) test(g.name, () => expectClose(runGemm(g, 'cpu'), gemmReference(g), TOL));
});

// ---- CUDA against the CPU backend ----

cudaSuite('matmul/linear', { cublas: true })('matmul and linear on CUDA equal the CPU backend', () => {
  for (const g of gemmCases) test(`gemm: ${g.name}`, () => void forEachDevice((device) => [runGemm(g, device)], TOL));

  matmulCases.forEach(([aShape, bShape], n) => {
    test(`matmul ${JSON.stringify(aShape)} x ${JSON.stringify(bShape)}`, () => {
      const a = randomArray(prod(aShape), 1000 + n);
      const b = randomArray(prod(bShape), 1050 + n);
      const shape = matmulReference(new Float64Array(a.length), aShape, new Float64Array(b.length), bShape).shape;
      const w = randomArray(prod(shape), 1100 + n);
      forEachDevice((device) =>
        lc.tidy(() => {
          const at = t(a, aShape, { device, requiresGrad: true });
          const bt = t(b, bShape, { device, requiresGrad: true });
          const c = lc.matmul(at, bt);
          lc.sum(lc.mul(c, t(w, shape, { device }))).backward();
          const out = [c, at.grad!, bt.grad!].map((x) => x.toFloat32Array());
          at.grad!.dispose();
          bt.grad!.dispose();
          return out;
        }),
      TOL);
    });
  });
  linearCases.forEach(({ x: xShape, O, axis = -1, bias }, n) => {
    test(`linear x ${JSON.stringify(xShape)} axis=${axis} bias=${bias}`, () => {
      const ax = axis < 0 ? axis + xShape.length : axis;
      const I = xShape[ax];
      const x = randomArray(prod(xShape), 1200 + n);
      const W = randomArray(O * I, 1250 + n);
      const b = randomArray(O, 1300 + n);
      const yShape = xShape.map((d, i) => (i === ax ? O : d));
      const w = randomArray(prod(yShape), 1350 + n);
      forEachDevice((device) =>
        lc.tidy(() => {
          const xt = t(x, xShape, { device, requiresGrad: true });
          const Wt = t(W, [O, I], { device, requiresGrad: true });
          const bt = bias ? t(b, [O], { device, requiresGrad: true }) : null;
          const y = lc.linear(xt, Wt, bt, { axis });
          lc.sum(lc.mul(y, t(w, yShape, { device }))).backward();
          const out = [y, xt.grad!, Wt.grad!, ...(bt ? [bt.grad!] : [])].map((g) => g.toFloat32Array());
          [xt, Wt, bt].forEach((p) => p?.grad?.dispose());
          return out;
        }),
      TOL);
    });
  });
});

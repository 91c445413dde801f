// dropout, embedding and maskedMeanPool: float64 references, gradients (references and
// finite differences), determinism, bad input, flat memory; CUDA against the CPU backend.
import * as lc from '../lib';
import { compareOp, cudaSuite, gpu, OpInput, opInput, runOp } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, t } from './helpers';

const TOL = 1e-6;

describe('dropout', () => {
  const n = 100001;
  const x = randomArray(n, 1).map((v) => v + 2); // never 0: a zero output means dropped

  for (const p of [0.1, 0.5, 0.9]) {
    test(`p = ${p}: drops about p, scales the rest by 1/(1-p); backward applies the same mask`, () => {
      const dy = randomArray(n, 2);
      lc.tidy(() => {
        const xt = t(x, [n], { requiresGrad: true });
        const y = lc.dropout(xt, p, { seed: 42 });
        y.backward(t(dy, [n]));
        const out = y.toFloat32Array();
        const grad = xt.grad!.toFloat32Array();
        let dropped = 0;
        const expected = new Float64Array(n);
        const expectedGrad = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          if (out[i] === 0) dropped++;
          else {
            expected[i] = x[i] / (1 - p);
            expectedGrad[i] = dy[i] / (1 - p);
          }
        }
        expect(Math.abs(dropped / n - p)).toBeLessThan(0.01); // ~7 standard deviations
        expectClose(out, expected, TOL);
        expectClose(grad, expectedGrad, TOL);
        xt.grad!.dispose();
      });
    });
  }

  test('the same seed gives the same mask; other seeds differ; masks depend on the index only', () => {
    lc.tidy(() => {
      const ones = lc.ones([1000]);
      const a = lc.dropout(ones, 0.5, { seed: 7 }).toFloat32Array();
      expect(lc.dropout(ones, 0.5, { seed: 7 }).toFloat32Array()).toEqual(a);
      expect(lc.dropout(ones, 0.5, { seed: 8 }).toFloat32Array()).not.toEqual(a);
      expect(lc.dropout(ones, 0.5, { seed: 2 ** 53 - 1 }).toFloat32Array()).not.toEqual(a); // large seeds work
      // The first 1000 elements of a longer tensor (or another shape) get the same mask.
      expect(lc.dropout(lc.ones([2, 1000]), 0.5, { seed: 7 }).toFloat32Array().slice(0, 1000)).toEqual(a);
      expectSameAcrossThreads((threads) => {
        lc.setNumThreads(threads);
        return lc.dropout(ones, 0.5, { seed: 7 }).toFloat32Array();
      });
    });
  });

  test('lc.withBatchOffset: the parts of a batch get the masks they get in the whole batch', () => {
    // [7, 3, 5]: any split of the 7 samples (ranks, micro-batches) reproduces the whole mask,
    // forward and backward, on a tensor that is not all ones.
    const B = 7, inner = 15;
    const xs = randomArray(B * inner, 4).map((v) => v + 2);
    const dy = randomArray(B * inner, 5);
    const run = (from: number, to: number, offset?: number) => lc.tidy(() => {
      const part = t(xs.slice(from * inner, to * inner), [to - from, 3, 5], { requiresGrad: true });
      const y = offset === undefined ? lc.dropout(part, 0.5, { seed: 11 }) : lc.withBatchOffset(offset, () => lc.dropout(part, 0.5, { seed: 11 }));
      y.backward(t(dy.slice(from * inner, to * inner), [to - from, 3, 5]));
      const out = [Array.from(y.toFloat32Array()), Array.from(part.grad!.toFloat32Array())];
      part.grad!.dispose();
      return out;
    });
    const [whole, wholeGrad] = run(0, B);
    for (const cut of [1, 3, 4]) {
      const [a, ga] = run(0, cut, 0);
      const [b, gb] = run(cut, B, cut);
      expect([...a, ...b]).toEqual(whole);
      expect([...ga, ...gb]).toEqual(wholeGrad);
    }
    // Without the offset the second part repeats the first samples' masks.
    expect(run(3, B)[0]).not.toEqual(whole.slice(3 * inner));
    // Scopes nest and restore; a bad offset is rejected.
    lc.withBatchOffset(2, () => {
      lc.withBatchOffset(5, () => expect(run(5, B)[0]).toEqual(whole.slice(5 * inner)));
      expect(run(2, B)[0]).toEqual(whole.slice(2 * inner));
    });
    expect(run(0, B)[0]).toEqual(whole);
    expectBadInput(() => lc.withBatchOffset(-1, () => 0), RangeError, /^offset: expected an integer >= 0, got -1/);
    expectBadInput(() => lc.withBatchOffset(1.5, () => 0), TypeError, /^offset: expected an integer >= 0, got number 1.5/);
    expectBadInput(() => lc.withBatchOffset(1, 100 as never), TypeError, /^fn: expected a function, got number 100/);
  });

  test('without a seed: drawn from the global generator (lc.seed)', () => {
    lc.tidy(() => {
      const ones = lc.ones([500]);
      lc.seed(3);
      const a = lc.dropout(ones, 0.5).toFloat32Array();
      const b = lc.dropout(ones, 0.5).toFloat32Array();
      expect(b).not.toEqual(a);
      lc.seed(3);
      expect(lc.dropout(ones, 0.5).toFloat32Array()).toEqual(a);
    });
  });

  test('identity (a copy) when not training or p = 0; gradient passes through', () => {
    const x5 = randomArray(5, 3);
    for (const [p, training] of [[0.5, false], [0, true]] as [number, boolean][]) {
      lc.tidy(() => {
        const xt = t(x5, [5], { requiresGrad: true });
        const y = lc.dropout(xt, p, { training });
        expect(y).not.toBe(xt);
        expect(Array.from(y.toFloat32Array())).toEqual(Array.from(x5));
        y.backward(t(x5, [5]));
        expect(Array.from(xt.grad!.toFloat32Array())).toEqual(Array.from(x5));
        xt.grad!.dispose();
      });
    }
  });

  test('bad input', () => {
    const x5 = lc.zeros([5]);
    expectBadInput(() => lc.dropout(x5, 1), RangeError, /^p: expected a probability in \[0, 1\), got 1/);
    expectBadInput(() => lc.dropout(x5, -0.1), RangeError, /^p: expected a probability in \[0, 1\), got -0.1/);
    expectBadInput(() => lc.dropout(x5, '0.5' as never), TypeError, /^p: expected a probability in \[0, 1\), got string 0.5/);
    expectBadInput(() => lc.dropout(x5, 0.5, { seed: 1.5 }), TypeError, /^options\.seed: expected an integer >= 0, got number 1.5/);
    expectBadInput(() => lc.dropout(x5, 0.5, { seed: -1 }), RangeError, /^options\.seed: expected an integer >= 0, got -1/);
    expectBadInput(() => lc.dropout(x5, 0.5, { seed: 2 ** 53 }), RangeError, /^options\.seed: expected an integer >= 0 \(and below 2\^53 in magnitude\), got 9007199254740992/);
    expectBadInput(() => lc.dropout(x5, 0.5, { training: 1 as never }), TypeError, /^options\.training: expected a boolean, got number 1/);
    expectBadInput(() => lc.dropout(x5, 0.5, { rate: 1 } as never), TypeError, /^options: expected only the options training, seed, tied, got unknown option 'rate'/);
    expectBadInput(() => lc.dropout(disposedTensor([2]), 0.5), TypeError, /^x: expected a live Tensor, got a disposed one/);
    x5.dispose();
  });
});

function embeddingReference(idx: number[], w: Float64Array, D: number, dy: Float64Array, V: number) {
  const out = new Float64Array(idx.length * D);
  const dw = new Float64Array(V * D);
  idx.forEach((v, p) => {
    for (let d = 0; d < D; d++) {
      out[p * D + d] = w[v * D + d];
      dw[v * D + d] += dy[p * D + d];
    }
  });
  return { out, dw };
}

describe('embedding', () => {
  for (const [V, D, shape] of [[5, 3, [7]], [10, 16, [3, 11]], [1, 1, [4]], [50, 7, [2, 3, 4]], [300, 33, [64, 100]]] as [number, number, number[]][]) {
    test(`V=${V} D=${D} indices [${shape}]`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const idx = Array.from(randomArray(n, V + n), (v) => Math.min(V - 1, Math.floor(((v + 1) / 2) * V)));
      idx[0] = V - 1;
      idx[n - 1] = idx[0]; // a repeated index
      const w = randomArray(V * D, V);
      const dy = randomArray(n * D, D);
      const ref = embeddingReference(idx, w, D, dy, V);
      lc.tidy(() => {
        const wt = t(w, [V, D], { requiresGrad: true });
        const y = lc.embedding(lc.tensor(idx, shape), wt);
        expect(y.shape).toEqual([...shape, D]);
        expect(Array.from(y.toFloat32Array())).toEqual(Array.from(ref.out));
        y.backward(t(dy, [...shape, D]));
        expectClose(wt.grad!.toFloat32Array(), ref.dw, TOL);
        wt.grad!.dispose();
      });
    });
  }

  test('the gradient does not depend on the thread count (deterministic)', () => {
    const n = 20000;
    const idx = Array.from(randomArray(n, 5), (v) => Math.floor(((v + 1) / 2) * 8)); // many repeats
    const dy = randomArray(n * 4, 6);
    const run = () =>
      lc.tidy(() => {
        const wt = lc.zeros([8, 4], { requiresGrad: true });
        lc.embedding(lc.tensor(idx, [n]), wt).backward(t(dy, [n, 4]));
        const g = Array.from(wt.grad!.toFloat32Array());
        wt.grad!.dispose();
        return g;
      });
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      return run();
    });
  });

  test('finite differences in weight', () => {
    const idx = lc.tensor([1, 0, 1, 3], [4]);
    checkGradients(([w]) => lc.embedding(idx, w), [randomArray(12, 1)], [[4, 3]]);
    idx.dispose();
  });

  test('bad input', () => {
    const w = lc.zeros([5, 2]);
    const bad = [lc.tensor([0, 5], [2]), lc.tensor([-1], [1]), lc.tensor([1, 2, 2.5], [3]), lc.tensor([NaN], [1])];
    expectBadInput(() => lc.embedding(bad[0], w), RangeError, /^indices \(flat position 1\): expected an integer in \[0, 5\) \(V = the rows of weight \[5,2\]\), got 5/);
    expectBadInput(() => lc.embedding(bad[1], w), RangeError, /^indices \(flat position 0\): expected .*got -1/);
    expectBadInput(() => lc.embedding(bad[2], w), RangeError, /^indices \(flat position 2\): expected .*got 2.5/);
    expectBadInput(() => lc.embedding(bad[3], w), RangeError, /^indices \(flat position 0\): expected .*got NaN/);
    expectBadInput(() => lc.embedding(bad[1], bad[0]), RangeError, /^weight: expected rank 2 \(\[V,D\]\), got shape \[2\]/);
    expectBadInput(() => lc.embedding(bad[0], fakeTensor([5, 2])), TypeError, /^weight: expected device 'cpu' \(the device of indices\), got 'cuda'/);
    expectBadInput(() => lc.embedding([0, 1] as never, w), TypeError, /^indices: expected a Tensor, got an array/);
    expectBadInput(() => lc.embedding(bad[0], disposedTensor([5, 2])), TypeError, /^weight: expected a live Tensor, got a disposed one/);
    lc.dispose([w, ...bad]);
  });
});

function poolReference(x: Float64Array, mask: Float64Array | null, B: number, H: number, L: number, dy: Float64Array) {
  const out = new Float64Array(B * H);
  const dx = new Float64Array(B * H * L);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let l = 0; l < L; l++) count += mask ? mask[b * L + l] : 1;
    const inv = count > 0 ? 1 / count : 0;
    for (let h = 0; h < H; h++)
      for (let l = 0; l < L; l++) {
        const m = mask ? mask[b * L + l] : 1;
        out[b * H + h] += x[(b * H + h) * L + l] * m * inv;
        dx[(b * H + h) * L + l] = dy[b * H + h] * m * inv;
      }
  }
  return { out, dx };
}

describe('maskedMeanPool', () => {
  for (const [B, H, L] of [[1, 1, 1], [2, 3, 7], [3, 5, 64], [4, 128, 1001]]) {
    for (const masked of [false, true]) {
      test(`B=${B} H=${H} L=${L} ${masked ? 'with' : 'without'} mask`, () => {
        const x = randomArray(B * H * L, L);
        const mask = masked ? Float64Array.from(randomArray(B * L, B), (v, i) => (i % L === 0 || v > 0 ? 1 : 0)) : null;
        const dy = randomArray(B * H, H + 1);
        const ref = poolReference(x, mask, B, H, L, dy);
        lc.tidy(() => {
          const xt = t(x, [B, H, L], { requiresGrad: true });
          const y = lc.maskedMeanPool(xt, mask && t(mask, [B, L]));
          expect(y.shape).toEqual([B, H]);
          expectClose(y.toFloat32Array(), ref.out, TOL);
          y.backward(t(dy, [B, H]));
          expectClose(xt.grad!.toFloat32Array(), ref.dx, TOL);
          xt.grad!.dispose();
        });
      });
    }
  }

  test('a row with an all-zero mask gives 0; finite differences', () => {
    lc.tidy(() => {
      const y = lc.maskedMeanPool(lc.ones([2, 2, 3]), lc.tensor([1, 0, 1, 0, 0, 0], [2, 3]));
      expect(Array.from(y.toFloat32Array())).toEqual([1, 1, 0, 0]);
    });
    const mask = lc.tensor([1, 1, 0, 1, 0, 1, 1, 1], [2, 4]);
    checkGradients(([x]) => lc.maskedMeanPool(x, mask), [randomArray(24, 3)], [[2, 3, 4]]);
    mask.dispose();
  });

  test('bad input', () => {
    const x = lc.zeros([2, 3, 4]);
    const m = lc.zeros([2, 5]);
    expectBadInput(() => lc.maskedMeanPool(x, m), RangeError, /^mask: expected shape \[2,4\] \(\[B,L\] of x \[2,3,4\]\), got \[2,5\]/);
    expectBadInput(() => lc.maskedMeanPool(m), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[2,5\]/);
    expectBadInput(() => lc.maskedMeanPool(x, fakeTensor([2, 4])), TypeError, /^mask: expected device 'cpu' \(the device of x\), got 'cuda'/);
    const empty = lc.zeros([2, 3, 0]);
    expectBadInput(() => lc.maskedMeanPool(empty), RangeError, /^x: expected every dimension >= 1, got shape \[2,3,0\]/);
    expectBadInput(() => lc.maskedMeanPool(disposedTensor([1, 1, 1])), TypeError, /^x: expected a live Tensor, got a disposed one/);
    lc.dispose([x, m, empty]);
  });
});

test('memory stays flat over repeated forward and backward', () => {
  const w = lc.randn([10, 8], { seed: 1, requiresGrad: true });
  const idx = lc.tensor([1, 2, 3, 9, 0, 1], [2, 3]);
  const mask = lc.tensor([1, 1, 0, 1, 1, 1], [2, 3]);
  const step = () =>
    lc.tidy(() => {
      const e = lc.transpose(lc.embedding(idx, w), 1, 2); // [2, 8, 3]
      lc.maskedMeanPool(lc.dropout(e, 0.3, { seed: 1 }), mask).backward(lc.ones([2, 8]));
      w.grad!.dispose();
      w.grad = null;
    });
  expectMemoryFlat(step, 'cpu', 5);
  lc.dispose([w, idx, mask]);
});

cudaSuite('dropout, embedding, maskedMeanPool')('dropout, embedding and maskedMeanPool: CUDA equals the CPU backend', () => {
  test('dropout: the same mask on both devices, forward and backward', () => {
    const { gpu: onGpu, cpu } = compareOp([opInput([3, 100001], 6)], ([x]) => lc.dropout(x, 0.3, { seed: 12345 }), 1e-7);
    onGpu.forEach((g, i) => expect(Array.from(g.map((v) => (v === 0 ? 0 : 1)))).toEqual(Array.from(cpu[i].map((v) => (v === 0 ? 0 : 1)))));
  });

  // The last three: more rows than the backward's 1024 blocks (several rows per block) and more
  // indices than a block has threads.
  for (const [V, D, n] of [[5, 3, 7], [1000, 64, 5000], [3, 300, 20000], [100000, 8, 3000], [5000, 9, 30000], [1025, 1, 2049]]) {
    test(`embedding V=${V} D=${D} n=${n}: equal, and the gradient is deterministic`, () => {
      const idx: OpInput = { data: Float64Array.from(randomArray(n, V), (v) => Math.min(V - 1, Math.floor(((v + 1) / 2) * V))), shape: [n], grad: false };
      const f = ([i, w]: lc.Tensor[]) => lc.embedding(i, w);
      const inputs = [idx, opInput([V, D], 7)];
      const { gpu: first } = compareOp(inputs, f, 1e-6);
      const again = runOp(gpu, inputs, f);
      expect(Array.from(again[1])).toEqual(Array.from(first[1]));
    });
  }

  for (const [B, H, L] of [[1, 1, 1], [3, 5, 70], [8, 128, 1024]]) {
    test(`maskedMeanPool B=${B} H=${H} L=${L}`, () => {
      const mask: OpInput = { data: Float64Array.from(randomArray(B * L, 8), (v, i) => (i % L === 0 || v > 0 ? 1 : 0)), shape: [B, L], grad: false };
      compareOp([opInput([B, H, L], 9), mask], ([x, m]) => lc.maskedMeanPool(x, m));
      compareOp([opInput([B, H, L], 9)], ([x]) => lc.maskedMeanPool(x));
    });
  }

  test('device memory stays flat over repeated forward and backward of the nn ops', () => {
    const x = lc.randn([4, 16, 64], { device: gpu, seed: 1, requiresGrad: true });
    const w = lc.randn([50, 16], { device: gpu, seed: 2, requiresGrad: true });
    const idx = lc.tensor([1, 2, 3, 49], [4], { device: gpu });
    const step = () =>
      lc.tidy(() => {
        const h = lc.layerNorm(lc.dropout(lc.gelu(x), 0.1), null, null, { axis: 1 });
        const pooled = lc.add(lc.maskedMeanPool(lc.glu(lc.concat([h, h], 1), 1)), lc.embedding(idx, w));
        lc.add(lc.crossEntropy(pooled, [0, 1, 2, 3]), lc.mse(pooled, lc.zeros([4, 16], { device: gpu }))).backward();
        for (const p of [x, w]) {
          p.grad!.dispose();
          p.grad = null;
        }
      });
    expectMemoryFlat(step, gpu, 5);
    lc.dispose([x, w, idx]);
  });
});

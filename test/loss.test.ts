// crossEntropy and mse against float64 references; gradients (references and finite
// differences); label validation; bad input; flat memory; CUDA against the CPU backend.
import * as lc from '../lib';
import { compareOp, cudaCases, cudaSuite, OpInput, opInput } from './devices';
import { checkGradients, disposedTensor, expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, t } from './helpers';

function crossEntropyReference(x: Float64Array, labels: number[], B: number, C: number) {
  let loss = 0;
  const grad = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const row = x.subarray(b * C, (b + 1) * C);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    loss += (max + Math.log(sum) - row[labels[b]]) / B;
    for (let c = 0; c < C; c++) grad[b * C + c] = (Math.exp(row[c] - max) / sum - (c === labels[b] ? 1 : 0)) / B;
  }
  return { loss, grad };
}

const labelsFor = (B: number, C: number, seed: number) => Array.from(randomArray(B, seed), (v) => Math.min(C - 1, Math.floor(((v + 1) / 2) * C)));

describe('crossEntropy', () => {
  for (const [B, C] of [[1, 1], [1, 2], [3, 5], [64, 10], [7, 1000], [5000, 3]]) {
    test(`B=${B} C=${C}: loss and gradient`, () => {
      const x = randomArray(B * C, B + C).map((v) => Math.fround(4 * v));
      const labels = labelsFor(B, C, C);
      const ref = crossEntropyReference(x, labels, B, C);
      lc.tidy(() => {
        const xt = t(x, [B, C], { requiresGrad: true });
        const loss = lc.crossEntropy(xt, labels);
        expect(loss.shape).toEqual([]);
        expectClose(loss.toFloat32Array(), [ref.loss], 1e-6);
        loss.backward(lc.full([], 2));
        expectClose(xt.grad!.toFloat32Array(), ref.grad.map((g) => 2 * g), 1e-6);
        xt.grad!.dispose();
      });
    });
  }

  test('labels as Int32Array, number[] or a tensor give the same loss', () => {
    const x = randomArray(12, 1);
    lc.tidy(() => {
      const xt = t(x, [4, 3]);
      const ref = crossEntropyReference(x, [0, 2, 1, 2], 4, 3).loss;
      for (const labels of [[0, 2, 1, 2], Int32Array.from([0, 2, 1, 2]), lc.tensor([0, 2, 1, 2], [4])]) {
        expectClose(lc.crossEntropy(xt, labels).toFloat32Array(), [ref], 1e-6);
      }
    });
  });

  test('numerically stable for large logits', () => {
    const x = Float64Array.from([1e4, 0, -1e4, 3e4, 3e4 + 1, 3e4 - 2]);
    const ref = crossEntropyReference(x, [1, 0], 2, 3);
    lc.tidy(() => {
      const xt = t(x, [2, 3], { requiresGrad: true });
      const loss = lc.crossEntropy(xt, [1, 0]);
      expectClose(loss.toFloat32Array(), [ref.loss], 1e-6);
      loss.backward();
      expectClose(xt.grad!.toFloat32Array(), ref.grad, 1e-6);
      xt.grad!.dispose();
    });
  });

  test('finite differences', () => {
    const labels = [2, 0, 1];
    checkGradients(([x]) => lc.crossEntropy(x, labels), [randomArray(12, 4).map((v) => 2 * v)], [[3, 4]], { h: 1e-3 });
  });

  test('bad input', () => {
    const x = lc.zeros([2, 3]);
    expectBadInput(() => lc.crossEntropy(x, [0, 3]), RangeError, /^labels\[1\]: expected an integer in \[0, 2\], got 3/);
    expectBadInput(() => lc.crossEntropy(x, Int32Array.from([-1, 0])), RangeError, /^labels\[0\]: expected an integer in \[0, 2\], got -1/);
    expectBadInput(() => lc.crossEntropy(x, [0, 1.5]), TypeError, /^labels\[1\]: expected an integer in \[0, 2\], got number 1.5/);
    expectBadInput(() => lc.crossEntropy(x, [0, 'a'] as never), TypeError, /^labels\[1\]: expected an integer in \[0, 2\], got string a/);
    const tooMany = lc.tensor([0, 1, 2], [3]);
    expectBadInput(() => lc.crossEntropy(x, tooMany), RangeError, /^labels: expected shape \[2\] \(\[B\] of logits \[2,3\]\), got \[3\]/);
    expectBadInput(() => lc.crossEntropy(x, [0]), RangeError, /^labels: expected 2 labels \(B of logits \[2,3\]\), got 1/);
    expectBadInput(() => lc.crossEntropy(x, fakeTensor([2])), TypeError, /^labels: expected device 'cpu' \(the device of logits\), got 'cuda'/);
    expectBadInput(() => lc.crossEntropy(x, new Float32Array(2) as never), TypeError, /^labels: expected an Int32Array, a number\[\] or a Tensor/);
    expectBadInput(() => lc.crossEntropy(tooMany, [0]), RangeError, /^logits: expected rank 2 \(\[B,C\]\), got shape \[3\]/);
    expectBadInput(() => lc.crossEntropy(disposedTensor([2, 3]), [0, 1]), TypeError, /^logits: expected a live Tensor, got a disposed one/);
    expectBadInput(() => lc.crossEntropy(x, disposedTensor([2])), TypeError, /^labels: expected a live Tensor, got a disposed one/);
    lc.dispose([x, tooMany]);
  });
});

describe('mse', () => {
  for (const shape of [[1], [7], [3, 33], [5, 4, 20001]]) {
    test(`shape [${shape}]: loss and gradients`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const a = randomArray(n, n);
      const b = randomArray(n, n + 1);
      let ref = 0;
      for (let i = 0; i < n; i++) ref += (a[i] - b[i]) ** 2 / n;
      lc.tidy(() => {
        const at = t(a, shape, { requiresGrad: true });
        const bt = t(b, shape, { requiresGrad: true });
        const loss = lc.mse(at, bt);
        expect(loss.shape).toEqual([]);
        expectClose(loss.toFloat32Array(), [ref], 1e-6);
        loss.backward();
        const da = a.map((v, i) => (2 * (v - b[i])) / n);
        expectClose(at.grad!.toFloat32Array(), da, 1e-6);
        expectClose(bt.grad!.toFloat32Array(), da.map((v) => -v), 1e-6);
        lc.dispose([at.grad, bt.grad]);
      });
    });
  }

  test('finite differences; the result does not depend on the thread count', () => {
    checkGradients(([a, b]) => lc.mse(a, b), [randomArray(15, 1), randomArray(15, 2)], [[3, 5], [3, 5]]);
    const a = randomArray(300000, 3);
    const run = () => lc.tidy(() => lc.mse(t(a, [300000]), lc.zeros([300000])).toFloat32Array()[0]);
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      return run();
    });
  });

  test('bad input', () => {
    const a = lc.zeros([2, 3]);
    const b = lc.zeros([3, 2]);
    const empty = lc.zeros([0]);
    expectBadInput(() => lc.mse(a, b), RangeError, /^b: expected shape \[2,3\] \(the shape of a\), got \[3,2\]/);
    expectBadInput(() => lc.mse(a, fakeTensor([2, 3])), TypeError, /^b: expected device 'cpu' \(the device of a\), got 'cuda'/);
    expectBadInput(() => lc.mse(empty, empty), RangeError, /^a: expected at least one element, got shape \[0\]/);
    expectBadInput(() => lc.mse(a, 1 as never), TypeError, /^b: expected a Tensor, got number 1/);
    expectBadInput(() => lc.mse(disposedTensor([2, 3]), a), TypeError, /^a: expected a live Tensor, got a disposed one/);
    lc.dispose([a, b, empty]);
  });
});

test('memory stays flat over repeated forward and backward', () => {
  const x = lc.randn([8, 5], { seed: 1, requiresGrad: true });
  const target = lc.randn([8, 5], { seed: 2 });
  const labels = [0, 1, 2, 3, 4, 0, 1, 2];
  const step = () =>
    lc.tidy(() => {
      lc.add(lc.crossEntropy(x, labels), lc.mse(x, target)).backward();
      x.grad!.dispose();
      x.grad = null;
    });
  expectMemoryFlat(step, 'cpu', 5);
  lc.dispose([x, target]);
});

cudaSuite('losses')('crossEntropy and mse: CUDA equals the CPU backend', () => {
  for (const [B, C] of cudaCases([[1, 1], [64, 10], [7, 5000], [100000, 3]], [[1, 1], [64, 10], [7, 5000]])) {
    test(`crossEntropy B=${B} C=${C}`, () => {
      const labels = labelsFor(B, C, 10);
      const labelTensor: OpInput = { data: Float64Array.from(labels), shape: [B], grad: false };
      compareOp([opInput([B, C], 11, true, 4)], ([x]) => lc.crossEntropy(x, labels));
      compareOp([opInput([B, C], 11, true, 4), labelTensor], ([x, l]) => lc.crossEntropy(x, l));
    });
  }

  for (const n of cudaCases([1, 1000, 3000001], [1, 1000])) {
    test(`mse n=${n}`, () => {
      compareOp([opInput([n], 12), opInput([n], 13)], ([a, b]) => lc.mse(a, b));
    });
  }
});

// The CUDA kernels of the nn ops (activations, glu, layerNorm, dropout, embedding,
// maskedMeanPool, crossEntropy, mse) against the CPU backend. Runs only where CUDA is available.
import * as lc from '../lib';
import { cudaSuite, expectClose, expectMemoryFlat, randomArray, t } from './helpers';

const describeCuda = cudaSuite('nn ops');

type Inputs = { data: Float64Array; shape: number[]; grad: boolean }[];

/**
 * Runs f on both devices with the same inputs and output gradient; returns the output and the
 * input gradients from each, as host arrays.
 */
function onDevice(device: lc.Device, inputs: Inputs, f: (ts: lc.Tensor[]) => lc.Tensor, seed: number): Float32Array[] {
  return lc.tidy(() => {
    const ts = inputs.map((x) => t(x.data, x.shape, { device, requiresGrad: x.grad }));
    const y = f(ts);
    y.backward(t(randomArray(y.size, seed), [...y.shape], { device }));
    const out = [y.toFloat32Array(), ...ts.filter((x) => x.requiresGrad).map((x) => x.grad!.toFloat32Array())];
    lc.dispose(ts.map((x) => x.grad));
    return out;
  });
}

function compare(inputs: Inputs, f: (ts: lc.Tensor[]) => lc.Tensor, tol = 1e-5): Float32Array[][] {
  const gpu = onDevice('cuda', inputs, f, 99);
  const cpu = onDevice('cpu', inputs, f, 99);
  gpu.forEach((g, i) => expectClose(g, cpu[i], tol));
  return [gpu, cpu];
}

const input = (shape: number[], seed: number, grad = true, scale = 1) => ({
  data: randomArray(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.fround(v * scale)),
  shape,
  grad,
});

describeCuda('nn ops: CUDA equals the CPU backend', () => {
  for (const shape of [[7], [3, 1000, 33]]) {
    test(`activations [${shape}]`, () => {
      for (const op of [lc.gelu, lc.sigmoid, lc.tanh, lc.relu]) compare([input(shape, 1, true, 5)], ([x]) => op(x));
    });
  }

  for (const [shape, axis] of [[[6], 0], [[3, 8, 5], 1], [[5, 2, 64], -1]] as [number[], number][]) {
    test(`glu [${shape}] axis ${axis}`, () => {
      compare([input(shape, 2, true, 3)], ([x]) => lc.glu(x, axis));
    });
  }

  for (const [shape, axis] of [[[9], 0], [[4, 128, 257], 1], [[1000, 64], -1], [[3, 5, 7], 0], [[2, 4096], -1]] as [number[], number][]) {
    test(`layerNorm [${shape}] axis ${axis}`, () => {
      const n = shape[axis < 0 ? axis + shape.length : axis];
      compare([input(shape, 3, true, 2), input([n], 4), input([n], 5)], ([x, w, b]) => lc.layerNorm(x, w, b, { axis }), 2e-5);
      compare([input(shape, 3, true, 2)], ([x]) => lc.layerNorm(x, null, null, { axis }), 2e-5);
    });
  }

  test('dropout: the same mask on both devices, forward and backward', () => {
    const [gpu, cpu] = compare([input([3, 100001], 6)], ([x]) => lc.dropout(x, 0.3, { seed: 12345 }), 1e-7);
    gpu.forEach((g, i) => expect(Array.from(g.map((v) => (v === 0 ? 0 : 1)))).toEqual(Array.from(cpu[i].map((v) => (v === 0 ? 0 : 1)))));
  });

  for (const [V, D, n] of [[5, 3, 7], [1000, 64, 5000], [3, 300, 20000], [100000, 8, 3000]]) {
    test(`embedding V=${V} D=${D} n=${n}: equal, and the gradient is deterministic`, () => {
      const idx = { data: Float64Array.from(randomArray(n, V), (v) => Math.min(V - 1, Math.floor(((v + 1) / 2) * V))), shape: [n], grad: false };
      const f = ([i, w]: lc.Tensor[]) => lc.embedding(i, w);
      const inputs = [idx, input([V, D], 7)];
      const [gpu] = compare(inputs, f, 1e-6);
      const again = onDevice('cuda', inputs, f, 99);
      expect(Array.from(again[1])).toEqual(Array.from(gpu[1]));
    });
  }

  for (const [B, H, L] of [[1, 1, 1], [3, 5, 70], [8, 128, 1024]]) {
    test(`maskedMeanPool B=${B} H=${H} L=${L}`, () => {
      const mask = { data: Float64Array.from(randomArray(B * L, 8), (v, i) => (i % L === 0 || v > 0 ? 1 : 0)), shape: [B, L], grad: false };
      compare([input([B, H, L], 9), mask], ([x, m]) => lc.maskedMeanPool(x, m));
      compare([input([B, H, L], 9)], ([x]) => lc.maskedMeanPool(x));
    });
  }

  for (const [B, C] of [[1, 1], [64, 10], [7, 5000], [100000, 3]]) {
    test(`crossEntropy B=${B} C=${C}`, () => {
      const labels = Array.from(randomArray(B, 10), (v) => Math.min(C - 1, Math.floor(((v + 1) / 2) * C)));
      compare([input([B, C], 11, true, 4)], ([x]) => lc.crossEntropy(x, labels));
      compare([input([B, C], 11, true, 4), { data: Float64Array.from(labels), shape: [B], grad: false }], ([x, l]) => lc.crossEntropy(x, l));
    });
  }

  for (const n of [1, 1000, 3000001]) {
    test(`mse n=${n}`, () => {
      compare([input([n], 12), input([n], 13)], ([a, b]) => lc.mse(a, b));
    });
  }

  test('device memory stays flat over repeated forward and backward', () => {
    const x = lc.randn([4, 16, 64], { device: 'cuda', seed: 1, requiresGrad: true });
    const w = lc.randn([50, 16], { device: 'cuda', seed: 2, requiresGrad: true });
    const idx = lc.tensor([1, 2, 3, 49], [4], { device: 'cuda' });
    const step = () =>
      lc.tidy(() => {
        const h = lc.layerNorm(lc.dropout(lc.gelu(x), 0.1), null, null, { axis: 1 });
        const pooled = lc.add(lc.maskedMeanPool(lc.glu(lc.concat([h, h], 1), 1)), lc.embedding(idx, w));
        lc.add(lc.crossEntropy(pooled, [0, 1, 2, 3]), lc.mse(pooled, lc.zeros([4, 16], { device: 'cuda' }))).backward();
        for (const p of [x, w]) {
          p.grad!.dispose();
          p.grad = null;
        }
      });
    expectMemoryFlat(step, 'cuda', 5);
    lc.dispose([x, w, idx]);
  });
});

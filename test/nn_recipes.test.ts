// What the papers' recipes add to the layers: BatchNorm (module), tied dropout, the final norm
// of pre-norm models and the two-tower retrieval head — against float64 references, finite
// differences and the properties that define them.
import * as lc from '../lib';
import { checkGradients, expectBadInput, expectClose, randomArray, t } from './helpers';
import { parameterGradErrors } from './nn_helpers';
import { erf } from './reference';

describe('BatchNorm module', () => {
  test('training normalises with batch statistics and updates running_mean/running_var; eval uses them', () => {
    const bn = new lc.nn.BatchNorm(3);
    expect(bn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(bn.namedBuffers().map(([n]) => n)).toEqual(['running_mean', 'running_var']);
    const x = randomArray(2 * 3 * 5, 1).map((v) => 4 + v);
    lc.tidy(() => {
      const xt = t(x, [2, 3, 5]);
      const y = bn.forward(xt).toFloat32Array();
      const expected = lc.batchNorm(xt, null, null).toFloat32Array();
      expectClose(y, expected, 1e-6);
      const stats = bn.stateDict();
      const channelMean = [0, 1, 2].map((c) => [0, 1].flatMap((b) => Array.from(x.subarray((b * 3 + c) * 5, (b * 3 + c + 1) * 5))).reduce((a, v) => a + v, 0) / 10);
      expectClose(stats.running_mean.toFloat32Array(), channelMean.map((m) => 0.1 * m), 1e-5);
      bn.eval();
      const rm = stats.running_mean.toFloat32Array(), rv = stats.running_var.toFloat32Array();
      expectClose(bn.forward(xt).toFloat32Array(), Array.from(x, (v, k) => { const c = Math.floor(k / 5) % 3; return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5); }), 1e-5);
      bn.train();
    });
    bn.dispose();
  });

  test('parameter gradients against finite differences; bad input', () => {
    const bn = new lc.nn.BatchNorm(4);
    lc.tidy(() => bn.loadStateDict({ weight: lc.tensor([1.5, -0.5, 2, 1], [4]), bias: lc.tensor([0.1, 0.2, -0.3, 0], [4]) }, { strict: false }));
    const x = lc.randn([3, 4, 6], { seed: 3 });
    for (const [name, err] of Object.entries(parameterGradErrors(bn, () => bn.forward(x), 5, 1e-2))) expect([name, err < 1e-2]).toEqual([name, true]);
    expectBadInput(() => bn.forward(lc.zeros([2, 5, 3])), RangeError, /x: expected size 4 along axis 1 \(size\), got shape \[2,5,3\]/);
    expectBadInput(() => new lc.nn.BatchNorm(4, { momentum: 3 }), RangeError, /options\.momentum: expected a finite number in \[0, 1\], got 3/);
    x.dispose();
    bn.dispose();
  });
});

test('tied dropout: one mask value per (example, channel), shared along L; scaled by 1/(1 − p)', () => {
  const drop = new lc.nn.Dropout(0.5, { tied: true });
  lc.seed(11);
  lc.tidy(() => {
    const x = lc.ones([4, 8, 16], { requiresGrad: true });
    const y = drop.forward(x);
    const v = y.toFloat32Array();
    const rows = Array.from({ length: 32 }, (_, r) => new Set(v.subarray(r * 16, (r + 1) * 16)));
    rows.forEach((r) => expect(r.size).toBe(1));
    const kept = rows.map((r) => [...r][0]);
    expect(new Set(kept)).toEqual(new Set([0, 2]));
    y.backward(lc.ones([4, 8, 16]));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual(Array.from(v));
    x.grad!.dispose();
    drop.eval();
    expect(Array.from(drop.forward(x).toFloat32Array())).toEqual(new Array(512).fill(1));
  });
});

describe('RetrievalHead (two towers: MLP([a, b, a − b, a·b]))', () => {
  const D = 3, C = 2, B = 5;
  test('forward against float64; finite differences in a, b and the parameters', () => {
    const head = new lc.nn.RetrievalHead(D, C, { seed: 4 });
    expect(head.namedParameters().map(([n]) => n)).toEqual(['classifier.0.weight', 'classifier.0.bias', 'classifier.2.weight', 'classifier.2.bias']);
    const [w1, b1, w2, b2] = head.parameters().map((p) => Float64Array.from(p.toFloat32Array()));
    const a = randomArray(B * D, 1), b = randomArray(B * D, 2);
    const expected: number[] = [];
    for (let i = 0; i < B; i++) {
      const ai = Array.from(a.subarray(i * D, (i + 1) * D)), bi = Array.from(b.subarray(i * D, (i + 1) * D));
      const f = [...ai, ...bi, ...ai.map((v, k) => v - bi[k]), ...ai.map((v, k) => v * bi[k])];
      const hidden = Array.from({ length: D }, (_, o) => {
        const z = f.reduce((s, v, k) => s + v * w1[o * 4 * D + k], b1[o]);
        return 0.5 * z * (1 + erf(z / Math.SQRT2));
      });
      for (let c = 0; c < C; c++) expected.push(hidden.reduce((s, v, k) => s + v * w2[c * D + k], b2[c]));
    }
    lc.tidy(() => expectClose(head.forward(t(a, [B, D]), t(b, [B, D])).toFloat32Array(), expected, 1e-5));
    checkGradients(([x, y]) => head.forward(x, y), [a, b], [[B, D], [B, D]], { h: 1e-3 });
    const at = t(a, [B, D]), bt = t(b, [B, D]);
    for (const [name, err] of Object.entries(parameterGradErrors(head, () => head.forward(at, bt), 7, 1e-2))) expect([name, err < 1e-2]).toEqual([name, true]);
    expectBadInput(() => head.forward(at, lc.zeros([B, D + 1])), RangeError, /b: expected shape \[5,3\] \(the shape of a\), got \[5,4\]/);
    lc.dispose([at, bt]);
    head.dispose();
  });

  test('in the classifier: pair i\'s logits depend on its two sequences only; odd counts are refused', () => {
    const model = new lc.nn.SequenceClassifier({ nTokens: 10, dModel: 8, nLayers: 1, layer: { type: 's4d', dState: 4, bidirectional: true }, nClasses: 2, head: 'retrieval', seed: 2 });
    model.eval();
    const ids = Array.from({ length: 6 * 7 }, (_, i) => (i * 7) % 10);
    const logits = (x: number[]) => lc.tidy(() => Array.from(model.forward(lc.tensor(x, [6, 7])).toFloat32Array()));
    const base = logits(ids);
    expect(base).toHaveLength(3 * 2);
    const changed = [...ids];
    for (let l = 0; l < 7; l++) changed[1 * 7 + l] = (changed[1 * 7 + l] + 3) % 10; // the first sequence of pair 1
    const after = logits(changed);
    expect(after.slice(0, 2)).toEqual(base.slice(0, 2));
    expect(after.slice(4, 6)).toEqual(base.slice(4, 6));
    expect(after.slice(2, 4)).not.toEqual(base.slice(2, 4));
    expectBadInput(() => model.forward(lc.zeros([5, 7])), RangeError, /x: expected an even count of sequences for head 'retrieval' .*got odd count 5/);
    model.dispose();
  });
});

test('classifier options: batch norm in the blocks, a final norm, tied dropout — names and training', () => {
  const model = new lc.nn.SequenceClassifier({
    dInput: 2, dModel: 6, nLayers: 2, layer: { type: 's4d', dState: 4 }, nClasses: 3, prenorm: true, finalNorm: true, norm: 'batch', tiedDropout: true, dropout: 0.1, seed: 3,
  });
  const names = model.namedParameters().map(([n]) => n);
  expect(names.filter((n) => n.includes('norm'))).toEqual(['layers.0.norm.weight', 'layers.0.norm.bias', 'layers.1.norm.weight', 'layers.1.norm.bias', 'norm.weight', 'norm.bias']);
  expect(model.namedBuffers().map(([n]) => n)).toEqual(['layers.0.norm.running_mean', 'layers.0.norm.running_var', 'layers.1.norm.running_mean', 'layers.1.norm.running_var', 'norm.running_mean', 'norm.running_var']);
  const optimizer = new lc.optim.AdamW(model, { lr: 0.02 });
  // Learnable: channel 0 carries the class, plus noise.
  const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  const noise = randomArray(12 * 16 * 2, 5);
  const x = lc.tensor(Float32Array.from(noise, (v, k) => v + (k % 2 === 0 ? labels[Math.floor(k / 32)] : 0)), [12, 16, 2]);
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) {
    lc.tidy(() => {
      const loss = lc.crossEntropy(model.forward(x), labels);
      loss.backward();
      optimizer.step();
      optimizer.zeroGrad();
      losses.push(loss.toFloat32Array()[0]);
    });
  }
  expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
  x.dispose();
  optimizer.dispose();
  model.dispose();
});

test('SGConv decay [min, max]: channel h decays by linspace(min, max, H)[h] (the reference\'s decay_min/max)', () => {
  const H = 5, L = 40;
  const layer = new lc.nn.SGConv(H, { lMax: L, kernelDim: 4, decay: [1, 3], seed: 2 });
  const subKernels = Array.from({ length: layer.numScales }, (_, i) => layer.stateDict()[`kernel_list.${i}`]);
  lc.tidy(() => {
    const expected = lc.kernels.sgconv(subKernels, L, { multiplier: [1, 1.5, 2, 2.5, 3] }).kernel.toFloat32Array();
    expectClose(layer.kernel(L).toFloat32Array(), expected, 1e-6);
  });
  const x = lc.randn([2, H, L], { seed: 3 });
  for (const [name, err] of Object.entries(parameterGradErrors(layer, () => layer.forward(x), 9, 1e-2))) expect([name, err < 1e-2]).toEqual([name, true]);
  expectBadInput(() => new lc.nn.SGConv(H, { lMax: L, decay: [1, 0] }), RangeError, /options\.decay\[1\]: expected a finite number > 0, got 0/);
  expectBadInput(() => new lc.nn.SGConv(H, { lMax: L, decay: [1, 2, 3] as never }), TypeError, /options.decay: expected a number or \[min, max\]/);
  x.dispose();
  layer.dispose();
});

test('MultiresConv independentSkipInit: the skip column ~ U(−1, 1), the rest as the default init', () => {
  const plain = new lc.nn.MultiresConv(64, { lMax: 100, seed: 4 });
  const indep = new lc.nn.MultiresConv(64, { lMax: 100, seed: 4, independentSkipInit: true });
  const J2 = plain.depth + 2;
  const [a, b] = [plain, indep].map((m) => m.stateDict().w.toFloat32Array());
  const skip = Array.from({ length: 64 }, (_, h) => b[h * J2 + J2 - 1]);
  for (let h = 0; h < 64; h++) for (let j = 0; j < J2 - 1; j++) expect(b[h * J2 + j]).toBe(a[h * J2 + j]);
  expect(Math.max(...skip.map(Math.abs))).toBeLessThanOrEqual(1);
  expect(Math.max(...skip.map(Math.abs))).toBeGreaterThan(Math.sqrt(2 / (2 * J2))); // not the scaled bound
  plain.dispose();
  indep.dispose();
});

describe('MultiresConv bidirectional: an anti-causal tree on the reversed sequence', () => {
  const H = 3, L = 11;
  test('the output is GELU(tree(x) + flip(tree_rev(flip(x)))); parameter names; gradients', () => {
    const layer = new lc.nn.MultiresConv(H, { lMax: 16, kernelSize: 3, bidirectional: true, seed: 5 });
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['h0', 'h1', 'w', 'h0_rev', 'h1_rev', 'w_rev']);
    const p = layer.stateDict();
    const x = lc.randn([2, H, L], { seed: 6 });
    lc.tidy(() => {
      // The layer pads to lMax = 16 and cuts back: so does this composition of tested ops.
      const tree = (u: lc.Tensor, s: string) => lc.narrow(lc.multiresConv(lc.pad(u, 2, 0, 16 - L), p[`h0${s}`], p[`h1${s}`], p[`w${s}`], { depth: layer.depth }), 2, 0, L);
      const expected = lc.gelu(lc.add(tree(x, ''), lc.flip(tree(lc.flip(x, 2), '_rev'), 2)));
      expectClose(layer.forward(x).toFloat32Array(), expected.toFloat32Array(), 1e-6);
    });
    for (const [name, err] of Object.entries(parameterGradErrors(layer, () => layer.forward(x), 3, 1e-2))) expect([name, err < 1e-2]).toEqual([name, true]);
    x.dispose();
    layer.dispose();
  });

  test('a change at the last position reaches every output (causal: only the last)', () => {
    const outputs = (bidirectional: boolean) => {
      const layer = new lc.nn.MultiresConv(H, { lMax: L, bidirectional, seed: 7 });
      const x = randomArray(H * L, 8);
      const y0 = lc.tidy(() => layer.forward(t(x, [1, H, L])).toFloat32Array());
      x[L - 1] += 1; // channel 0, last position
      const y1 = lc.tidy(() => layer.forward(t(x, [1, H, L])).toFloat32Array());
      layer.dispose();
      return Array.from({ length: L }, (_, l) => y1[l] !== y0[l]);
    };
    expect(outputs(false)).toEqual([...new Array(L - 1).fill(false), true]);
    expect(outputs(true).every(Boolean)).toBe(true);
  });
});

test('tied dropout inside the layers: MultiresConv keeps or drops whole (example, channel) rows', () => {
  const layer = new lc.nn.MultiresConv(8, { lMax: 16, dropout: 0.5, tiedDropout: true, seed: 9 });
  const x = lc.randn([4, 8, 16], { seed: 10 });
  lc.seed(3);
  const y = lc.tidy(() => layer.forward(x).toFloat32Array());
  layer.eval();
  const full = lc.tidy(() => layer.forward(x).toFloat32Array());
  for (let r = 0; r < 32; r++) {
    const row = Array.from(y.subarray(r * 16, (r + 1) * 16));
    const kept = Array.from(full.subarray(r * 16, (r + 1) * 16), (v) => Math.fround(2 * v));
    expect(row.every((v) => v === 0) || row.every((v, i) => Math.abs(v - kept[i]) <= 1e-6 * Math.abs(kept[i]))).toBe(true);
  }
  expect(() => new lc.nn.S4D(4, { tiedDropout: 'yes' as never })).toThrow(/options\.tiedDropout: expected a boolean/);
  x.dispose();
  layer.dispose();
});

test('the dropout op with tied: one mask value per row along the last axis, reproducible by seed', () => {
  lc.tidy(() => {
    const x = lc.randn([3, 5, 7], { seed: 1, requiresGrad: true });
    const y = lc.dropout(x, 0.3, { seed: 11, tied: true });
    const again = lc.dropout(x, 0.3, { seed: 11, tied: true }).toFloat32Array();
    expect(Array.from(y.toFloat32Array())).toEqual(Array.from(again));
    const xv = x.toFloat32Array(), yv = y.toFloat32Array();
    for (let r = 0; r < 15; r++) {
      const ratios = new Set(Array.from({ length: 7 }, (_, i) => Math.round((yv[r * 7 + i] / xv[r * 7 + i]) * 1e4)));
      expect(ratios.size).toBe(1);
      expect([0, Math.round(1e4 / 0.7)]).toContain([...ratios][0]);
    }
    y.backward(lc.ones([3, 5, 7]));
    expect(Array.from(x.grad!.toFloat32Array(), (g, i) => Math.fround(g * xv[i]))).toEqual(Array.from(yv));
    x.grad!.dispose();
  });
});

import * as lc from '../lib';
import { cudaSuite } from './devices';
import { expectBadInput, relError, testBadInput } from './helpers';
import { expectCudaMatchesCpu, expectDropoutOnlyInTraining, expectStateDictRoundTrip, expectParameterGradients, expectTrainingMemoryFlat, overfit, values } from './nn_helpers';
import { sgconvReference } from './sgconv_reference';

/** The layer's kernel at length L in float64, from its sub-kernels, multipliers and power-law exponents. */
function layerKernelReference(layer: lc.nn.SGConv, L: number): { kernel: Float64Array; norm: Float64Array } {
  const sd = layer.stateDict();
  const subs = Array.from({ length: layer.numScales }, (_, i) => values(sd[`kernel_list.${i}`]));
  const rows = sd['kernel_list.0'].shape[0];
  return sgconvReference({
    C: rows, H: layer.H, d: layer.kernelDim, S: layer.numScales, initScale: layer.initScale, L, threeD: true, subs,
    multiplier: Array.from(values(sd.multiplier)), powerDecay: sd.decay ? Array.from(values(sd.decay)) : undefined,
  });
}

describe('SGConv layer', () => {
  test('parameters, buffer and groups', () => {
    // lMax 50, d 8: S = 1 + ceil(log2(50/8)) = 4 sub-kernels.
    const layer = new lc.nn.SGConv(3, { kernelDim: 8, lMax: 50, channels: 2, bidirectional: true, glu: true, seed: 1 });
    const infos = Object.fromEntries(layer.namedParameterInfos().map(([n, i]) => [n, [i.tensor.shape, i.group]]));
    expect(infos).toEqual({
      'kernel_list.0': [[4, 3, 8], 'ssm'],
      'kernel_list.1': [[4, 3, 8], 'ssm'],
      'kernel_list.2': [[4, 3, 8], 'ssm'],
      'kernel_list.3': [[4, 3, 8], 'ssm'],
      D: [[2, 3], 'noDecay'],
      'output_linear.weight': [[6, 6], 'default'],
      'output_linear.bias': [[6], 'noDecay'],
    });
    expect(layer.namedBuffers().map(([n, t]) => [n, t.shape])).toEqual([['kernel_norm', [4, 3]], ['multiplier', [3]]]);
    expect(Array.from(layer.stateDict().multiplier.toFloat32Array())).toEqual([2, 2, 2]);
    expect(Object.keys(layer.stateDict())).toContain('kernel_norm');
    expect(new lc.nn.SGConv(3, { kernelDim: 8, lMax: 64, initScale: 1 }).numScales).toBe(3);
    layer.dispose();
  });

  test('the norm is computed at the first forward, then frozen through parameter updates', () => {
    const layer = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, seed: 2 });
    const x = lc.randn([2, 3, 16], { seed: 1 });
    expect(layer.stateDict().kernel_norm.toFloat32Array().every((v) => v === 0)).toBe(true);
    // The norm of the untruncated concatenation, from the kernel op itself.
    const subKernels = layer.namedParameters().filter(([n]) => n.startsWith('kernel_list.')).map(([, t]) => t);
    const expected = lc.tidy(() => lc.noGrad(() => lc.kernels.sgconv(subKernels, 16).norm.toFloat32Array()));
    const optimizer = new lc.optim.AdamW(layer, { lr: 0.1, groups: { ssm: { lr: 0.1 } } });
    lc.tidy(() => lc.mean(lc.square(layer.forward(x))).backward());
    const norm = layer.stateDict().kernel_norm.toFloat32Array();
    expect(norm).toEqual(expected);
    optimizer.step();
    optimizer.zeroGrad();
    const changed = lc.tidy(() => lc.noGrad(() => lc.kernels.sgconv(subKernels, 16).norm.toFloat32Array()));
    expect(changed).not.toEqual(norm);
    lc.tidy(() => lc.mean(lc.square(layer.forward(x))).backward());
    optimizer.step();
    optimizer.zeroGrad();
    expect(layer.stateDict().kernel_norm.toFloat32Array()).toEqual(norm);
    x.dispose();
    layer.dispose();
  });

  test('parameter gradients match central finite differences', () => {
    const configs = [
      { kernelDim: 4, lMax: 13 },
      { kernelDim: 3, lMax: 12, channels: 2, bidirectional: true, glu: true, decay: 1.5, initScale: 1 },
      { kernelDim: 3, lMax: 11, channels: 2, bidirectional: true, glu: true, decay: 1, powerDecay: [0.5, 1.5] as [number, number] },
      { kernelDim: 5, lMax: 17, init: 'cos' as const, decay: [1, 3] as [number, number], powerDecay: 1, initScale: 1 },
    ];
    expectParameterGradients('SGConv', configs, (options) => new lc.nn.SGConv(3, { ...options, seed: 4 }), (options) => options.lMax);
  });

  test('a 2-layer SGConv classifier overfits 8 sequences', () => {
    const { first, last } = overfit((i) => new lc.nn.SGConv(8, { kernelDim: 4, lMax: 16, seed: 30 + i }));
    process.stdout.write(`SGConv classifier loss ${first.toFixed(3)} -> ${last.toFixed(4)}\n`);
    expect(last).toBeLessThan(0.05 * first);
  });

  test('state dict round trip (the frozen norm included) gives identical outputs', () => {
    const x = lc.randn([2, 3, 10], { seed: 3 });
    expectStateDictRoundTrip((seed) => {
      const layer = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 10, channels: 2, seed });
      lc.tidy(() => lc.noGrad(() => layer.forward(x))); // computes its norm
      return layer;
    }, x);
    x.dispose();
  });

  test("decay [min, max]: per-feature multipliers linspace(min, max, H), as GConv's decay_min/decay_max", () => {
    const layer = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, decay: [1.5, 3], seed: 2 });
    expect(Array.from(layer.stateDict().multiplier.toFloat32Array())).toEqual([1.5, 2.25, 3]);
    lc.tidy(() => {
      const subKernels = layer.namedParameters().filter(([n]) => n.startsWith('kernel_list.')).map(([, t]) => t);
      const want = lc.kernels.sgconv(subKernels, 16, { multiplier: [1.5, 2.25, 3] }).kernel.toFloat32Array();
      expect(layer.kernel(16).toFloat32Array()).toEqual(want);
    });
    layer.dispose();
  });

  test("init 'cos': each sub-kernel's rows are cos(2π·k·j/(d−1)) for a random permutation k of 0..H−1, the same for every channel", () => {
    const H = 5, d = 11; // d − 1 > 2(H − 1): no two frequencies k < H alias on d points
    const layer = new lc.nn.SGConv(H, { kernelDim: d, lMax: 50, init: 'cos', channels: 2, bidirectional: true, seed: 3 });
    const sd = layer.stateDict();
    const perms: number[][] = [];
    for (let i = 0; i < layer.numScales; i++) {
      const w = values(sd[`kernel_list.${i}`]);
      const perm: number[] = [];
      for (let h = 0; h < H; h++) {
        const row = w.subarray(h * d, (h + 1) * d);
        const matches = Array.from({ length: H }, (_, k) => k).filter((k) => row.every((v, j) => Math.abs(v - Math.cos((2 * Math.PI * k * j) / (d - 1))) < 1e-6));
        expect(matches).toHaveLength(1);
        perm.push(matches[0]);
        for (let c = 1; c < 4; c++) expect(w.subarray((c * H + h) * d, (c * H + h + 1) * d)).toEqual(row);
      }
      expect([...perm].sort()).toEqual([0, 1, 2, 3, 4]);
      perms.push(perm);
    }
    expect(new Set(perms.map((p) => p.join())).size).toBeGreaterThan(1); // a new permutation per sub-kernel
    const again = new lc.nn.SGConv(H, { kernelDim: d, lMax: 50, init: 'cos', channels: 2, bidirectional: true, seed: 3 });
    expect(values(again.stateDict()['kernel_list.2'])).toEqual(values(sd['kernel_list.2']));
    const one = new lc.nn.SGConv(2, { kernelDim: 1, lMax: 4, init: 'cos', seed: 1 }); // linspace(0, x, 1) = [0]
    expect(Array.from(values(one.stateDict()['kernel_list.0']))).toEqual([1, 1]);
    [layer, again, one].forEach((m) => m.dispose());
  });

  test('powerDecay: the untruncated kernel times (t + 1)^(−a_h), a_h ~ U(min, max), normalised by the frozen norm of that product', () => {
    // H prime, d odd: T = 3·2^3 = 24; L below, at and above T.
    const layer = new lc.nn.SGConv(5, { kernelDim: 3, lMax: 20, channels: 2, bidirectional: true, decay: [1, 2], powerDecay: [0.5, 1.5], seed: 4 });
    expect(layer.fullLength).toBe(24);
    const a = values(layer.stateDict().decay);
    expect(a.length).toBe(5);
    a.forEach((v) => { expect(v).toBeGreaterThanOrEqual(0.5); expect(v).toBeLessThanOrEqual(1.5); });
    expect(new Set(a).size).toBe(5);
    for (const L of [7, 24, 41]) {
      const ref = layerKernelReference(layer, L);
      const k = lc.tidy(() => lc.noGrad(() => layer.kernel(L).toFloat32Array()));
      const err = relError(k, ref.kernel);
      process.stdout.write(`SGConv power-law kernel vs float64 (L=${L}): relative error ${err.toExponential(2)}\n`);
      expect(err).toBeLessThan(1e-5);
      expect(relError(layer.stateDict().kernel_norm.toFloat32Array(), ref.norm)).toBeLessThan(1e-6);
    }
    // One exponent for every feature; the multiplier stays as given.
    const fixed = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, decay: 1, powerDecay: 1, seed: 4 });
    expect(Array.from(values(fixed.stateDict().decay))).toEqual([1, 1, 1]);
    expect(Array.from(values(fixed.stateDict().multiplier))).toEqual([1, 1, 1]);
    const ref = layerKernelReference(fixed, 16);
    expect(relError(lc.tidy(() => lc.noGrad(() => fixed.kernel(16).toFloat32Array())), ref.kernel)).toBeLessThan(1e-5);
    [layer, fixed].forEach((m) => m.dispose());
  });

  test('powerDecay: the norm stays frozen through parameter updates; a state dict round trip carries the exponents', () => {
    const layer = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, powerDecay: [0, 2], seed: 2 });
    const x = lc.randn([2, 3, 16], { seed: 1 });
    const optimizer = new lc.optim.AdamW(layer, { lr: 0.1, groups: { ssm: { lr: 0.1 } } });
    lc.tidy(() => lc.mean(lc.square(layer.forward(x))).backward());
    const norm = layer.stateDict().kernel_norm.toFloat32Array();
    expect(relError(norm, layerKernelReference(layer, 16).norm)).toBeLessThan(1e-6);
    optimizer.step();
    optimizer.zeroGrad();
    lc.tidy(() => lc.mean(lc.square(layer.forward(x))).backward());
    expect(layer.stateDict().kernel_norm.toFloat32Array()).toEqual(norm);
    optimizer.dispose();
    expectStateDictRoundTrip((seed) => {
      const m = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 10, powerDecay: [0.5, 2], seed });
      lc.tidy(() => lc.noGrad(() => m.forward(x)));
      return m;
    }, x);
    x.dispose();
    layer.dispose();
  });

  test('any L works (the kernel is truncated or zero-padded)', () => {
    const layer = new lc.nn.SGConv(2, { kernelDim: 4, lMax: 8, seed: 1 });
    for (const L of [3, 8, 20]) lc.tidy(() => expect(layer.forward(lc.randn([1, 2, L], { seed: L })).shape).toEqual([1, 2, L]));
    layer.dispose();
  });

  test('training-step memory is flat', () => {
    const x = lc.randn([2, 3, 16], { seed: 1 });
    expectTrainingMemoryFlat(() => new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, glu: true, seed: 2 }), x);
    x.dispose();
  });

  test('dropout acts in training mode only', () => {
    const x = lc.randn([2, 3, 16], { seed: 8 });
    expectDropoutOnlyInTraining((p) => new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, dropout: p, seed: 5 }), x);
    x.dispose();
  });

  cudaSuite('SGConv layer')('on CUDA', () => {
    test('forward matches the CPU; gradients reach every parameter', () => {
      const x = lc.randn([2, 3, 16], { seed: 8 });
      expectCudaMatchesCpu(() => new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, channels: 2, bidirectional: true, glu: true, seed: 5 }), x);
      x.dispose();
    });
    test('cosine sub-kernels and the power-law decay: forward and gradients match the CPU', () => {
      const x = lc.randn([2, 5, 23], { seed: 8 });
      expectCudaMatchesCpu(() => new lc.nn.SGConv(5, { kernelDim: 3, lMax: 20, init: 'cos', decay: 1, powerDecay: [0.5, 1.5], channels: 2, bidirectional: true, seed: 5 }), x);
      x.dispose();
    });
  });

  describe('bad input throws named errors', () => {
    const layer = new lc.nn.SGConv(3, { kernelDim: 4, lMax: 16, seed: 1 });
    afterAll(() => layer.dispose());
    testBadInput([
      ['missing lMax', () => new lc.nn.SGConv(3, {} as never), TypeError, /^options\.lMax: expected an integer >= 1, got undefined/],
      ['decay 0', () => new lc.nn.SGConv(3, { lMax: 8, decay: 0 }), RangeError, /^options\.decay: expected a finite number > 0, got 0/],
      ['decay [1, -1]', () => new lc.nn.SGConv(3, { lMax: 8, decay: [1, -1] }), RangeError, /^options\.decay\[1\]: expected a finite number > 0, got -1/],
      ['decay [1]', () => new lc.nn.SGConv(3, { lMax: 8, decay: [1] as never }), TypeError, /^options\.decay: expected a number or \[min, max\]/],
      ['negative initScale', () => new lc.nn.SGConv(3, { lMax: 8, initScale: -1 }), RangeError, /^options\.initScale: expected an integer >= 0, got -1/],
      ['unknown init', () => new lc.nn.SGConv(3, { lMax: 8, init: 'hankel' as never }), TypeError, /^options\.init: expected 'randn' or 'cos', got string hankel/],
      ['negative powerDecay', () => new lc.nn.SGConv(3, { lMax: 8, powerDecay: -1 }), RangeError, /^options\.powerDecay: expected a finite number >= 0, got -1/],
      ['powerDecay [2, 1]', () => new lc.nn.SGConv(3, { lMax: 8, powerDecay: [2, 1] }), RangeError, /^options\.powerDecay: expected \[min, max\] with min <= max, got \[2, 1\]/],
      ['powerDecay [1, NaN]', () => new lc.nn.SGConv(3, { lMax: 8, powerDecay: [1, NaN] }), TypeError, /^options\.powerDecay\[1\]: expected a finite number >= 0, got number NaN/],
      ['powerDecay [1, 2, 3]', () => new lc.nn.SGConv(3, { lMax: 8, powerDecay: [1, 2, 3] as never }), TypeError, /^options\.powerDecay: expected a number or \[min, max\], got an array of 3/],
      ['glu not a boolean', () => new lc.nn.SGConv(3, { lMax: 8, glu: 1 as never }), TypeError, /^options\.glu: expected a boolean, got number 1/],
      ['unknown option', () => new lc.nn.SGConv(3, { lMax: 8, kernel_dim: 4 } as never), TypeError, /unknown option 'kernel_dim'/],
      ['x of wrong rank', () => layer.forward(lc.zeros([3, 16])), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[3,16\]/],
      ['x of wrong width', () => layer.forward(lc.zeros([1, 2, 16])), RangeError, /^x: expected size 3 along axis 1 \(H, the width of this SGConv layer\), got shape \[1,2,16\]/],
      ['non-tensor x', () => layer.forward('x' as never), TypeError, /^x: expected a Tensor, got string x/],
    ]);
    test('a disposed input', () => {
      const gone = lc.zeros([1, 3, 16]);
      gone.dispose();
      expectBadInput(() => layer.forward(gone), TypeError, /^x: expected a live Tensor, got a disposed one/);
    });
  });
});

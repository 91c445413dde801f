import * as lc from '../lib';
import { cudaSuite } from './devices';
import { expectBadInput, testBadInput } from './helpers';
import { expectCudaMatchesCpu, expectDropoutOnlyInTraining, expectStateDictRoundTrip, expectParameterGradients, expectTrainingMemoryFlat, overfit } from './nn_helpers';

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

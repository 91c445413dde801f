import * as lc from '../lib';
import { cudaSuite } from './devices';
import { expectBadInput, testBadInput } from './helpers';
import { expectCudaMatchesCpu, expectDropoutOnlyInTraining, expectStateDictRoundTrip, expectParameterGradients, expectTrainingMemoryFlat, overfit } from './nn_helpers';

describe('MultiresConv layer', () => {
  test('parameters and groups', () => {
    // lMax 100, k 3: J = ceil(log2(99/2 + 1)) = 6.
    const layer = new lc.nn.MultiresConv(4, { kernelSize: 3, lMax: 100, seed: 1 });
    const infos = Object.fromEntries(layer.namedParameterInfos().map(([n, i]) => [n, [i.tensor.shape, i.group]]));
    expect(infos).toEqual({ h0: [[4, 3], 'ssm'], h1: [[4, 3], 'ssm'], w: [[4, 8], 'ssm'] });
    expect(layer.depth).toBe(6);
    layer.dispose();
  });

  test('a shorter input equals the first L outputs of the input padded to lMax', () => {
    const layer = new lc.nn.MultiresConv(3, { kernelSize: 3, lMax: 40, seed: 2 });
    const x = lc.randn([2, 3, 17], { seed: 4 });
    lc.tidy(() => lc.noGrad(() => {
      const short = layer.forward(x).toFloat32Array();
      const full = lc.narrow(layer.forward(lc.pad(x, 2, 0, 23)), 2, 0, 17).toFloat32Array();
      expect(short).toEqual(full);
    }));
    x.dispose();
    layer.dispose();
  });

  test('parameter gradients match central finite differences', () => {
    expectParameterGradients('MultiresConv', [{ kernelSize: 2, lMax: 16 }, { kernelSize: 3, lMax: 21 }], (options) => new lc.nn.MultiresConv(3, { ...options, seed: 4 }), (options) => options.lMax - 2);
  });

  test('a 2-layer MultiresConv classifier overfits 8 sequences', () => {
    const { first, last } = overfit((i) => new lc.nn.MultiresConv(8, { kernelSize: 2, lMax: 16, seed: 30 + i }));
    process.stdout.write(`MultiresConv classifier loss ${first.toFixed(3)} -> ${last.toFixed(4)}\n`);
    expect(last).toBeLessThan(0.05 * first);
  });

  test('state dict round trip gives identical outputs', () => {
    const x = lc.randn([2, 3, 10], { seed: 3 });
    expectStateDictRoundTrip((seed) => new lc.nn.MultiresConv(3, { kernelSize: 3, lMax: 12, seed }), x);
    x.dispose();
  });

  test('training-step memory is flat', () => {
    const x = lc.randn([2, 3, 12], { seed: 1 });
    expectTrainingMemoryFlat(() => new lc.nn.MultiresConv(3, { lMax: 16, seed: 2 }), x);
    x.dispose();
  });

  test('dropout acts in training mode only', () => {
    const x = lc.randn([2, 3, 16], { seed: 8 });
    expectDropoutOnlyInTraining((p) => new lc.nn.MultiresConv(3, { lMax: 16, dropout: p, seed: 5 }), x);
    x.dispose();
  });

  cudaSuite('MultiresConv layer')('on CUDA', () => {
    test('forward matches the CPU; gradients reach every parameter', () => {
      const x = lc.randn([2, 3, 16], { seed: 8 });
      expectCudaMatchesCpu(() => new lc.nn.MultiresConv(3, { kernelSize: 3, lMax: 20, seed: 5 }), x);
      x.dispose();
    });
  });

  describe('bad input throws named errors', () => {
    const layer = new lc.nn.MultiresConv(3, { lMax: 16, seed: 1 });
    afterAll(() => layer.dispose());
    testBadInput([
      ['missing lMax', () => new lc.nn.MultiresConv(3, {} as never), TypeError, /^options\.lMax: expected an integer >= 1, got undefined/],
      ['kernelSize 1', () => new lc.nn.MultiresConv(3, { lMax: 8, kernelSize: 1 }), RangeError, /^options\.kernelSize: expected an integer >= 2, got 1/],
      ['dropout -0.1', () => new lc.nn.MultiresConv(3, { lMax: 8, dropout: -0.1 }), RangeError, /^options\.dropout: expected a probability/],
      ['unknown option', () => new lc.nn.MultiresConv(3, { lMax: 8, k: 2 } as never), TypeError, /unknown option 'k'/],
      ['x of wrong rank', () => layer.forward(lc.zeros([1, 1, 3, 16])), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[1,1,3,16\]/],
      ['x of wrong width', () => layer.forward(lc.zeros([1, 5, 16])), RangeError, /^x: expected size 3 along axis 1 \(H, the width of this MultiresConv layer\), got shape \[1,5,16\]/],
      ['L > lMax', () => layer.forward(lc.zeros([1, 3, 17])), RangeError, /^x: expected a length L <= lMax = 16 \(the longest input of this [A-Za-z0-9]+ layer\), got shape \[1,3,17\]/],
      ['empty batch', () => layer.forward(lc.zeros([0, 3, 16])), RangeError, /^x: expected every dimension >= 1/],
      ['non-tensor x', () => layer.forward(null as never), TypeError, /^x: expected a Tensor, got null/],
    ]);
    test('a disposed input', () => {
      const gone = lc.zeros([1, 3, 16]);
      gone.dispose();
      expectBadInput(() => layer.forward(gone), TypeError, /^x: expected a live Tensor, got a disposed one/);
    });
  });
});

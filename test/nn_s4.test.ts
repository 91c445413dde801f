import * as lc from '../lib';
import { cudaSuite, gpu } from './devices';
import { directionalDerivatives, dot, expectBadInput, expectMemoryFlat, fakeTensor, randomArray, relError, testBadInput } from './helpers';
import { expectCudaMatchesCpu, expectDropoutOnlyInTraining, expectStateDictRoundTrip, expectParameterGradients, expectTrainingMemoryFlat, overfit, perturbSharedSsm, runSteps, setTensor, values } from './nn_helpers';
import { softplus } from './reference';
import { DplrData, s4Reference } from './ssm_reference';

/**
 * The layer's SSM in float64 for the dense reference: feature h reads copy h mod nSsm of Λ, P
 * and B; dt = exp(log_dt) or softplus(inv_dt); `replaced` overrides parameters by name.
 */
function layerDplr(layer: lc.nn.S4, replaced: Record<string, Float64Array> = {}): DplrData {
  const p: Record<string, Float64Array> = { ...Object.fromEntries(layer.namedParameters().map(([n, v]) => [n, values(v)])), ...replaced };
  const { H, modes: N, nSsm: S, rank: R } = layer;
  const perFeature = (x: Float64Array, blocks: number) => {
    const out = new Float64Array(blocks * H * 2 * N);
    for (let b = 0; b < blocks; b++) for (let h = 0; h < H; h++) out.set(x.subarray(2 * N * (b * S + (h % S)), 2 * N * (b * S + (h % S) + 1)), 2 * N * (b * H + h));
    return out;
  };
  const lambda = new Float64Array(2 * S * N);
  for (let i = 0; i < S * N; i++) [lambda[2 * i], lambda[2 * i + 1]] = [-Math.exp(p['kernel.log_A_real'][i]), p['kernel.A_imag'][i]];
  const dt = layer.dtTransform === 'exp' ? p['kernel.log_dt'].map(Math.exp) : p['kernel.inv_dt'].map(softplus);
  return { Lambda: perFeature(lambda, 1), P: perFeature(p['kernel.P'], R), B: perFeature(p['kernel.B'], 1), Ct: p['kernel.C'], dt };
}

// Shared SSMs (nSsm < H, distinct copies) and softplus dt: odd, even and prime H and lMax.
const sharedCases: [string, number, lc.nn.S4Options][] = [
  ['H=4, 2 copies, softplus, N=8, lMax=16', 4, { nSsm: 2, dtTransform: 'softplus', dState: 8, lMax: 16 }],
  ['H=9, 3 copies, rank 2, 2 channels, N=6, lMax=33', 9, { nSsm: 3, rank: 2, channels: 2, dState: 6, lMax: 33 }],
  ['H=5, 1 copy, softplus, bidirectional, N=4, lMax=31', 5, { nSsm: 1, dtTransform: 'softplus', bidirectional: true, dState: 4, lMax: 31 }],
];
const sharedLayer = (H: number, options: lc.nn.S4Options, seed: number) => {
  const layer = new lc.nn.S4(H, { ...options, dtMin: 0.02, dtMax: 0.3, seed });
  perturbSharedSsm(layer, seed);
  return layer;
};

/** Runs step() over x [B,H,L] from the zero state; returns the outputs as [B,H,L] values. */
describe('S4 layer', () => {
  test('parameters: names, shapes and groups', () => {
    const layer = new lc.nn.S4(3, { dState: 8, lMax: 16, seed: 1 });
    const infos = Object.fromEntries(layer.namedParameterInfos().map(([n, i]) => [n, [i.tensor.shape, i.group]]));
    expect(infos).toEqual({
      'kernel.log_dt': [[3], 'ssm'],
      'kernel.log_A_real': [[3, 4], 'ssm'],
      'kernel.A_imag': [[3, 4], 'ssm'],
      'kernel.P': [[1, 3, 4, 2], 'ssm'],
      'kernel.B': [[3, 4, 2], 'ssm'],
      'kernel.C': [[1, 3, 4, 2], 'default'],
      D: [[3], 'noDecay'],
      'output_linear.0.weight': [[6, 3, 1], 'default'],
      'output_linear.0.bias': [[6], 'noDecay'],
    });
    const wide = new lc.nn.S4(3, { dState: 8, lMax: 16, rank: 2, channels: 2, bidirectional: true, seed: 1 });
    const shapes = Object.fromEntries(wide.namedParameters().map(([n, t]) => [n, t.shape]));
    expect(shapes['kernel.P']).toEqual([2, 3, 4, 2]);
    expect(shapes['kernel.C']).toEqual([4, 3, 4, 2]);
    expect(shapes.D).toEqual([2, 3]);
    expect(shapes['output_linear.0.weight']).toEqual([6, 6, 1]);
    // The same seed gives the same initialisation.
    const again = new lc.nn.S4(3, { dState: 8, lMax: 16, seed: 1 });
    for (const [n, t] of layer.namedParameters()) expect(again.stateDict()[n].toFloat32Array()).toEqual(t.toFloat32Array());
    [layer, wide, again].forEach((m) => m.dispose());
  });

  // Streaming (bilinear recurrence with the Woodbury inverse, C recovered from C̃) against the
  // convolution mode (Cauchy kernel + FFT). Rank 2 gets a random second P so its correction is
  // exercised; L = lMax, and L < lMax where the kernel is truncated.
  const streamCases: [string, number, number, number, number, number, number][] = [
    // name, H, dState, lMax, L, rank, channels
    ['rank 1, N=8, L=16', 3, 8, 16, 16, 1, 1],
    ['rank 1, N=64, L=64', 4, 64, 64, 64, 1, 1],
    ['rank 2, 2 channels, N=16, odd L=33', 2, 16, 33, 33, 2, 2],
    ['rank 1, N=16, L=20 < lMax=32', 3, 16, 32, 20, 1, 1],
  ];
  for (const [name, H, dState, lMax, L, rank, channels] of streamCases) {
    test(`step() over a sequence equals forward(): ${name}`, () => {
      const layer = new lc.nn.S4(H, { dState, lMax, rank, channels, seed: 7 });
      if (rank === 2) {
        const P = layer.stateDict()['kernel.P'].toFloat32Array();
        const half = P.length / 2;
        randomArray(half, 3).forEach((v, i) => (P[half + i] = 0.5 * v));
        setTensor(layer, 'kernel.P', P);
      }
      const x = lc.randn([2, H, L], { seed: 9 });
      const conv = lc.tidy(() => lc.noGrad(() => layer.forward(x).toFloat32Array()));
      layer.setupStep();
      const err = relError(runSteps(layer, x), conv);
      process.stdout.write(`S4 step vs conv (${name}): relative error ${err.toExponential(2)}\n`);
      expect(err).toBeLessThan(1e-4);
      x.dispose();
      layer.dispose();
    });
  }

  for (const [name, H, options] of sharedCases) {
    test(`shared SSMs: the kernel equals the float64 dense kernel, and step() equals forward(): ${name}`, () => {
      const layer = sharedLayer(H, options, 3);
      const L = options.lMax;
      const rows = (options.channels ?? 1) * (options.bidirectional ? 2 : 1);
      const reference = s4Reference(layerDplr(layer), rows, layer.rank, H, layer.modes, L);
      const kernel = lc.tidy(() => lc.noGrad(() => layer.kernel().toFloat32Array()));
      const err = relError(kernel, reference);
      process.stdout.write(`S4 kernel vs float64 dense kernel (${name}): relative error ${err.toExponential(2)}\n`);
      expect(err).toBeLessThan(1e-4);
      if (!options.bidirectional) {
        const x = lc.randn([2, H, L], { seed: 9 });
        const conv = lc.tidy(() => lc.noGrad(() => layer.forward(x).toFloat32Array()));
        layer.setupStep();
        expect(relError(runSteps(layer, x), conv)).toBeLessThan(1e-4);
        x.dispose();
      }
      layer.dispose();
    });

    test(`shared SSMs: kernel gradients of every parameter match float64 differences of the dense kernel: ${name}`, () => {
      const layer = sharedLayer(H, options, 5);
      const L = options.lMax;
      const rows = (options.channels ?? 1) * (options.bidirectional ? 2 : 1);
      const w = randomArray(rows * H * L, 7);
      lc.tidy(() => {
        const k = layer.kernel();
        lc.sum(lc.mul(k, lc.tensor(Float32Array.from(w), k.shape))).backward();
      });
      const params = layer.namedParameters().filter(([n]) => n.startsWith('kernel.'));
      const lossWith = (i: number, v: Float64Array) => dot(s4Reference(layerDplr(layer, { [params[i][0]]: v }), rows, layer.rank, H, layer.modes, L), w);
      const results = directionalDerivatives(params.map(([, p]) => values(p)), params.map(([, p]) => p.grad!.toFloat32Array()), lossWith, params.map((_, i) => i), {
        h: () => 1e-6,
        direction: (i) => randomArray(params[i][1].size, 20 + i),
      });
      const errors = results.map(({ which, analytic, numeric }) => [params[which][0], Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric))] as const);
      process.stdout.write(`S4 kernel gradients vs float64 differences (${name}): worst relative error ${Math.max(...errors.map(([, e]) => e)).toExponential(2)}\n`);
      for (const [n, e] of errors) expect([n, e < 1e-3]).toEqual([n, true]);
      layer.namedParameters().forEach(([, p]) => { p.grad?.dispose(); p.grad = null; });
      layer.dispose();
    });
  }

  test('nSsm and dtTransform: shared shapes, softplus dt as kernel.inv_dt drawn as exp(log_dt) would be', () => {
    const layer = new lc.nn.S4(6, { dState: 8, lMax: 16, nSsm: 3, dtTransform: 'softplus', rank: 2, seed: 1 });
    const shapes = Object.fromEntries(layer.namedParameterInfos().map(([n, i]) => [n, [i.tensor.shape, i.group]]));
    expect(shapes).toMatchObject({
      'kernel.inv_dt': [[6], 'ssm'], 'kernel.log_A_real': [[3, 4], 'ssm'], 'kernel.A_imag': [[3, 4], 'ssm'],
      'kernel.P': [[2, 3, 4, 2], 'ssm'], 'kernel.B': [[3, 4, 2], 'ssm'], 'kernel.C': [[1, 6, 4, 2], 'default'],
    });
    expect(Object.keys(shapes)).not.toContain('kernel.log_dt');
    const plain = new lc.nn.S4(6, { dState: 8, lMax: 16, seed: 1 });
    const dt = values(plain.stateDict()['kernel.log_dt']).map(Math.exp);
    values(layer.stateDict()['kernel.inv_dt']).forEach((v, h) => expect(Math.abs(softplus(v) - dt[h])).toBeLessThan(1e-6 * dt[h]));
    // Every copy starts as the same HiPPO-LegS SSM.
    expect(values(layer.stateDict()['kernel.log_A_real'])).toEqual(values(plain.stateDict()['kernel.log_A_real']).subarray(0, 12));
    [layer, plain].forEach((m) => m.dispose());
  });

  test('step() leaves memory flat', () => {
    const layer = new lc.nn.S4(3, { dState: 8, lMax: 8, seed: 2 });
    layer.setupStep();
    const xt = lc.randn([2, 3], { seed: 1 });
    expectMemoryFlat(() => {
      const state = layer.defaultState(2);
      lc.dispose(lc.tidy(() => layer.step(xt, state)));
      state.dispose();
    }, 'cpu', 3);
    xt.dispose();
    layer.dispose();
  });

  test('parameter gradients match central finite differences', () => {
    // Larger steps dt than the default make every kernel parameter matter at these short lengths.
    const dts = { dtMin: 0.05, dtMax: 0.5 };
    expectParameterGradients('S4', [
      { dState: 8, lMax: 12, ...dts },
      { dState: 4, lMax: 9, channels: 2, rank: 2, bidirectional: true, ...dts },
      { dState: 6, lMax: 11, nSsm: 1, dtTransform: 'softplus' as const, ...dts },
    ], (options) => new lc.nn.S4(3, { ...options, seed: 4 }), (options) => options.lMax);
  });

  test('a 2-layer S4 classifier overfits 8 sequences', () => {
    const { first, last } = overfit((i) => new lc.nn.S4(8, { dState: 8, lMax: 16, seed: 30 + i }));
    process.stdout.write(`S4 classifier loss ${first.toFixed(3)} -> ${last.toFixed(4)}\n`);
    expect(last).toBeLessThan(0.05 * first);
  });

  test('state dict round trip gives identical outputs', () => {
    const x = lc.randn([2, 3, 10], { seed: 3 });
    expectStateDictRoundTrip((seed) => new lc.nn.S4(3, { dState: 8, lMax: 10, channels: 2, seed }), x);
    x.dispose();
  });

  test('training-step memory is flat', () => {
    const x = lc.randn([2, 3, 16], { seed: 1 });
    expectTrainingMemoryFlat(() => new lc.nn.S4(3, { dState: 8, lMax: 16, seed: 2 }), x);
    x.dispose();
  });

  test('dropout acts in training mode only', () => {
    const x = lc.randn([2, 3, 16], { seed: 8 });
    expectDropoutOnlyInTraining((p) => new lc.nn.S4(3, { dState: 8, lMax: 16, dropout: p, seed: 5 }), x);
    x.dispose();
  });

  cudaSuite('S4 layer')('on CUDA', () => {
    /** step() on the GPU device over x equals forward() on the CPU; disposes layer and x. */
    const expectGpuStepsMatchCpu = (layer: lc.nn.S4, x: lc.Tensor) => {
      const conv = lc.tidy(() => lc.noGrad(() => layer.forward(x).toFloat32Array()));
      layer.to(gpu);
      layer.setupStep();
      const xc = x.to(gpu);
      expect(relError(runSteps(layer, xc), conv)).toBeLessThan(1e-4);
      lc.dispose([x, xc]);
      layer.dispose();
    };

    test('forward matches the CPU; gradients reach every parameter', () => {
      const x = lc.randn([2, 3, 16], { seed: 8 });
      expectCudaMatchesCpu(() => new lc.nn.S4(3, { dState: 8, lMax: 16, channels: 2, seed: 5 }), x);
      x.dispose();
    });
    test('shared SSMs and softplus dt: forward and gradients match the CPU; step() on CUDA matches forward() on the CPU', () => {
      const x = lc.randn([2, 4, 16], { seed: 8 });
      expectCudaMatchesCpu(() => sharedLayer(4, { nSsm: 2, dtTransform: 'softplus', dState: 8, lMax: 16 }, 5), x);
      expectGpuStepsMatchCpu(sharedLayer(4, { nSsm: 2, dtTransform: 'softplus', dState: 8, lMax: 16 }, 6), x);
    });
    test('step() on CUDA matches forward() on the CPU', () => {
      expectGpuStepsMatchCpu(new lc.nn.S4(3, { dState: 8, lMax: 12, seed: 6 }), lc.randn([2, 3, 12], { seed: 9 }));
    });
  });

  describe('bad input throws named errors', () => {
    const layer = new lc.nn.S4(3, { dState: 8, lMax: 16, seed: 1 });
    const bidirectional = new lc.nn.S4(3, { dState: 8, lMax: 16, bidirectional: true, seed: 1 });
    afterAll(() => {
      layer.dispose();
      bidirectional.dispose();
    });
    testBadInput([
      ['missing lMax', () => new lc.nn.S4(3, {} as never), TypeError, /^options\.lMax: expected an integer >= 1, got undefined/],
      ['odd dState', () => new lc.nn.S4(3, { dState: 7, lMax: 8 }), RangeError, /^options\.dState: expected an even state size, got 7/],
      ['rank 3', () => new lc.nn.S4(3, { rank: 3, lMax: 8 }), RangeError, /^options\.rank: expected an integer in \[1, 2\], got 3/],
      ['dropout 1', () => new lc.nn.S4(3, { dropout: 1, lMax: 8 }), RangeError, /^options\.dropout: expected a probability in \[0, 1\), got 1/],
      ['unknown option', () => new lc.nn.S4(3, { lMax: 8, dstate: 4 } as never), TypeError, /unknown option 'dstate'/],
      ['nSsm not dividing H', () => new lc.nn.S4(3, { lMax: 8, nSsm: 2 }), RangeError, /^options\.nSsm: expected a divisor of H = 3 \(each SSM copy serves H \/ nSsm features\), got 2/],
      ['nSsm 0', () => new lc.nn.S4(3, { lMax: 8, nSsm: 0 }), RangeError, /^options\.nSsm: expected an integer >= 1, got 0/],
      ['nSsm a string', () => new lc.nn.S4(3, { lMax: 8, nSsm: '1' as never }), TypeError, /^options\.nSsm: expected an integer >= 1, got string 1/],
      ['unknown dtTransform', () => new lc.nn.S4(3, { lMax: 8, dtTransform: 'sigmoid' as never }), TypeError, /^options\.dtTransform: expected 'exp' or 'softplus', got string sigmoid/],
      ['H not an integer', () => new lc.nn.S4(2.5, { lMax: 8 }), TypeError, /^H: expected an integer >= 1, got number 2.5/],
      ['x of wrong rank', () => layer.forward(lc.zeros([3, 16])), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[3,16\]/],
      ['x of wrong width', () => layer.forward(lc.zeros([1, 4, 16])), RangeError, /^x: expected size 3 along axis 1 \(H, the width of this S4 layer\), got shape \[1,4,16\]/],
      ['L > lMax', () => layer.forward(lc.zeros([1, 3, 17])), RangeError, /^x: expected a length L <= lMax = 16 \(the longest input of this [A-Za-z0-9]+ layer\), got shape \[1,3,17\]/],
      ['non-tensor x', () => layer.forward([1, 2] as never), TypeError, /^x: expected a Tensor, got an array/],
      ['x on another device', () => layer.forward(fakeTensor([1, 3, 16])), TypeError, /^x: expected device 'cpu' \(the device of this S4's parameters\), got 'cuda'/],
      ['step before setupStep', () => layer.step(lc.zeros([1, 3]), layer.defaultState(1)), Error, /^S4\.step: call setupStep\(\) first/],
      ['bidirectional setupStep', () => bidirectional.setupStep(), Error, /cannot run step by step/],
    ]);
    test('step with a bad x_t, state or device', () => {
      layer.setupStep();
      const state = layer.defaultState(2);
      expectBadInput(() => layer.step(lc.zeros([2, 4]), state), RangeError, /^x_t: expected size 3 along axis 1 \(H, the width of this S4 layer\), got shape \[2,4\]/);
      expectBadInput(() => layer.step(lc.zeros([2, 3]), lc.zeros([2, 3, 4])), RangeError, /^state: expected shape \[2,3,4,2\]/);
      expectBadInput(() => layer.step(fakeTensor([2, 3]), state), TypeError, /^x_t: expected device 'cpu' \(the device of this S4's parameters\), got 'cuda'/);
      state.dispose();
    });
    test('a disposed input', () => {
      const gone = lc.zeros([1, 3, 16]);
      gone.dispose();
      expectBadInput(() => layer.forward(gone), TypeError, /^x: expected a live Tensor, got a disposed one/);
    });
  });
});

import * as lc from '../lib';
import { cudaSuite, gpu } from './devices';
import { expectBadInput, expectClose, expectMemoryFlat, randomArray, t } from './helpers';
import { expectCudaMatchesCpu, parameterGradErrors, values } from './nn_helpers';

const small = (extra: Partial<lc.nn.SequenceClassifierOptions> = {}) => new lc.nn.SequenceClassifier({
  dInput: 3, dModel: 8, nLayers: 2, layer: { type: 's4d', dState: 8 }, nClasses: 4, seed: 1, ...extra,
});

/** One plain SGD step outside the graph (p -= lr · grad), then the gradients are dropped. */
function sgdStep(model: lc.nn.Module, lr: number): void {
  lc.tidy(() => lc.noGrad(() => {
    const update: Record<string, lc.Tensor> = {};
    for (const [name, p] of model.namedParameters()) if (p.grad) update[name] = lc.sub(p, lc.scale(p.grad, lr));
    model.loadStateDict(update, { strict: false });
  }));
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.grad = null;
  }
}

/** Adam on the host (the test's own optimiser): returns a step function. */
function hostAdam(model: lc.nn.Module, lr: number): () => void {
  const state = new Map<string, { m: Float64Array; v: Float64Array }>();
  let step = 0;
  return () => {
    step++;
    const update: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
    for (const [name, p] of model.namedParameters()) {
      if (!p.grad) continue;
      const g = p.grad.toFloat32Array(), x = Float32Array.from(p.toFloat32Array()); // a Float32Array of this realm
      const s = state.get(name) ?? { m: new Float64Array(p.size), v: new Float64Array(p.size) };
      state.set(name, s);
      for (let i = 0; i < x.length; i++) {
        s.m[i] = 0.9 * s.m[i] + 0.1 * g[i];
        s.v[i] = 0.999 * s.v[i] + 0.001 * g[i] * g[i];
        x[i] -= (lr * s.m[i] / (1 - 0.9 ** step)) / (Math.sqrt(s.v[i] / (1 - 0.999 ** step)) + 1e-8);
      }
      update[name] = { data: x, shape: p.shape };
      p.grad.dispose();
      p.grad = null;
    }
    model.loadStateDict(update, { strict: false });
  };
}

describe('SequenceClassifier', () => {
  test('parameter names: encoder, layers.{i}.layer / .norm, decoder', () => {
    const model = small();
    const names = model.namedParameters().map(([n]) => n);
    const layerNames = ['kernel.log_dt', 'kernel.C', 'kernel.log_A_real', 'kernel.A_imag', 'D', 'output_linear.0.weight', 'output_linear.0.bias'];
    expect(names).toEqual([
      'encoder.weight', 'encoder.bias',
      ...[0, 1].flatMap((i) => [...layerNames.map((n) => `layers.${i}.layer.${n}`), `layers.${i}.norm.weight`, `layers.${i}.norm.bias`]),
      'decoder.weight', 'decoder.bias',
    ]);
    expect(model.stateDict()['encoder.weight'].shape).toEqual([8, 3]);
    expect(model.stateDict()['decoder.weight'].shape).toEqual([4, 8]);
    model.dispose();
  });

  test('gradients of every parameter match finite differences (pre-norm, last-position pooling)', () => {
    const model = small({ prenorm: true, pool: 'last' });
    // Step 2e-2: the float32 central differences of layers.1's kernel parameters are dominated
    // by rounding, not truncation — the error grows as h shrinks. Worst of all parameters at
    // h = 4e-2, 2e-2, 1e-2, 5e-3, 2.5e-3: 7.7e-3, 3.0e-3, 8.6e-3, 6.1e-2, 8.7e-2 with libm's erff
    // in GELU; 9.1e-3, 7.9e-3, 3.0e-2, 2.0e-2, 9.0e-2 with native/elementwise_ops.h's
    // erf_rational (0.63 ulp). At 1e-2 the check met its bound or not by chance of rounding.
    const errors = lc.tidy(() => {
      const x = t(randomArray(2 * 11 * 3, 1), [2, 11, 3]);
      return parameterGradErrors(model, () => model.forward(x), 2, 2e-2);
    });
    expect(Object.keys(errors).length).toBe(22);
    for (const [n, e] of Object.entries(errors)) if (!(e < 3e-2)) throw new Error(`${n}: relative error ${e}`);
    model.dispose();
  });

  test('masked mean pooling ignores what the padding holds (causal layers)', () => {
    const model = small().eval();
    lc.tidy(() => {
      const x = randomArray(2 * 10 * 3, 3);
      const mask = lc.tensor([...Array(10).fill(1), ...Array(6).fill(1), ...Array(4).fill(0)], [2, 10]);
      const a = values(model.forward(t(x, [2, 10, 3]), mask));
      const changed = x.map((v, i) => (i >= 10 * 3 + 6 * 3 ? 5 * v + 1 : v));
      expectClose(values(model.forward(t(changed, [2, 10, 3]), mask)), a, 1e-5); // FFT rounding aside
      expect(values(model.forward(t(changed, [2, 10, 3])))).not.toEqual(a);
    });
    model.dispose();
  });

  test('token inputs through an Embedding encoder; pool last with a mask', () => {
    const model = new lc.nn.SequenceClassifier({ nTokens: 5, dModel: 6, nLayers: 1, layer: { type: 's4d', dState: 4 }, nClasses: 3, pool: 'last', seed: 2 });
    expect(model.stateDict()['encoder.weight'].shape).toEqual([5, 6]);
    lc.tidy(() => {
      const ids = lc.tensor([0, 1, 4, 2, 3, 3, 1, 0], [2, 4]);
      const mask = lc.tensor([1, 1, 1, 0, 1, 1, 1, 1], [2, 4]);
      expect(model.forward(ids, mask).shape).toEqual([2, 3]);
      expectBadInput(() => model.forward(ids, lc.tensor([1, 0, 0, 0, 0, 0, 0, 0], [2, 4])), RangeError, /^mask\[1\]: expected at least one valid position \(pool 'last'\), got none/);
    });
    model.dispose();
  });

  test("pool 'none' gives per-position logits whose mean is the mean-pooled logits", () => {
    const options = { dInput: 3, dModel: 6, nLayers: 2, layer: { type: 's4d' as const, dState: 4 }, nClasses: 4, seed: 7 };
    const perPosition = new lc.nn.SequenceClassifier({ ...options, pool: 'none' });
    const pooled = new lc.nn.SequenceClassifier({ ...options, pool: 'mean' });
    expect(Object.keys(perPosition.stateDict())).toEqual(Object.keys(pooled.stateDict()));
    lc.tidy(() => {
      const x = t(randomArray(2 * 9 * 3, 8), [2, 9, 3]);
      const logits = perPosition.forward(x);
      expect(logits.shape).toEqual([2, 9, 4]);
      expectClose(values(lc.mean(logits, 1)), values(pooled.forward(x)), 1e-5); // the head is linear
    });
    perPosition.dispose();
    pooled.dispose();
  });

  test('a 2-layer S4D classifier overfits a batch of 8 sequences', () => {
    const model = small({ dModel: 16, layer: { type: 's4d', dState: 16 } });
    const x = lc.keep(t(randomArray(8 * 32 * 3, 5), [8, 32, 3]));
    const labels = [0, 1, 2, 3, 3, 2, 1, 0];
    const adam = hostAdam(model, 1e-2);
    const lossNow = () => lc.tidy(() => {
      const loss = lc.crossEntropy(model.forward(x), labels);
      loss.backward();
      return loss.toFloat32Array()[0];
    });
    const start = lossNow();
    let loss = start;
    let steps = 0;
    for (; steps < 300 && loss >= 0.05 * start; steps++) {
      adam();
      loss = lossNow();
    }
    process.stdout.write(`S4D classifier overfit: loss ${start.toFixed(3)} -> ${loss.toFixed(4)} in ${steps} Adam steps\n`);
    expect(loss).toBeLessThan(0.05 * start);
    model.parameters().forEach((p) => { p.grad?.dispose(); p.grad = null; });
    x.dispose();
    model.dispose();
  });

  test('stateDict -> loadStateDict round trip gives identical outputs; a bad dict changes nothing', () => {
    const a = small({ seed: 3 }).eval();
    const b = small({ seed: 4 }).eval();
    lc.tidy(() => {
      const x = lc.randn([2, 9, 3], { seed: 5 });
      b.loadStateDict(a.stateDict());
      expect(values(b.forward(x))).toEqual(values(a.forward(x)));
      const before = values(b.forward(x));
      const dict = { ...a.stateDict() };
      delete dict['layers.1.norm.bias'];
      expectBadInput(() => b.loadStateDict(dict), RangeError, /missing 'layers\.1\.norm\.bias'/);
      const bad = { ...a.stateDict(), 'decoder.weight': lc.zeros([4, 9]) };
      expectBadInput(() => b.loadStateDict(bad), RangeError, /'decoder\.weight': expected shape \[4,8\], got \[4,9\]/);
      expect(values(b.forward(x))).toEqual(before);
    });
    [a, b].forEach((m) => m.dispose());
  });

  test('builds each layer type by layer.type', () => {
    for (const type of ['s4d', 's4', 'sgconv', 'multires'] as const) {
      const model = new lc.nn.SequenceClassifier({ dInput: 2, dModel: 4, nLayers: 1, layer: { type }, nClasses: 2, lMax: 16, seed: 1 });
      expect(model.namedParameters().some(([n]) => n.startsWith('layers.0.layer.'))).toBe(true);
      if (type === 'multires') expect(model.namedParameters().some(([n]) => n.startsWith('layers.0.mixing.'))).toBe(true);
      lc.tidy(() => expect(model.forward(lc.randn([2, 16, 2], { seed: 1 })).shape).toEqual([2, 2]));
      model.dispose();
    }
  });
});

describe('SequenceClassifier bad input', () => {
  const model = small();
  afterAll(() => model.dispose());
  test('wrong rank', () => expectBadInput(() => model.forward(lc.zeros([2, 10])), RangeError, /^x: expected rank 3 \(\[B,L,dInput\]\), got shape \[2,10\]/));
  test('wrong width', () => expectBadInput(() => model.forward(lc.zeros([2, 10, 4])), RangeError, /^x: expected size 3 along axis 2 \(dInput\), got shape \[2,10,4\]/));
  test('mask of the wrong shape', () => expectBadInput(() => model.forward(lc.zeros([2, 10, 3]), lc.ones([2, 9])), RangeError, /^mask: expected shape \[2,10\] \(\[B,L\] of x \[2,10,3\]\), got \[2,9\]/));
  test('bad options', () => {
    expect(() => new lc.nn.SequenceClassifier({ dModel: 4, nLayers: 1, layer: { type: 's4d' }, nClasses: 2 })).toThrow(/exactly one of dInput/);
    expect(() => new lc.nn.SequenceClassifier({ dInput: 2, dModel: 4, nLayers: 1, layer: { type: 'lstm' as 's4d' }, nClasses: 2 })).toThrow(/options\.layer\.type/);
  });
});

/** 200 training steps (forward, crossEntropy, backward, SGD) leave lc.memory() flat. */
function trainingMemoryTest(device: lc.Device): void {
  const model = small({ dropout: 0.1 }).to(device);
  const x = lc.keep(lc.randn([4, 24, 3], { seed: 1, device }));
  const labels = [0, 1, 2, 3];
  const { before, after } = expectMemoryFlat(() => {
    lc.tidy(() => lc.crossEntropy(model.forward(x), labels).backward());
    sgdStep(model, 1e-2);
  }, device, 200);
  expect(after.bytes).toBe(before.bytes);
  x.dispose();
  model.dispose();
}

describe('SequenceClassifier memory', () => {
  test('200 CPU training steps keep live tensors and bytes flat', () => trainingMemoryTest('cpu'));
});

cudaSuite('SequenceClassifier')('SequenceClassifier and ResidualBlock on CUDA', () => {
  test('200 CUDA training steps keep live tensors and bytes flat', () => trainingMemoryTest(gpu));

  for (const type of ['s4d', 's4', 'sgconv', 'multires'] as const) {
    test(`a ${type} classifier: forward and parameter gradients match the CPU; a round trip to the CPU loses nothing`, () => {
      const x = lc.randn([2, 24, 3], { seed: 4 });
      expectCudaMatchesCpu(() => small({ layer: { type }, lMax: 24 }), x);
      x.dispose();
    });
  }

  for (const [prenorm, mixing] of [[false, 'none'], [true, 'glu']] as const) {
    test(`ResidualBlock prenorm=${prenorm} mixing=${mixing}: forward and parameter gradients match the CPU`, () => {
      const x = lc.randn([2, 4, 30], { seed: 6 });
      expectCudaMatchesCpu(() => new lc.nn.ResidualBlock(new lc.nn.S4D(4, { dState: 8, seed: 2 }), { dModel: 4, prenorm, mixing, seed: 3 }), x);
      x.dispose();
    });
  }
});

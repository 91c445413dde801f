import * as lc from '../lib';
import { cudaSuite, gpu } from './devices';
import { directionalDerivatives, dot, expectBadInput, expectClose, expectMemoryFlat, randomArray, relError, t, settledMemory } from './helpers';
import { expectCudaMatchesCpu, parameterGradErrors, perturbSharedSsm, runSteps, values } from './nn_helpers';
import { gelu, sigmoid, softplus } from './reference';

interface S4DConfig {
  H: number;
  N: number;
  channels: number;
  bidirectional: boolean;
  disc: 'zoh' | 'bilinear';
  nSsm?: number;
  dtTransform?: 'exp' | 'softplus';
  trainB?: boolean;
}

/**
 * The S4D layer in float64 from its parameters: kernel by direct powers, direct convolution sums.
 * Feature h reads copy h mod nSsm of A (and B when trained, else B = 1); dt = exp(log_dt) or
 * softplus(inv_dt).
 */
function s4dReference(layer: lc.nn.S4D, cfg: S4DConfig, u: Float64Array, B: number, L: number, replaced: Record<string, Float64Array> = {}): Float64Array {
  const { H, N, channels } = cfg;
  const m = N / 2;
  const p = { ...Object.fromEntries(layer.namedParameters().map(([n, v]) => [n, values(v)])), ...replaced };
  const rows = channels * (cfg.bidirectional ? 2 : 1);
  const S = layer.nSsm;
  const K = new Float64Array(rows * H * L);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < H; h++) {
      const dt = layer.dtTransform === 'exp' ? Math.exp(p['kernel.log_dt'][h]) : softplus(p['kernel.inv_dt'][h]);
      const copy = h % S;
      for (let n = 0; n < m; n++) {
        const ar = -Math.exp(p['kernel.log_A_real'][copy * m + n]), ai = p['kernel.A_imag'][copy * m + n];
        const xr = dt * ar, xi = dt * ai;
        let zr: number, zi: number, fr: number, fi: number; // step multiplier z and factor Cb / C
        if (cfg.disc === 'zoh') {
          const e = Math.exp(xr);
          zr = e * Math.cos(xi);
          zi = e * Math.sin(xi);
          const den = ar * ar + ai * ai; // (z − 1) / A
          fr = ((zr - 1) * ar + zi * ai) / den;
          fi = (zi * ar - (zr - 1) * ai) / den;
        } else {
          const dr = 1 - xr / 2, di = -xi / 2, den = dr * dr + di * di;
          const nr = 1 + xr / 2, ni = xi / 2;
          zr = (nr * dr + ni * di) / den;
          zi = (ni * dr - nr * di) / den;
          fr = (dt * dr) / den;
          fi = (-dt * di) / den;
        }
        if (layer.trainB) {
          const bi = 2 * (copy * m + n), [br, bim] = [p['kernel.B'][bi], p['kernel.B'][bi + 1]];
          [fr, fi] = [fr * br - fi * bim, fr * bim + fi * br];
        }
        const ci = ((r * H + h) * m + n) * 2;
        let vr = p['kernel.C'][ci] * fr - p['kernel.C'][ci + 1] * fi;
        let vi = p['kernel.C'][ci] * fi + p['kernel.C'][ci + 1] * fr;
        for (let l = 0; l < L; l++) {
          K[(r * H + h) * L + l] += 2 * vr;
          [vr, vi] = [vr * zr - vi * zi, vr * zi + vi * zr];
        }
      }
    }
  }
  const CH = channels * H;
  const out = new Float64Array(B * H * L);
  const g = new Float64Array(CH);
  for (let b = 0; b < B; b++) {
    for (let tt = 0; tt < L; tt++) {
      for (let c = 0; c < channels; c++) {
        for (let h = 0; h < H; h++) {
          const ub = (b * H + h) * L;
          let y = p['D'][c * H + h] * u[ub + tt];
          for (let s = 0; s <= tt; s++) y += K[(c * H + h) * L + s] * u[ub + tt - s];
          if (cfg.bidirectional) for (let s = 1; tt + s < L; s++) y += K[((channels + c) * H + h) * L + s - 1] * u[ub + tt + s];
          g[c * H + h] = gelu(y);
        }
      }
      for (let o = 0; o < H; o++) {
        let a = p['output_linear.0.bias'][o], gate = p['output_linear.0.bias'][H + o];
        for (let i = 0; i < CH; i++) {
          a += p['output_linear.0.weight'][o * CH + i] * g[i];
          gate += p['output_linear.0.weight'][(H + o) * CH + i] * g[i];
        }
        out[(b * H + o) * L + tt] = a * sigmoid(gate);
      }
    }
  }
  return out;
}

const configs: S4DConfig[] = [
  { H: 3, N: 8, channels: 1, bidirectional: false, disc: 'zoh' },
  { H: 3, N: 8, channels: 1, bidirectional: false, disc: 'bilinear' },
  { H: 2, N: 6, channels: 2, bidirectional: true, disc: 'zoh' },
  { H: 4, N: 4, channels: 1, bidirectional: true, disc: 'bilinear' },
  // Shared SSMs, softplus dt, trained B: even H with 2 copies, prime H with one.
  { H: 6, N: 8, channels: 1, bidirectional: false, disc: 'zoh', nSsm: 2, dtTransform: 'softplus', trainB: true },
  { H: 5, N: 6, channels: 2, bidirectional: true, disc: 'bilinear', nSsm: 1, dtTransform: 'softplus', trainB: true },
  { H: 3, N: 8, channels: 1, bidirectional: false, disc: 'bilinear', nSsm: 1 },
];
const name = (c: S4DConfig) => `H=${c.H} N=${c.N} channels=${c.channels} bidirectional=${c.bidirectional} ${c.disc}${c.nSsm ? ` nSsm=${c.nSsm}` : ''}${c.dtTransform ? ` dt ${c.dtTransform}` : ''}${c.trainB ? ' trained B' : ''}`;
/** The layer of a config; unless `perturb` is false, shared copies get random, distinct A (and B) so the copy each feature reads matters. */
const makeLayer = (c: S4DConfig, seed: number, extra: lc.nn.S4DOptions = {}, perturb = true) => {
  const { H, N, channels, bidirectional, disc, nSsm, dtTransform, trainB } = c;
  const layer = new lc.nn.S4D(H, { dState: N, channels, bidirectional, disc, nSsm, dtTransform, trainB, seed, dtMax: 0.5, ...extra });
  if (perturb && (nSsm !== undefined || trainB)) perturbSharedSsm(layer, seed);
  return layer;
};

describe('S4D forward matches a float64 re-implementation', () => {
  for (const [i, cfg] of configs.entries()) {
    test(name(cfg), () => {
      const layer = makeLayer(cfg, 10 + i);
      const B = 2, L = 37;
      const u = randomArray(B * cfg.H * L, 20 + i);
      lc.tidy(() => {
        const y = layer.forward(t(u, [B, cfg.H, L]));
        expect(y.shape).toEqual([B, cfg.H, L]);
        const reference = s4dReference(layer, cfg, u, B, L);
        process.stdout.write(`S4D ${name(cfg)} vs float64: relative error ${relError(y.toFloat32Array(), reference).toExponential(2)}\n`);
        expectClose(y.toFloat32Array(), reference, 1e-4);
      });
      layer.dispose();
    });
  }
});

describe('S4D parameter gradients match finite differences', () => {
  for (const [i, cfg] of configs.entries()) {
    test(name(cfg), () => {
      // As initialised (shared copies equal): float32 differences of a spread-out A are too
      // noisy at these sizes; the float64 differences below check distinct copies.
      const layer = makeLayer(cfg, 30 + i, {}, false);
      const u = lc.keep(t(randomArray(2 * cfg.H * 19, 40 + i), [2, cfg.H, 19]));
      const errors = parameterGradErrors(layer, () => layer.forward(u), 50 + i, 1e-2);
      expect(Object.keys(errors).length).toBe(cfg.trainB ? 8 : 7);
      for (const [n, e] of Object.entries(errors)) if (!(e < 2e-2)) throw new Error(`${n}: relative error ${e}`);
      u.dispose();
      layer.dispose();
    });
  }
});

describe('S4D with shared SSMs: gradients of the float32 layer match finite differences of its float64 re-implementation', () => {
  // Distinct copies (perturbSharedSsm): each shared parameter's gradient sums over the features
  // that read it, and the float64 differences see exactly that.
  for (const [i, cfg] of configs.filter((c) => c.nSsm !== undefined).entries()) {
    test(name(cfg), () => {
      const layer = makeLayer(cfg, 60 + i);
      const B = 2, L = 23;
      const u = randomArray(B * cfg.H * L, 70 + i);
      const w = randomArray(B * cfg.H * L, 80 + i);
      lc.tidy(() => lc.sum(lc.mul(layer.forward(t(u, [B, cfg.H, L])), t(w, [B, cfg.H, L]))).backward());
      const params = layer.namedParameters();
      const lossWith = (k: number, v: Float64Array) => dot(s4dReference(layer, cfg, u, B, L, { [params[k][0]]: v }), w);
      const results = directionalDerivatives(params.map(([, p]) => values(p)), params.map(([, p]) => p.grad!.toFloat32Array()), lossWith, params.map((_, k) => k), {
        h: () => 1e-5,
        direction: (k) => randomArray(params[k][1].size, 90 + k),
      });
      const worst = Math.max(...results.map(({ analytic, numeric }) => Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric))));
      process.stdout.write(`S4D ${name(cfg)} gradients vs float64 differences: worst relative error ${worst.toExponential(2)}\n`);
      results.forEach(({ which, analytic, numeric }) => expect([params[which][0], Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric)) < 1e-3]).toEqual([params[which][0], true]));
      params.forEach(([, p]) => { p.grad!.dispose(); p.grad = null; });
      layer.dispose();
    });
  }
});

describe('S4D parameters', () => {
  test('names, shapes and groups are those of the minimal S4D (channels 1)', () => {
    const layer = new lc.nn.S4D(5, { dState: 16, seed: 1 });
    const shapes = Object.fromEntries(Object.entries(layer.stateDict()).map(([n, v]) => [n, v.shape]));
    expect(shapes).toEqual({
      'kernel.log_dt': [5],
      'kernel.C': [5, 8, 2],
      'kernel.log_A_real': [5, 8],
      'kernel.A_imag': [5, 8],
      D: [5],
      'output_linear.0.weight': [10, 5, 1],
      'output_linear.0.bias': [10],
    });
    const groups = Object.fromEntries(layer.namedParameterInfos().map(([n, info]) => [n, info.group]));
    expect(groups).toEqual({
      'kernel.log_dt': 'ssm', 'kernel.C': 'default', 'kernel.log_A_real': 'ssm', 'kernel.A_imag': 'ssm',
      D: 'noDecay', 'output_linear.0.weight': 'default', 'output_linear.0.bias': 'noDecay',
    });
    layer.dispose();
  });

  test('nSsm copies of A (and B) shared by the features, softplus dt under its own name, trained B', () => {
    const layer = new lc.nn.S4D(6, { dState: 8, nSsm: 3, dtTransform: 'softplus', trainB: true, seed: 1 });
    const infos = Object.fromEntries(layer.namedParameterInfos().map(([n, info]) => [n, [info.tensor.shape, info.group]]));
    expect(infos).toEqual({
      'kernel.inv_dt': [[6], 'ssm'], 'kernel.C': [[6, 4, 2], 'default'], 'kernel.log_A_real': [[3, 4], 'ssm'], 'kernel.A_imag': [[3, 4], 'ssm'],
      'kernel.B': [[3, 4, 2], 'ssm'], D: [[6], 'noDecay'], 'output_linear.0.weight': [[12, 6, 1], 'default'], 'output_linear.0.bias': [[12], 'noDecay'],
    });
    expect(values(layer.stateDict()['kernel.B'])).toEqual(Float64Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
    // The same draw as the exp layer of the same seed: softplus(inv_dt) = exp(log_dt).
    const plain = new lc.nn.S4D(6, { dState: 8, seed: 1 });
    const dt = values(plain.stateDict()['kernel.log_dt']).map(Math.exp);
    values(layer.stateDict()['kernel.inv_dt']).forEach((v, h) => expect(Math.abs(softplus(v) - dt[h])).toBeLessThan(1e-6 * dt[h]));
    [layer, plain].forEach((l) => l.dispose());
  });

  test('channels and bidirectional widen C, D and the output linear', () => {
    const layer = new lc.nn.S4D(3, { dState: 4, channels: 2, bidirectional: true, seed: 1 });
    const shapes = Object.fromEntries(Object.entries(layer.stateDict()).map(([n, v]) => [n, v.shape]));
    expect(shapes['kernel.C']).toEqual([4, 3, 2, 2]);
    expect(shapes['D']).toEqual([2, 3]);
    expect(shapes['output_linear.0.weight']).toEqual([6, 6, 1]);
    layer.dispose();
  });

  test('init: log_A_real = log 1/2, A_imag = πn (lin) or S4D-Inv, log_dt in range, C of variance 1, seeded', () => {
    const H = 64, N = 64;
    const layer = new lc.nn.S4D(H, { dState: N, seed: 7, dtMin: 1e-3, dtMax: 1e-1 });
    const sd = layer.stateDict();
    values(sd['kernel.log_A_real']).forEach((v) => expect(v).toBeCloseTo(Math.log(0.5), 6));
    values(sd['kernel.A_imag']).forEach((v, i) => expect(v).toBeCloseTo(Math.PI * (i % (N / 2)), 4));
    values(sd['kernel.log_dt']).forEach((v) => { expect(v).toBeGreaterThanOrEqual(Math.log(1e-3)); expect(v).toBeLessThanOrEqual(Math.log(1e-1)); });
    const c = values(sd['kernel.C']);
    const variance = c.reduce((s, v) => s + v * v, 0) / (c.length / 2);
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
    const bound = 1 / Math.sqrt(H);
    values(sd['output_linear.0.weight']).forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(bound));
    const again = new lc.nn.S4D(H, { dState: N, seed: 7 });
    expect(values(again.stateDict()['kernel.C'])).toEqual(c);
    const inv = new lc.nn.S4D(2, { dState: 8, init: 'inv', seed: 7 });
    values(inv.stateDict()['kernel.A_imag']).forEach((v, i) => {
      const n = i % 4;
      expect(v).toBeCloseTo((8 / Math.PI) * (8 / (2 * n + 1) - 1), 4);
    });
    [layer, again, inv].forEach((l) => l.dispose());
  });
});

describe('S4D step mode equals the convolution mode', () => {
  const cases: [string, lc.nn.S4DOptions][] = [
    ['zoh', { disc: 'zoh' }],
    ['bilinear', { disc: 'bilinear' }],
    ['zoh, channels 2', { disc: 'zoh', channels: 2 }],
    ['zoh, 2 shared SSMs, softplus dt, trained B', { disc: 'zoh', nSsm: 2, dtTransform: 'softplus', trainB: true }],
    ['bilinear, 1 shared SSM, trained B', { disc: 'bilinear', nSsm: 1, trainB: true }],
  ];
  for (const [label, options] of cases) {
    test(label, () => {
      const H = 4, N = 16, B = 3, L = 64;
      const before = settledMemory().cpu;
      const layer = new lc.nn.S4D(H, { dState: N, seed: 3, dtMax: 0.3, ...options }).eval();
      if (options.trainB) perturbSharedSsm(layer, 4);
      const u = randomArray(B * H * L, 5);
      lc.tidy(() => {
        const x = t(u, [B, H, L]);
        const conv = layer.forward(x).toFloat32Array();
        layer.setupStep();
        let state = layer.defaultState(B);
        expect(state.shape).toEqual([B, H, N / 2, 2]);
        const stepped = new Float32Array(B * H * L);
        for (let s = 0; s < L; s++) {
          const [y, next] = layer.step(lc.reshape(lc.narrow(x, 2, s, 1), [B, H]), state);
          state.dispose();
          state = next;
          y.toFloat32Array().forEach((v, i) => (stepped[i * L + s] = v));
          y.dispose();
        }
        expectClose(stepped, conv, 1e-4);
      });
      layer.dispose();
      const after = lc.memory().cpu;
      expect(after.tensors).toBe(before.tensors);
      expect(after.bytes).toBe(before.bytes);
    });
  }

  test('step memory stays flat', () => {
    const layer = new lc.nn.S4D(3, { dState: 8, seed: 3 }).eval();
    layer.setupStep();
    let state = lc.keep(layer.defaultState(2));
    const x = lc.keep(lc.randn([2, 3], { seed: 1 }));
    expectMemoryFlat(() => {
      const [y, next] = layer.step(x, state);
      y.dispose();
      state.dispose();
      state = next;
    }, 'cpu', 20);
    [state, x].forEach((v) => v.dispose());
    layer.dispose();
  });

  test('a bidirectional layer cannot stream; step before setupStep throws', () => {
    const bi = new lc.nn.S4D(2, { dState: 4, bidirectional: true, seed: 1 });
    expect(() => bi.setupStep()).toThrow(/bidirectional/);
    const layer = new lc.nn.S4D(2, { dState: 4, seed: 1 });
    lc.tidy(() => expect(() => layer.step(lc.zeros([1, 2]), layer.defaultState(1))).toThrow(/setupStep/));
    [bi, layer].forEach((l) => l.dispose());
  });
});

describe('S4D state dicts', () => {
  test('stateDict -> loadStateDict into a differently seeded layer gives identical outputs', () => {
    const a = new lc.nn.S4D(3, { dState: 8, seed: 1 });
    const b = new lc.nn.S4D(3, { dState: 8, seed: 2 });
    lc.tidy(() => {
      const u = lc.randn([2, 3, 20], { seed: 3 });
      expect(a.forward(u).toFloat32Array()).not.toEqual(b.forward(u).toFloat32Array());
      b.loadStateDict(a.stateDict());
      expect(b.forward(u).toFloat32Array()).toEqual(a.forward(u).toFloat32Array());
    });
    [a, b].forEach((l) => l.dispose());
  });

  test('a dict with a missing or mis-shaped tensor throws a RangeError and changes nothing', () => {
    const layer = new lc.nn.S4D(3, { dState: 8, seed: 1 });
    const snapshot = Object.fromEntries(layer.namedParameters().map(([n, v]) => [n, values(v)]));
    const full = Object.fromEntries(layer.namedParameters().map(([n, v]) => [n, { data: new Float32Array(v.size), shape: v.shape }]));
    const { D: _dropped, ...missing } = full;
    expectBadInput(() => layer.loadStateDict(missing), RangeError, /missing 'D'/);
    const misShaped = { ...full, 'kernel.C': { data: new Float32Array(3 * 5 * 2), shape: [3, 5, 2] } };
    expectBadInput(() => layer.loadStateDict(misShaped), RangeError, /'kernel\.C': expected shape \[3,4,2\], got \[3,5,2\]/);
    for (const [n, v] of layer.namedParameters()) expect(values(v)).toEqual(snapshot[n]);
    layer.dispose();
  });
});

describe('S4D bad input', () => {
  const layer = new lc.nn.S4D(3, { dState: 4, seed: 1, lMax: 50 });
  afterAll(() => layer.dispose());
  test('wrong rank', () => expectBadInput(() => layer.forward(lc.zeros([3, 10])), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[3,10\]/));
  test('wrong width', () => expectBadInput(() => layer.forward(lc.zeros([2, 4, 10])), RangeError, /^x: expected size 3 along axis 1 \(H, the width of this S4D layer\), got shape \[2,4,10\]/));
  test('longer than lMax', () => expectBadInput(() => layer.forward(lc.zeros([2, 3, 51])), RangeError, /^x: expected a length L <= lMax = 50 \(the longest input of this S4D layer\), got shape \[2,3,51\]/));
  test('not a tensor', () => expectBadInput(() => layer.forward([1, 2] as unknown as lc.Tensor), TypeError, /^x: expected a Tensor, got an array/));
  test('step: wrong state shape', () => {
    layer.setupStep();
    expectBadInput(() => layer.step(lc.zeros([2, 3]), lc.zeros([1, 3, 2, 2])), RangeError, /^state: expected shape \[2,3,2,2\] \(\[B,H,N\/2,2\], as defaultState\(2\) gives\), got \[1,3,2,2\]/);
  });
  test('bad options', () => {
    expect(() => new lc.nn.S4D(3, { dState: 5 })).toThrow(RangeError);
    expect(() => new lc.nn.S4D(3, { disc: 'euler' as 'zoh' })).toThrow(TypeError);
    expectBadInput(() => new lc.nn.S4D(6, { nSsm: 4 }), RangeError, /^options\.nSsm: expected a divisor of H = 6 \(each SSM copy serves H \/ nSsm features\), got 4/);
    expectBadInput(() => new lc.nn.S4D(6, { nSsm: 0 }), RangeError, /^options\.nSsm: expected an integer >= 1, got 0/);
    expectBadInput(() => new lc.nn.S4D(6, { nSsm: 1.5 }), TypeError, /^options\.nSsm: expected an integer >= 1, got number 1.5/);
    expectBadInput(() => new lc.nn.S4D(6, { dtTransform: 'relu' as never }), TypeError, /^options\.dtTransform: expected 'exp' or 'softplus', got string relu/);
    expectBadInput(() => new lc.nn.S4D(6, { trainB: 1 as never }), TypeError, /^options\.trainB: expected a boolean, got number 1/);
    expect(() => new lc.nn.S4D(3, { colour: 1 } as lc.nn.S4DOptions)).toThrow(/unknown option 'colour'/);
  });
});

cudaSuite('S4D')('S4D on CUDA', () => {
  test('forward, backward and step match the CPU', () => {
    const cpu = new lc.nn.S4D(4, { dState: 8, seed: 1 });
    const onGpu = new lc.nn.S4D(4, { dState: 8, seed: 1 }).to(gpu);
    lc.tidy(() => {
      const u = lc.randn([2, 4, 100], { seed: 2 });
      const yc = cpu.forward(u);
      const yg = onGpu.forward(u.to(gpu));
      expectClose(yg.toFloat32Array(), yc.toFloat32Array(), 1e-4);
      lc.sum(lc.square(yc)).backward();
      lc.sum(lc.square(yg)).backward();
      const gg = onGpu.namedParameters();
      cpu.namedParameters().forEach(([n, p], i) => {
        expect(gg[i][0]).toBe(n);
        expectClose(gg[i][1].grad!.toFloat32Array(), p.grad!.toFloat32Array(), 1e-3);
      });
      onGpu.setupStep();
      const [ys] = onGpu.step(lc.reshape(lc.narrow(u.to(gpu), 2, 0, 1), [2, 4]), onGpu.defaultState(2));
      expectClose(ys.toFloat32Array(), lc.reshape(lc.narrow(yc, 2, 0, 1), [2, 4]).toFloat32Array(), 1e-4);
    });
    [cpu, onGpu].forEach((l) => l.dispose());
  });

  for (const [label, options] of [['zoh', { disc: 'zoh' }], ['bilinear, channels 2', { disc: 'bilinear', channels: 2 }]] as [string, lc.nn.S4DOptions][]) {
    test(`step() over a whole sequence equals the convolution mode on the GPU device (${label})`, () => {
      const H = 4, N = 16, B = 3, L = 64;
      const layer = new lc.nn.S4D(H, { dState: N, seed: 3, dtMax: 0.3, ...options }).eval().to(gpu);
      const x = lc.randn([B, H, L], { seed: 5, device: gpu });
      const conv = lc.tidy(() => layer.forward(x).toFloat32Array());
      layer.setupStep();
      expectClose(runSteps(layer, x), conv, 1e-4);
      x.dispose();
      layer.dispose();
    });
  }

  test('forward and parameter gradients match the CPU; a round trip to the CPU loses nothing', () => {
    const x = lc.randn([2, 3, 40], { seed: 8 });
    expectCudaMatchesCpu(() => new lc.nn.S4D(3, { dState: 8, channels: 2, bidirectional: true, seed: 5 }), x);
    x.dispose();
  });

  test('shared A and B, softplus dt, trained B: forward and gradients match the CPU; step() on the GPU equals the convolution', () => {
    const cfg: S4DConfig = { H: 6, N: 8, channels: 1, bidirectional: false, disc: 'zoh', nSsm: 2, dtTransform: 'softplus', trainB: true };
    const x = lc.randn([2, 6, 40], { seed: 8 });
    expectCudaMatchesCpu(() => makeLayer(cfg, 5), x);
    const layer = makeLayer(cfg, 6).eval().to(gpu);
    const xg = x.to(gpu);
    const conv = lc.tidy(() => layer.forward(xg).toFloat32Array());
    layer.setupStep();
    expectClose(runSteps(layer, xg), conv, 1e-4);
    lc.dispose([x, xg]);
    layer.dispose();
  });
});

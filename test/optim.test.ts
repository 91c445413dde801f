// lc.optim: AdamW against a float64 reference of PyTorch's update, schedules, gradient clipping,
// optimizer state round trips, bad input, memory, and the CUDA kernels against the CPU ones.
import * as lc from '../lib';
import { cudaCases, cudaSuite, gpu } from './devices';
import { expectBadInput, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, settledMemory } from './helpers';

/** Three parameters, one per group, and a buffer. */
class Net extends lc.nn.Module {
  constructor(seed: number) {
    super();
    this.registerParameter('weight', lc.randn([3, 5], { seed }));
    this.registerParameter('kernel.log_dt', lc.randn([4], { seed: seed + 1 }), 'ssm');
    this.registerParameter('bias', lc.randn([3], { seed: seed + 2 }), 'noDecay');
    this.registerBuffer('running', lc.randn([2], { seed: seed + 3 }));
  }
}

type Values = Record<string, Float64Array>;

const valuesOf = (net: lc.nn.Module): Values =>
  Object.fromEntries(net.namedParameters().map(([n, p]) => [n, Float64Array.from(p.toFloat32Array())]));

/** Seeded gradients for each parameter at step `step` (float32-representable). */
function gradsAt(net: lc.nn.Module, step: number): Values {
  return Object.fromEntries(
    net.namedParameters().map(([n, p], i) => [n, randomArray(p.size, 1000 * step + i).map((g) => Math.fround(g * (1 + i)))]),
  );
}

function setGrads(net: lc.nn.Module, grads: Values): void {
  for (const [name, p] of net.namedParameters()) {
    p.grad?.dispose();
    p.grad = lc.keep(lc.tensor(Float32Array.from(grads[name]), p.shape, { device: p.device }));
  }
}

interface Hyper {
  lr: number;
  weightDecay: number;
}

/** PyTorch's AdamW (torch.optim.AdamW, foreach=False) in float64; lr per step. */
function referenceAdamW(p0: Float64Array, grads: Float64Array[], lrs: number[], wd: number, betas = [0.9, 0.999], eps = 1e-8) {
  const [b1, b2] = betas;
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, s) => {
    const t = s + 1;
    const lr = lrs[s];
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps));
    }
  });
  return { p, m, v };
}

function expectMemory(before: ReturnType<typeof lc.memory>): void {
  const after = lc.memory();
  expect(after.cpu.tensors).toBe(before.cpu.tensors);
  expect(after.cpu.bytes).toBe(before.cpu.bytes);
  expect(after.cuda.tensors).toBe(before.cuda.tensors);
  expect(after.cuda.bytes).toBe(before.cuda.bytes);
}

describe('AdamW', () => {
  const runAgainstReference = (options: lc.optim.AdamWOptions, hyper: Record<string, Hyper>, scales: number[], betas?: number[], eps?: number) => {
    const net = new Net(1);
    const opt = new lc.optim.AdamW(net, options);
    const p0 = valuesOf(net);
    const grads = scales.map((_, s) => gradsAt(net, s));
    for (const scale of scales) {
      opt.setLrScale(scale);
      setGrads(net, grads[opt.stepCount]);
      opt.step();
      opt.zeroGrad();
    }
    expect(opt.stepCount).toBe(scales.length);
    const state = opt.stateDict();
    let stateError = 0;
    let updateError = 0;
    for (const [name, p] of net.namedParameters()) {
      const { lr, weightDecay } = hyper[name];
      const ref = referenceAdamW(p0[name], grads.map((g) => g[name]), scales.map((s) => lr * s), weightDecay, betas, eps);
      const values = Float64Array.from(p.toFloat32Array());
      stateError = Math.max(stateError, relError(values, ref.p), relError(state.m[name].toFloat32Array(), ref.m), relError(state.v[name].toFloat32Array(), ref.v));
      // The total update p - p0 alone (much smaller than p): float32 rounding of p, relative to it.
      updateError = Math.max(updateError, relError(values.map((x, i) => x - p0[name][i]), ref.p.map((x, i) => x - p0[name][i])));
    }
    net.dispose();
    opt.dispose();
    return { stateError, updateError };
  };

  test('groups default as the papers train them: ssm lr 1e-3 and no decay, noDecay no decay', () => {
    const net = new Net(1);
    const opt = new lc.optim.AdamW(net, { lr: 0.01 });
    expect(opt.groups).toEqual({
      default: { lr: 0.01, weightDecay: 0.01 },
      ssm: { lr: 1e-3, weightDecay: 0 },
      noDecay: { lr: 0.01, weightDecay: 0 },
    });
    expect(opt.lr('ssm')).toBe(1e-3);
    opt.setLrScale(0.5);
    expect(opt.lr()).toBe(0.005);
    expect(opt.lrScale).toBe(0.5);
    net.dispose();
  });

  test('matches a float64 PyTorch AdamW over 5 steps with groups and bias correction', () => {
    const { stateError, updateError } = runAgainstReference(
      { lr: 0.01 },
      { weight: { lr: 0.01, weightDecay: 0.01 }, 'kernel.log_dt': { lr: 1e-3, weightDecay: 0 }, bias: { lr: 0.01, weightDecay: 0 } },
      [1, 1, 1, 1, 1],
    );
    process.stdout.write(`AdamW vs float64: state ${stateError.toExponential(2)}, update ${updateError.toExponential(2)}\n`);
    expect(stateError).toBeLessThan(1e-6);
    expect(updateError).toBeLessThan(1e-4);
  });

  test('per-parameter overrides (S4\'s lr.dt): the first match sets lr and/or weight decay; float64 reference', () => {
    const options = { lr: 0.02, overrides: [{ match: /(^|\.)kernel\.log_dt$/g, lr: 0.02 }, { match: /^kernel/, lr: 0.5, weightDecay: 0.3 }, { match: /^bias$/, weightDecay: 0.1 }] };
    const { stateError, updateError } = runAgainstReference(
      options,
      { weight: { lr: 0.02, weightDecay: 0.01 }, 'kernel.log_dt': { lr: 0.02, weightDecay: 0 }, bias: { lr: 0.02, weightDecay: 0.1 } },
      [1, 0.5, 1],
    );
    expect(stateError).toBeLessThan(1e-6);
    expect(updateError).toBeLessThan(1e-4);
    const net = new Net(2);
    const opt = new lc.optim.AdamW(net, options);
    expect([opt.hyperparameters('kernel.log_dt', 'ssm'), opt.hyperparameters('kernel.log_dt', 'ssm'), opt.hyperparameters('weight', 'default')]).toEqual([
      { lr: 0.02, weightDecay: 0 }, { lr: 0.02, weightDecay: 0 }, { lr: 0.02, weightDecay: 0.01 },
    ]);
    expectBadInput(() => new lc.optim.AdamW(net, { overrides: [{ match: 'log_dt' as never }] }), TypeError, /AdamW options\.overrides\[0\]\.match: expected a RegExp/);
    expectBadInput(() => new lc.optim.AdamW(net, { overrides: [{ match: /x/, lr: -1 }] }), RangeError, /AdamW options\.overrides\[0\]\.lr/);
    net.dispose();
    opt.dispose();
  });

  test('matches with overridden groups, betas, eps and a cosine lr schedule', () => {
    const schedule = lc.optim.cosineSchedule({ warmup: 2, total: 6, minScale: 0.1 });
    const scales = [0, 1, 2, 3, 4, 5, 6].map(schedule);
    const { stateError, updateError } = runAgainstReference(
      { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, groups: { ssm: { lr: 0.02, weightDecay: 0.05 }, noDecay: { lr: 0.03 } } },
      { weight: { lr: 0.05, weightDecay: 0.1 }, 'kernel.log_dt': { lr: 0.02, weightDecay: 0.05 }, bias: { lr: 0.03, weightDecay: 0 } },
      scales,
      [0.8, 0.99],
      1e-6,
    );
    process.stdout.write(`AdamW vs float64: state ${stateError.toExponential(2)}, update ${updateError.toExponential(2)}\n`);
    expect(stateError).toBeLessThan(1e-6);
    expect(updateError).toBeLessThan(1e-4);
  });

  test('skips parameters without a gradient; zeroGrad disposes and clears gradients', () => {
    const net = new Net(2);
    const opt = new lc.optim.AdamW(net, { lr: 0.1 });
    const before = valuesOf(net);
    const weight = net.namedParameters()[0][1];
    const grad = lc.keep(lc.ones(weight.shape));
    weight.grad = grad;
    opt.step();
    const after = valuesOf(net);
    expect(after.bias).toEqual(before.bias);
    expect(after['kernel.log_dt']).toEqual(before['kernel.log_dt']);
    expect(relError(after.weight, before.weight)).toBeGreaterThan(1e-3);
    expect(Object.keys(opt.stateDict().m)).toEqual(['weight']);
    opt.zeroGrad();
    expect(grad.isDisposed).toBe(true);
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    net.dispose();
    opt.dispose();
  });

  test('state dict round trip: 3 steps, save, new optimizer, load, 3 steps == 6 steps straight', () => {
    const straight = new Net(3);
    const optStraight = new lc.optim.AdamW(straight, { lr: 0.02 });
    for (let s = 0; s < 6; s++) {
      setGrads(straight, gradsAt(straight, s));
      optStraight.step();
    }
    const first = new Net(3);
    const optFirst = new lc.optim.AdamW(first, { lr: 0.02 });
    for (let s = 0; s < 3; s++) {
      setGrads(first, gradsAt(first, s));
      optFirst.step();
    }
    const resumed = new Net(99);
    resumed.loadStateDict(first.stateDict());
    const optResumed = new lc.optim.AdamW(resumed, { lr: 0.02 });
    optResumed.loadStateDict(optFirst.stateDict());
    expect(optResumed.stepCount).toBe(3);
    // The loaded moments are copies: the first optimizer's can go.
    optFirst.dispose();
    for (let s = 3; s < 6; s++) {
      setGrads(resumed, gradsAt(resumed, s));
      optResumed.step();
    }
    expect(valuesOf(resumed)).toEqual(valuesOf(straight));
    for (const net of [straight, first, resumed]) net.dispose();
    optStraight.dispose();
    optResumed.dispose();
  });

  test('bad state dicts throw RangeError naming the entry and change nothing', () => {
    const net = new Net(4);
    const opt = new lc.optim.AdamW(net);
    setGrads(net, gradsAt(net, 0));
    opt.step();
    const m = opt.stateDict().m;
    const v = opt.stateDict().v;
    const snapshot = JSON.stringify(Object.values(opt.stateDict().m).map((t) => Array.from(t.toFloat32Array())));
    const wrongShape = lc.keep(lc.zeros([5, 3]));
    const extra = lc.keep(lc.zeros([2]));
    const before = settledMemory();
    const cases: [lc.optim.AdamWState, RegExp][] = [
      [{ step: 1, m: { ...m, weight: wrongShape }, v }, /m\['weight'\]: expected shape \[3,5\], got \[5,3\]/],
      [{ step: 1, m: { ...m, ghost: extra }, v: { ...v, ghost: extra } }, /unexpected 'ghost' \(not a parameter of the module\)/],
      [{ step: 1, m: { weight: m.weight }, v: {} }, /'weight' is in m but not in v/],
    ];
    for (const [state, message] of cases) {
      expect(() => opt.loadStateDict(state)).toThrow(RangeError);
      expect(() => opt.loadStateDict(state)).toThrow(message);
    }
    expect(() => opt.loadStateDict({ step: -1, m, v })).toThrow(RangeError);
    expect(() => opt.loadStateDict({ step: 1.5, m, v })).toThrow(TypeError);
    expect(() => opt.loadStateDict(null as never)).toThrow(TypeError);
    expect(opt.stepCount).toBe(1);
    expect(JSON.stringify(Object.values(opt.stateDict().m).map((t) => Array.from(t.toFloat32Array())))).toBe(snapshot);
    expectMemory(before);
    wrongShape.dispose();
    extra.dispose();
    net.dispose();
    opt.dispose();
  });

  test('bad options and gradients throw named errors; a bad gradient changes nothing', () => {
    const net = new Net(5);
    expect(() => new lc.optim.AdamW({} as never)).toThrow(/module: expected an nn.Module, got an object of class Object/);
    expect(() => new lc.optim.AdamW(net, { lr: -1 })).toThrow(RangeError);
    expect(() => new lc.optim.AdamW(net, { lr: -1 })).toThrow(/AdamW options.lr: expected a finite number >= 0, got -1/);
    expect(() => new lc.optim.AdamW(net, { betas: [1, 0.9] })).toThrow(/AdamW options.betas\[0\]: expected a finite number in \[0, 1\), got 1/);
    expect(() => new lc.optim.AdamW(net, { betas: [0.9] as never })).toThrow(TypeError);
    expect(() => new lc.optim.AdamW(net, { momentum: 0.9 } as never)).toThrow(/unknown option 'momentum'/);
    expect(() => new lc.optim.AdamW(net, { groups: { ssm: { eps: 1 } } } as never)).toThrow(/^AdamW options.groups.ssm: expected only the options lr, weightDecay, got unknown option 'eps'/);
    expect(() => new lc.optim.AdamW(net, { eps: NaN })).toThrow(TypeError);

    const opt = new lc.optim.AdamW(net);
    expect(() => opt.setLrScale(-0.5)).toThrow(RangeError);
    const [[, weight], [, logDt]] = net.namedParameters();
    const values = valuesOf(net);
    weight.grad = lc.keep(lc.ones([3, 5]));
    logDt.grad = lc.keep(lc.ones([5]));
    expect(() => opt.step()).toThrow(RangeError);
    expect(() => opt.step()).toThrow(/the gradient of 'kernel.log_dt': expected shape \[4\] \(the shape of the parameter\), got \[5\]/);
    logDt.grad.dispose();
    logDt.grad = fakeTensor([4]);
    expect(() => opt.step()).toThrow(/^AdamW.step: the gradient of 'kernel.log_dt': expected device 'cpu' \(the parameter's\), got 'cuda'/);
    logDt.grad = lc.keep(lc.ones([4]));
    logDt.grad.dispose();
    expect(() => opt.step()).toThrow(/^AdamW.step: the gradient of 'kernel.log_dt': expected a live Tensor, got a disposed one/);
    logDt.grad = null;
    expect(opt.stepCount).toBe(0);
    expect(valuesOf(net)).toEqual(values);
    expect(opt.stateDict().m).toEqual({});
    opt.zeroGrad();
    net.dispose();
  });
});

describe('cosineSchedule', () => {
  test('linear warmup, then cosine decay to minScale', () => {
    const s = lc.optim.cosineSchedule({ warmup: 10, total: 110, minScale: 0.1 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(0.5, 12);
    expect(s(10)).toBeCloseTo(1, 12);
    expect(s(35)).toBeCloseTo(0.1 + 0.9 * (1 + Math.cos(Math.PI / 4)) / 2, 12);
    expect(s(60)).toBeCloseTo(0.55, 12);
    expect(s(110)).toBeCloseTo(0.1, 12);
    expect(s(500)).toBeCloseTo(0.1, 12);
    const noWarmup = lc.optim.cosineSchedule({ warmup: 0, total: 4 });
    expect([0, 1, 2, 3, 4].map(noWarmup).map((x) => +x.toFixed(12))).toEqual([1, +((1 + Math.SQRT1_2) / 2).toFixed(12), 0.5, +((1 - Math.SQRT1_2) / 2).toFixed(12), 0]);
    expect(lc.optim.cosineSchedule({ warmup: 3, total: 3 })(3)).toBe(0);
  });

  test('bad options throw named errors', () => {
    expect(() => lc.optim.cosineSchedule(undefined as never)).toThrow(TypeError);
    expect(() => lc.optim.cosineSchedule({ warmup: 1.5, total: 10 })).toThrow(/^cosineSchedule options.warmup: expected an integer >= 0, got number 1.5/);
    expect(() => lc.optim.cosineSchedule({ warmup: 20, total: 10 })).toThrow(RangeError);
    expect(() => lc.optim.cosineSchedule({ warmup: 0, total: 0 })).toThrow(/^cosineSchedule options.total: expected an integer >= 1, got 0/);
    expect(() => lc.optim.cosineSchedule({ warmup: 0, total: 5, minScale: 2 })).toThrow(/^cosineSchedule options.minScale: expected a finite number in \[0, 1\], got 2/);
    expect(() => lc.optim.cosineSchedule({ warmup: 0, total: 5 })(-1)).toThrow(RangeError);
  });
});

describe('clipGradNorm', () => {
  const sizes = [[3, 5], [100003], [1], [0]];
  const setup = (scale: number) => {
    const params = sizes.map((shape, i) => lc.keep(lc.zeros(shape, { requiresGrad: true })));
    const grads = params.map((p, i) => randomArray(p.size, 50 + i).map((g) => Math.fround(g * scale)));
    params.forEach((p, i) => (p.grad = lc.keep(lc.tensor(Float32Array.from(grads[i]), p.shape))));
    const norm = Math.sqrt(grads.reduce((acc, g) => acc + g.reduce((a, x) => a + x * x, 0), 0));
    return { params, grads, norm };
  };
  const cleanup = (params: lc.Tensor[]) => params.forEach((p) => (p.grad?.dispose(), p.dispose()));

  test('returns the global norm and scales every gradient by maxNorm / (norm + 1e-6) above it', () => {
    const { params, grads, norm } = setup(1);
    const noGrad = lc.keep(lc.zeros([2], { requiresGrad: true }));
    const maxNorm = norm / 3;
    const returned = lc.optim.clipGradNorm([...params, noGrad, params[0]], maxNorm);
    expect(Math.abs(returned - norm) / norm).toBeLessThan(1e-12);
    const coefficient = maxNorm / (norm + 1e-6);
    params.forEach((p, i) => expectClose(p.grad!.toFloat32Array(), grads[i].map((g) => g * coefficient), 1e-6));
    expect(noGrad.grad).toBeNull();
    cleanup([...params, noGrad]);
  });

  test('leaves gradients untouched at or below maxNorm; accepts a module', () => {
    const { params, grads, norm } = setup(1e-3);
    expect(lc.optim.clipGradNorm(params, norm * 2)).toBeCloseTo(norm, 12);
    params.forEach((p, i) => expect(Array.from(p.grad!.toFloat32Array())).toEqual(Array.from(grads[i])));
    cleanup(params);

    const net = new Net(6);
    setGrads(net, gradsAt(net, 0));
    const g = gradsAt(net, 0);
    const expected = Math.sqrt(Object.values(g).reduce((acc, x) => acc + x.reduce((a, y) => a + y * y, 0), 0));
    expect(lc.optim.clipGradNorm(net, 1e9)).toBeCloseTo(expected, 10);
    net.dispose();
  });

  test('bad input throws named errors and changes nothing', () => {
    const { params, grads } = setup(1);
    const disposed = lc.keep(lc.zeros([2], { requiresGrad: true }));
    disposed.grad = lc.zeros([2]);
    disposed.grad.dispose();
    const cases: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => lc.optim.clipGradNorm(params, 0), RangeError, /maxNorm: expected a finite number > 0, got 0/],
      [() => lc.optim.clipGradNorm(params, -1), RangeError, /maxNorm: expected a finite number > 0, got -1/],
      [() => lc.optim.clipGradNorm(params, NaN), TypeError, /maxNorm: expected a finite number > 0, got number NaN/],
      [() => lc.optim.clipGradNorm([params[0], 3 as never], 1), TypeError, /params\[1\]: expected a Tensor, got number 3/],
      [() => lc.optim.clipGradNorm('w' as never, 1), TypeError, /params: expected an array of tensors or an nn.Module, got string w/],
      [() => lc.optim.clipGradNorm([...params, disposed], 1e-3), TypeError, /the gradient of params\[4\]: expected a live Tensor, got a disposed one/],
    ];
    for (const [call, type, message] of cases) expectBadInput(call, type, message);
    params.forEach((p, i) => expect(Array.from(p.grad!.toFloat32Array())).toEqual(Array.from(grads[i])));
    disposed.grad = null;
    disposed.dispose();
    cleanup(params);
  });

  test('the norm and the clipped gradients do not depend on the thread count', () => {
    expectSameAcrossThreads((threads) => {
      lc.setNumThreads(threads);
      const { params } = setup(1);
      const norm = lc.optim.clipGradNorm(params, 0.5);
      const clipped = params.map((p) => Array.from(p.grad!.toFloat32Array()));
      cleanup(params);
      return { norm, clipped };
    });
  });
});

describe('memory', () => {
  test('200 training steps (backward, clipping, schedule, step, zeroGrad) keep lc.memory() flat', () => {
    const net = new Net(7);
    const opt = new lc.optim.AdamW(net, { lr: 0.01 });
    const schedule = lc.optim.cosineSchedule({ warmup: 20, total: 201 });
    const [[, weight], [, logDt], [, bias]] = net.namedParameters();
    const x = lc.keep(lc.randn([3, 5], { seed: 8 }));
    const trainStep = () =>
      lc.tidy(() => {
        const loss = lc.add(lc.add(lc.sum(lc.square(lc.mul(weight, x))), lc.sum(lc.exp(logDt))), lc.sum(lc.square(bias)));
        loss.backward();
        lc.optim.clipGradNorm(net, 1);
        opt.setLrScale(schedule(opt.stepCount));
        opt.step();
        opt.zeroGrad();
        return loss.toFloat32Array()[0];
      });
    const first = trainStep();
    let last = first;
    expectMemoryFlat(() => (last = trainStep()), 'cpu', 200);
    expect(opt.stepCount).toBe(202);
    expect(last).toBeLessThan(first);
    x.dispose();
    net.dispose();
    opt.dispose();
  });
});

cudaSuite('optim')('optim on CUDA', () => {
  test('AdamW steps equal the CPU backend; moments follow the module to the GPU', () => {
    const run = (device: lc.Device, moveAfter: number) => {
      const net = new Net(9);
      const opt = new lc.optim.AdamW(net, { lr: 0.01 });
      for (let s = 0; s < 5; s++) {
        if (s === moveAfter) net.to(device);
        setGrads(net, gradsAt(net, s));
        opt.step();
      }
      const values = valuesOf(net);
      const m = Object.fromEntries(Object.entries(opt.stateDict().m).map(([n, t]) => [n, t.device + ':' + t.toFloat32Array().join(',')]));
      opt.zeroGrad();
      net.dispose();
      opt.dispose();
      return { values, m };
    };
    const cpu = run('cpu', 0);
    const onGpu = run(gpu, 2);
    for (const name of Object.keys(cpu.values)) expectClose(onGpu.values[name], cpu.values[name], 1e-6);
    expect(Object.values(onGpu.m).every((s) => s.startsWith(`${gpu}:`))).toBe(true);
  });

  test('clipGradNorm: the sum of squares and the scaling equal the CPU backend', () => {
    for (const n of cudaCases([0, 1, 255, 257, 100003, 3000001], [0, 1, 255, 257])) {
      const data = Float32Array.from(randomArray(n, n + 1));
      const clip = (device: lc.Device) => {
        const p = lc.keep(lc.zeros([n], { device, requiresGrad: true }));
        p.grad = lc.keep(lc.tensor(data, [n], { device }));
        const norm = lc.optim.clipGradNorm([p], 0.5);
        const grad = p.grad.toFloat32Array();
        p.grad.dispose();
        p.dispose();
        return { norm, grad };
      };
      const cpu = clip('cpu');
      const onGpu = clip(gpu);
      expect(Math.abs(onGpu.norm - cpu.norm)).toBeLessThanOrEqual(1e-12 * cpu.norm);
      expectClose(onGpu.grad, cpu.grad, 1e-6);
    }
  });
});

// Shared checks for nn modules: parameter gradients against central finite differences, and
// for the sequence layers (S4, SGConv, MultiresConv) a
// tiny classifier that must overfit, state-dict round trips, CUDA, dropout and memory checks.
import * as lc from '../lib';
import { gpu } from './devices';
import { directionalDerivatives, dot, expectMemoryFlat, randomArray, relError, settledMemory } from './helpers';

/** Values of a tensor as float64. */
export const values = (t: lc.Tensor): Float64Array => Float64Array.from(t.toFloat32Array());

/** A module with a forward pass over one input: the sequence layers' shape. */
export interface SequenceLayer extends lc.nn.Module {
  forward(x: lc.Tensor): lc.Tensor;
}

/** Sets one parameter or buffer of `m` from host values (through loadStateDict). */
export function setTensor(m: lc.nn.Module, name: string, data: ArrayLike<number>): void {
  const target = m.stateDict()[name];
  // Float32Array.from: data read back from the addon comes from another realm than jest's.
  m.loadStateDict({ [name]: { data: Float32Array.from(data), shape: target.shape } }, { strict: false });
}

/**
 * Sets the SSM parameters an S4D or S4 may share (A, and B and P where the layer has them) to
 * random stable values, so its copies differ and the copy each feature reads shows in the output.
 */
export function perturbSharedSsm(layer: lc.nn.S4D | lc.nn.S4, seed: number): void {
  const sd = layer.stateDict();
  const random = (name: string, map: (v: number) => number) => setTensor(layer, name, randomArray(sd[name].size, seed++).map(map));
  random('kernel.log_A_real', (v) => Math.log(0.3 + 0.25 * (v + 1))); // Re A in [−0.8, −0.3]
  random('kernel.A_imag', (v) => 3 * v);
  if (sd['kernel.B']) random('kernel.B', (v) => v);
  if (sd['kernel.P']) random('kernel.P', (v) => 0.5 * v);
}

interface ParameterDerivative {
  name: string;
  /** The gradient backward() gave the parameter (null: none reached it). */
  grad: Float32Array | null;
  direction: Float64Array;
  /** grad · direction. */
  analytic: number;
  /** The central difference of the module itself, run in float32. */
  numeric: number;
}

/**
 * For every parameter of `module`, with loss = sum(w · forward()) for a random w (from `seed`,
 * summed in float64): the autograd directional derivative along a random direction d (from
 * directionSeed(i) for the i-th parameter) and the central difference of the module itself
 * (helpers' directionalDerivatives, the parameter set through loadStateDict). Clears the
 * parameters' gradients before and after.
 */
function parameterDerivatives(module: lc.nn.Module, forward: () => lc.Tensor, seed: number, h: number, directionSeed: (i: number) => number): ParameterDerivative[] {
  const params = module.namedParameters();
  params.forEach(([, p]) => { p.grad?.dispose(); p.grad = null; });
  const w = lc.tidy(() => lc.noGrad(() => randomArray(forward().size, seed)));
  const loss = () => lc.tidy(() => lc.noGrad(() => dot(forward().toFloat32Array(), w)));
  lc.tidy(() => {
    const y = forward();
    lc.sum(lc.mul(y, lc.tensor(Float32Array.from(w), y.shape, { device: y.device }))).backward();
  });
  const thetas = params.map(([, p]) => p.toFloat32Array());
  const grads = params.map(([, p]) => (p.grad ? p.grad.toFloat32Array() : null));
  const lossWith = (i: number, values: Float64Array) => {
    setTensor(module, params[i][0], values);
    const l = loss();
    setTensor(module, params[i][0], thetas[i]);
    return l;
  };
  const results = directionalDerivatives(thetas, grads, lossWith, params.map((_, i) => i), {
    h: () => h,
    direction: (i) => randomArray(params[i][1].size, directionSeed(i)),
  });
  params.forEach(([, p]) => { p.grad?.dispose(); p.grad = null; });
  return results.map(({ which, direction, analytic, numeric }) => ({ name: params[which][0], grad: grads[which], direction, analytic, numeric }));
}

/**
 * For every parameter of `module`: the gradient that backward() gives for the loss
 * sum(w · forward()) along a random direction d, against the central difference
 * (loss(θ + h d) − loss(θ − h d)) / 2h of the module itself in float32 (loss summed in float64).
 * Returns the worst relative error |fd − analytic| / max(|analytic|, floor · |g|·|d|) per name.
 */
export function parameterGradErrors(module: lc.nn.Module, forward: () => lc.Tensor, seed: number, h = 1e-2): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const { name, grad, direction, analytic, numeric } of parameterDerivatives(module, forward, seed, h, (i) => seed + 101 * (i + 1))) {
    const norm = grad ? Math.sqrt(dot(grad, grad) * dot(direction, direction)) : 0;
    errors[name] = Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), 1e-2 * norm, 1e-6);
  }
  return errors;
}

/**
 * For every parameter, the autograd directional derivative of sum(w ⊙ layer(x)) along a random
 * direction against the central difference of the layer itself (float32). Returns the worst
 * relative error |analytic − numeric| / max(|numeric|, |analytic|, 1e-2).
 * @throws Error for a parameter that backward() gives no gradient.
 */
export function worstParameterGradError(layer: SequenceLayer, x: lc.Tensor, h: number, seed: number): { name: string; err: number }[] {
  return parameterDerivatives(layer, () => layer.forward(x), seed, h, (i) => seed + 17 * (i + 1)).map(({ name, grad, analytic, numeric }) => {
    if (!grad) throw new Error(`${name}: backward() gave no gradient`);
    // The floor keeps float32 rounding in the differences (~1e-5 absolute here) from
    // dominating the tiny derivatives of some directions (e.g. along P at short lengths).
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic), 1e-2);
    return { name, err: Math.abs(analytic - numeric) / scale };
  });
}

/**
 * Per options: a layer make(options) and x = randn([2, 3, length(options)]) (seed 6); every
 * parameter's worstParameterGradError (h 1e-2, seed 21) must be below 1e-2.
 */
export function expectParameterGradients<O extends object>(label: string, configs: O[], make: (options: O) => SequenceLayer, length: (options: O) => number): void {
  for (const options of configs) {
    const layer = make(options);
    const x = lc.randn([2, 3, length(options)], { seed: 6 });
    const results = worstParameterGradError(layer, x, 1e-2, 21);
    process.stdout.write(`${label} ${JSON.stringify(options)} worst parameter gradient error ${Math.max(...results.map((r) => r.err)).toExponential(2)}\n`);
    for (const { name, err } of results) {
      if (!(err < 1e-2)) throw new Error(`${name}: relative gradient error ${err}`);
    }
    x.dispose();
    layer.dispose();
  }
}

/** Training steps (backward of mean(layer(x)²), gradients cleared) leave CPU memory flat. */
export function expectTrainingMemoryFlat(make: () => SequenceLayer, x: lc.Tensor): void {
  const layer = make();
  expectMemoryFlat(() => {
    lc.tidy(() => lc.mean(lc.square(layer.forward(x))).backward());
    for (const p of layer.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }, 'cpu', 3);
  layer.dispose();
}

/**
 * The tiny classifier of the tests: Linear encoder dIn → H on [B,L,dIn], transposed to [B,H,L];
 * two blocks x ← LayerNorm(x + layer(x)) over channels; mean pool over L; Linear head.
 */
export class TinyClassifier extends lc.nn.Module {
  constructor(dIn: number, H: number, classes: number, makeLayer: (i: number) => SequenceLayer, seed: number) {
    super();
    this.registerParameter('encoder.weight', lc.randn([H, dIn], { seed, std: 1 / Math.sqrt(dIn) }));
    this.registerParameter('encoder.bias', lc.zeros([H]));
    for (let i = 0; i < 2; i++) {
      this.registerModule(`layers.${i}`, makeLayer(i));
      this.registerParameter(`norms.${i}.weight`, lc.ones([H]));
      this.registerParameter(`norms.${i}.bias`, lc.zeros([H]));
    }
    this.registerParameter('decoder.weight', lc.randn([classes, H], { seed: seed + 1, std: 1 / Math.sqrt(H) }));
    this.registerParameter('decoder.bias', lc.zeros([classes]));
  }

  forward(x: lc.Tensor): lc.Tensor {
    const p = this.stateDict();
    return lc.tidy(() => {
      let h = lc.transpose(lc.linear(x, p['encoder.weight'], p['encoder.bias']), 1, 2);
      for (let i = 0; i < 2; i++) {
        const layer = this.namedModules().find(([n]) => n === `layers.${i}`)![1] as SequenceLayer;
        h = lc.layerNorm(lc.add(h, layer.forward(h)), p[`norms.${i}.weight`], p[`norms.${i}.bias`], { axis: 1 });
      }
      return lc.linear(lc.mean(h, 2), p['decoder.weight'], p['decoder.bias']);
    });
  }
}

/**
 * Trains a TinyClassifier on 8 fixed sequences with AdamW (lr for the default group, the SSM
 * group at its own default 1e-3); returns the first and the best of the last five losses.
 * Also checks that memory stays flat over the training steps.
 */
export function overfit(makeLayer: (i: number) => SequenceLayer, { H = 8, L = 16, steps = 150, lr = 1e-2 } = {}): { first: number; last: number } {
  const B = 8, dIn = 3, classes = 4;
  const model = new TinyClassifier(dIn, H, classes, makeLayer, 11);
  const x = lc.randn([B, L, dIn], { seed: 5 });
  const labels = [0, 1, 2, 3, 0, 1, 2, 3];
  const optimizer = new lc.optim.AdamW(model, { lr });
  const losses: number[] = [];
  const trainStep = () => {
    lc.tidy(() => {
      const loss = lc.crossEntropy(model.forward(x), labels);
      loss.backward();
      losses.push(loss.toFloat32Array()[0]);
    });
    optimizer.step();
    optimizer.zeroGrad();
  };
  trainStep();
  const before = settledMemory().cpu;
  for (let s = 1; s < steps; s++) trainStep();
  const after = lc.memory().cpu;
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
  model.dispose();
  x.dispose();
  return { first: losses[0], last: Math.min(...losses.slice(-5)) };
}

/** Two layers built with different seeds give identical outputs after a state-dict copy. */
export function expectStateDictRoundTrip(make: (seed: number) => SequenceLayer, x: lc.Tensor): void {
  const a = make(1), b = make(2);
  const run = (m: SequenceLayer) => lc.tidy(() => lc.noGrad(() => m.forward(x).toFloat32Array()));
  const ya = run(a);
  expect(run(b)).not.toEqual(ya);
  b.loadStateDict(a.stateDict());
  expect(run(b)).toEqual(ya);
  a.dispose();
  b.dispose();
}

/**
 * The module moved to the GPU device gives the CPU's output (to 1e-4 relative) and parameter
 * gradients of sum(forward(x)·w) for a fixed random w (to 1e-3), every gradient on the GPU; moved back to the CPU it
 * gives the first output exactly (a to('cuda') / to('cpu') round trip loses nothing).
 */
export function expectCudaMatchesCpu(make: () => SequenceLayer, x: lc.Tensor): void {
  const layer = make();
  const run = (device: lc.Device) => {
    const xd = x.to(device);
    const out = lc.tidy(() => {
      const y = layer.forward(xd);
      // A fixed random weighting, not mean(y²): after a final layerNorm (a post-norm block)
      // mean(y²) is constant, so the gradients below it would be rounding noise (~1e-7).
      lc.sum(lc.mul(y, lc.randn(y.shape, { seed: 19 }).to(device))).backward();
      return [y.toFloat32Array()];
    });
    const grads = layer.namedParameters().map(([name, p]) => {
      expect([name, p.grad?.device]).toEqual([name, device]);
      const g = p.grad!.toFloat32Array();
      p.grad!.dispose();
      p.grad = null;
      return g;
    });
    if (xd !== x) xd.dispose();
    return [...out, ...grads];
  };
  const cpu = run('cpu');
  layer.to(gpu);
  const onGpu = run(gpu);
  expect(relError(onGpu[0], cpu[0])).toBeLessThan(1e-4);
  onGpu.slice(1).forEach((g, i) => expect([layer.namedParameters()[i][0], relError(g, cpu[i + 1]) < 1e-3]).toEqual([layer.namedParameters()[i][0], true]));
  layer.to('cpu');
  expect(lc.tidy(() => lc.noGrad(() => layer.forward(x).toFloat32Array()))).toEqual(cpu[0]);
  layer.dispose();
}

/** Dropout acts in training mode only: eval() output equals that of the same layer built with p = 0. */
export function expectDropoutOnlyInTraining(make: (p: number) => SequenceLayer, x: lc.Tensor): void {
  const withDropout = make(0.5), without = make(0);
  const run = (m: SequenceLayer) => lc.tidy(() => lc.noGrad(() => m.forward(x).toFloat32Array()));
  const reference = run(without);
  expect(run(withDropout)).not.toEqual(reference);
  withDropout.eval();
  expect(run(withDropout)).toEqual(reference);
  withDropout.dispose();
  without.dispose();
}

/** A layer that streams: S4D and S4 after setupStep(). */
export interface StreamingLayer {
  defaultState(batch: number): lc.Tensor;
  step(x: lc.Tensor, state: lc.Tensor): [lc.Tensor, lc.Tensor];
}

/** The outputs of step() over every position of x [B,H,L] from the default state, as [B,H,L]. */
export function runSteps(layer: StreamingLayer, x: lc.Tensor): Float32Array {
  const [B, H, L] = x.shape;
  const xs = x.toFloat32Array();
  const ys = new Float32Array(xs.length);
  let state = layer.defaultState(B);
  for (let t = 0; t < L; t++) {
    const xt = new Float32Array(B * H);
    for (let i = 0; i < B * H; i++) xt[i] = xs[i * L + t];
    const [y, next] = lc.tidy(() => layer.step(lc.tensor(xt, [B, H], { device: x.device }), state));
    state.dispose();
    state = next;
    const yv = y.toFloat32Array();
    y.dispose();
    for (let i = 0; i < B * H; i++) ys[i * L + t] = yv[i];
  }
  state.dispose();
  return ys;
}

// Shared checks for the sequence layers (S4, SGConv, MultiresConv): finite-difference gradients
// of every parameter, a tiny classifier that must overfit, state-dict round trips.
import * as lc from '../lib';
import { dot, randomArray, relError } from './helpers';

export interface SequenceLayer extends lc.nn.Module {
  forward(x: lc.Tensor): lc.Tensor;
}

/** Sets one parameter or buffer of `m` from host values (through loadStateDict). */
export function setTensor(m: lc.nn.Module, name: string, data: Float32Array): void {
  const target = m.stateDict()[name];
  // Float32Array.from: data read back from the addon comes from another realm than jest's.
  m.loadStateDict({ [name]: { data: Float32Array.from(data), shape: target.shape } }, { strict: false });
}

/**
 * For every parameter, the autograd directional derivative of sum(w ⊙ layer(x)) along a random
 * direction against the central difference of the layer itself (float32). Returns the worst
 * relative error |analytic − numeric| / max(|numeric|, |analytic|, 1e-2).
 */
export function worstParameterGradError(layer: SequenceLayer, x: lc.Tensor, h: number, seed: number): { name: string; err: number }[] {
  const out = lc.noGrad(() => layer.forward(x));
  const w = randomArray(out.size, seed);
  out.dispose();
  const loss = () => lc.tidy(() => lc.noGrad(() => dot(layer.forward(x).toFloat32Array(), w)));
  lc.tidy(() => {
    const y = layer.forward(x);
    lc.sum(lc.mul(y, lc.tensor(Float32Array.from(w), y.shape))).backward();
  });
  const results: { name: string; err: number }[] = [];
  layer.namedParameters().forEach(([name, p], i) => {
    const grad = p.grad!.toFloat32Array();
    p.grad!.dispose();
    p.grad = null;
    const base = p.toFloat32Array();
    const direction = randomArray(base.length, seed + 17 * (i + 1));
    const analytic = dot(grad, direction);
    const shifted = (sign: number) => {
      setTensor(layer, name, base.map((v, j) => v + sign * h * direction[j]));
      return loss();
    };
    const numeric = (shifted(1) - shifted(-1)) / (2 * h);
    setTensor(layer, name, base);
    // The floor keeps float32 rounding in the differences (~1e-5 absolute here) from
    // dominating the tiny derivatives of some directions (e.g. along P at short lengths).
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic), 1e-2);
    results.push({ name, err: Math.abs(analytic - numeric) / scale });
  });
  return results;
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
  const before = lc.memory().cpu;
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

/** The layer moved to CUDA gives the CPU's output (to 1e-4 relative) and gradients flow there. */
export function expectCudaMatchesCpu(make: () => SequenceLayer, x: lc.Tensor): void {
  const layer = make();
  const cpu = lc.tidy(() => lc.noGrad(() => layer.forward(x).toFloat32Array()));
  layer.to('cuda');
  const xc = x.to('cuda');
  const gpu = lc.tidy(() => {
    const y = layer.forward(xc);
    lc.mean(lc.square(y)).backward();
    return y.toFloat32Array();
  });
  expect(relError(gpu, cpu)).toBeLessThan(1e-4);
  for (const [name, p] of layer.namedParameters()) {
    expect([name, p.grad?.device]).toEqual([name, 'cuda']);
  }
  xc.dispose();
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

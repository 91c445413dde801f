// The cases of each `longconv bench` suite: what longconv runs for an op at one shape and
// length, and the request its peers get (python/bench_*.py build the same case from it).
import * as lc from '..';
import { numelOf, type Device, type Tensor } from '../tensor';
import type { BenchOptions, SuiteName } from './options';

/** One case, runnable on a device. */
export interface BenchCase {
  suite: SuiteName;
  /** The row's op: the suite's name, or `layer:<type>` for the layer suite. */
  op: string;
  /** The dimensions besides L (B, H, N, ...), as the peers receive them. */
  shape: Record<string, number>;
  L: number;
  /** Allocates the inputs on `device`. */
  prepare(device: Device): Prepared;
}

/** A case's inputs, allocated, with its two timed functions. */
export interface Prepared {
  /** The forward pass, without autograd. */
  forward(): void;
  /** Forward and backward (gradients of every differentiable input), or a whole training step. */
  forwardBackward(): void;
  /**
   * The bytes each must move at least: every input read and every output written once, and
   * for the backward the upstream gradient and inputs read again and each gradient written.
   */
  bytes: { fwd: number; fwdBwd: number };
  dispose(): void;
}

interface Defaults {
  B?: number;
  H: number;
  N?: number;
  sizes: number[];
}

/** Each suite's shape and lengths when --batch, --heads, --state or --sizes do not say. */
const SUITE_DEFAULTS: Record<SuiteName, Defaults> = {
  fftconv: { B: 8, H: 32, sizes: [1024, 4096, 16384, 65536] },
  rfft: { B: 8, H: 32, sizes: [1024, 4096, 16384, 65536] },
  cauchy: { H: 64, N: 64, sizes: [1024, 4096, 16384] },
  vandermonde: { H: 64, N: 64, sizes: [1024, 4096, 16384] },
  's4d-kernel': { H: 64, N: 64, sizes: [1024, 4096, 16384] },
  's4-kernel': { H: 64, N: 64, sizes: [1024, 4096, 16384] },
  'sgconv-kernel': { H: 64, sizes: [1024, 4096, 16384, 65536] },
  multires: { B: 8, H: 32, sizes: [1024, 4096, 16384, 65536] },
  layer: { B: 8, H: 64, N: 64, sizes: [1024, 4096] },
  'train-step': { B: 16, H: 128, N: 64, sizes: [1024] },
};

/** SGConv's sub-kernel length d and MultiresConv's taps k, as the references' defaults. */
const SGCONV_DIM = 64, MULTIRES_TAPS = 2;
const TRAIN_LAYERS = 4, TRAIN_CLASSES = 10;
const LAYER_TYPES = ['s4d', 's4', 'sgconv', 'multires'] as const;

const RANDOM_BLOCK = 1 << 24;

/**
 * Random normal values of `shape` on `device`. Above 2^24 values, a random block of the trailing
 * axes (at most 2^24 values) repeated along the leading ones: the samples are drawn on the CPU,
 * and drawing 800 M of them (B=16, H=768, L=64K) took longer than the runs they feed. The timed
 * ops cost the same whatever the values.
 */
function randomInput(shape: number[], seed: number, device: Device, requiresGrad = false): Tensor {
  let lead = 0; // the leading axes the block repeats along
  while (lead < shape.length - 1 && numelOf(shape.slice(lead)) > RANDOM_BLOCK) lead++;
  if (lead === 0) return lc.randn(shape, { seed, device, requiresGrad });
  const block = lc.randn([...shape.slice(0, lead).map(() => 1), ...shape.slice(lead)], { seed, device });
  const zeros = lc.zeros(shape, { device });
  const out = lc.add(zeros, block);
  block.dispose();
  zeros.dispose();
  out.requiresGrad = requiresGrad;
  return out;
}

/**
 * Wraps a differentiable computation over `inputs`: forward runs it without autograd;
 * forward+backward runs it and backpropagates a fixed random upstream gradient, then drops
 * the gradients. `owned` are disposed with the case (a module disposes its own parameters).
 */
function differentiable(device: Device, inputs: Tensor[], run: () => Tensor, owned: { dispose(): void }[]): Prepared {
  const out = lc.noGrad(() => run());
  const upstream = randomInput([...out.shape], 99, device);
  const outputs = out.size;
  out.dispose();
  const reads = inputs.reduce((s, t) => s + t.size, 0);
  const grads = inputs.filter((t) => t.requiresGrad).reduce((s, t) => s + t.size, 0);
  const fwd = 4 * (reads + outputs);
  return {
    forward: () => lc.tidy(() => lc.noGrad(() => { run(); })),
    forwardBackward: () => {
      lc.tidy(() => run().backward(upstream));
      clearGrads(inputs);
    },
    bytes: { fwd, fwdBwd: fwd + 4 * (outputs + reads + grads) },
    dispose: () => {
      upstream.dispose();
      owned.forEach((o) => o.dispose());
    },
  };
}

function clearGrads(tensors: Tensor[]): void {
  for (const t of tensors) {
    if (t.grad) {
      t.grad.dispose();
      t.grad = null;
    }
  }
}

// Complex [H, N/2, 2] values like a trained diagonal SSM's: A = −1/2 + iπn (S4D-Lin), dt in [1e-3, 1e-1].
function s4dLin(H: number, modes: number): { re: Float32Array; im: Float32Array; dt: Float32Array } {
  const re = new Float32Array(H * modes).fill(-0.5);
  const im = Float32Array.from({ length: H * modes }, (_, i) => Math.PI * (i % modes));
  const dt = Float32Array.from({ length: H }, (_, h) => Math.exp(Math.log(1e-3) + (Math.log(1e-1) - Math.log(1e-3)) * (H > 1 ? h / (H - 1) : 0.5)));
  return { re, im, dt };
}

function interleave(re: Float32Array, im: Float32Array): Float32Array {
  const out = new Float32Array(2 * re.length);
  re.forEach((r, i) => { out[2 * i] = r; out[2 * i + 1] = im[i]; });
  return out;
}

type Maker = (shape: Record<string, number>, L: number, device: Device) => Prepared;

const makers: Record<Exclude<SuiteName, 'layer' | 'train-step'>, Maker> = {
  fftconv: ({ B, H }, L, device) => {
    const u = randomInput([B, H, L], 1, device, true);
    const k = lc.randn([H, L], { seed: 2, device, requiresGrad: true });
    const D = lc.randn([H], { seed: 3, device, requiresGrad: true });
    return differentiable(device, [u, k, D], () => lc.fftConv(u, k, { D }), [u, k, D]);
  },
  rfft: ({ B, H }, L, device) => {
    const x = randomInput([B, H, L], 1, device, true);
    return differentiable(device, [x], () => lc.rfft(x, 2 * L), [x]);
  },
  cauchy: ({ H, N }, L, device) => {
    // S4's use: conjugate pairs, w = dt·Λ in the left half-plane, z = 2i·tan(πj/2L) on the imaginary axis.
    const modes = N / 2;
    const v = lc.randn([H, modes, 2], { seed: 1, device, requiresGrad: true });
    const { re, im, dt } = s4dLin(H, modes);
    const w = lc.tensor(interleave(re.map((r, i) => r * dt[Math.floor(i / modes)]), im.map((m, i) => m * dt[Math.floor(i / modes)])), [H, modes, 2], { device, requiresGrad: true });
    const z = lc.tensor(Float32Array.from({ length: 2 * L }, (_, i) => (i % 2 ? 2 * Math.tan((Math.PI * (i >> 1)) / (2 * L)) : 0)), [L, 2], { device });
    return differentiable(device, [v, w, z], () => lc.cauchy(v, z, w, { conj: true }), [v, w, z]);
  },
  vandermonde: ({ H, N }, L, device) => {
    const modes = N / 2;
    const v = lc.randn([H, modes, 2], { seed: 1, device, requiresGrad: true });
    const { re, im, dt } = s4dLin(H, modes);
    const x = lc.tensor(interleave(re.map((r, i) => r * dt[Math.floor(i / modes)]), im.map((m, i) => m * dt[Math.floor(i / modes)])), [H, modes, 2], { device, requiresGrad: true });
    return differentiable(device, [v, x], () => lc.vandermonde(v, x, L), [v, x]);
  },
  's4d-kernel': ({ H, N }, L, device) => {
    // The minimal S4D kernel's parameters: dt = exp(log_dt), A = −exp(log_A_real) + i·A_imag.
    const modes = N / 2;
    const { re, im, dt } = s4dLin(H, modes);
    const logDt = lc.tensor(dt.map(Math.log), [H], { device, requiresGrad: true });
    const logAReal = lc.tensor(re.map((r) => Math.log(-r)), [H, modes], { device, requiresGrad: true });
    const AImag = lc.tensor(im, [H, modes], { device, requiresGrad: true });
    const C = lc.randn([H, modes, 2], { seed: 1, std: Math.SQRT1_2, device, requiresGrad: true });
    const inputs = [logDt, logAReal, AImag, C];
    return differentiable(device, inputs, () => lc.kernels.s4d({ A: lc.complex(lc.neg(lc.exp(logAReal)), AImag), C, dt: lc.exp(logDt) }, L), inputs);
  },
  's4-kernel': ({ H, N }, L, device) => {
    // A DPLR SSM of S4's shapes (rank 1); the values only need to keep the kernel finite.
    const modes = N / 2;
    const { re, im, dt } = s4dLin(H, modes);
    const Lambda = lc.tensor(interleave(re, im), [H, modes, 2], { device, requiresGrad: true });
    const P = lc.randn([1, H, modes, 2], { seed: 1, std: 0.5, device, requiresGrad: true });
    const B = lc.randn([H, modes, 2], { seed: 2, std: 0.5, device, requiresGrad: true });
    const Ct = lc.randn([H, modes, 2], { seed: 3, std: Math.SQRT1_2, device, requiresGrad: true });
    const logDt = lc.tensor(dt.map(Math.log), [H], { device, requiresGrad: true });
    const inputs = [Lambda, P, B, Ct, logDt];
    return differentiable(device, inputs, () => lc.kernels.s4({ Lambda, P, B, Ct, dt: lc.exp(logDt) }, L), inputs);
  },
  'sgconv-kernel': ({ H, d }, L, device) => {
    // SGConv's scales for l_max = L: S = 1 + ceil(log2(L/d)); the norm frozen as after the first forward.
    const S = 1 + Math.max(0, Math.ceil(Math.log2(L / d)));
    const subKernels = Array.from({ length: S }, (_, i) => lc.randn([H, d], { seed: 1 + i, device, requiresGrad: true }));
    const first = lc.noGrad(() => lc.kernels.sgconv(subKernels, L));
    first.kernel.dispose();
    const norm = first.norm;
    return differentiable(device, subKernels, () => lc.kernels.sgconv(subKernels, L, { norm }).kernel, [...subKernels, norm]);
  },
  multires: ({ B, H, k }, L, device) => {
    const J = lc.multiresDepth(L, k);
    const x = lc.randn([B, H, L], { seed: 1, device, requiresGrad: true });
    const h0 = lc.randn([H, k], { seed: 2, std: 0.5, device, requiresGrad: true });
    const h1 = lc.randn([H, k], { seed: 3, std: 0.5, device, requiresGrad: true });
    const w = lc.randn([H, J + 2], { seed: 4, std: 0.5, device, requiresGrad: true });
    return differentiable(device, [x, h0, h1, w], () => lc.multiresConv(x, h0, h1, w), [x, h0, h1, w]);
  },
};

function layer(type: (typeof LAYER_TYPES)[number], { B, H, N }: Record<string, number>, L: number, device: Device): Prepared {
  const model = (() => {
    switch (type) {
      case 's4d': return new lc.nn.S4D(H, { dState: N, seed: 1 });
      case 's4': return new lc.nn.S4(H, { dState: N, lMax: L, seed: 1 });
      case 'sgconv': return new lc.nn.SGConv(H, { lMax: L, kernelDim: SGCONV_DIM, seed: 1 });
      case 'multires': return new lc.nn.MultiresConv(H, { lMax: L, kernelSize: MULTIRES_TAPS, seed: 1 });
    }
  })().to(device);
  const x = randomInput([B, H, L], 2, device, true);
  // SGConv freezes its kernel norm on the first forward, as the reference; do it outside the timing.
  lc.noGrad(() => model.forward(x)).dispose();
  return differentiable(device, [x, ...model.parameters()], () => model.forward(x), [x, model]);
}

function trainStep({ B, H, N }: Record<string, number>, L: number, device: Device): Prepared {
  // The S4 repository's example classifier (S4D blocks, post-norm, dropout 0.1, mean pooling) and AdamW.
  const model = new lc.nn.SequenceClassifier({
    dInput: 1, dModel: H, nLayers: TRAIN_LAYERS, layer: { type: 's4d', dState: N }, nClasses: TRAIN_CLASSES, dropout: 0.1, seed: 1,
  }).to(device);
  const x = lc.randn([B, L, 1], { seed: 2, device });
  const labels = Array.from({ length: B }, (_, i) => i % TRAIN_CLASSES);
  const opt = new lc.optim.AdamW(model, { lr: 0.01, weightDecay: 0.01 });
  const params = model.parameters().reduce((s, p) => s + p.size, 0);
  const loss = () => lc.crossEntropy(model.forward(x), labels);
  // Forward reads the input and parameters; the step also writes the gradients, and AdamW reads
  // them with the parameters and both moments and writes those three back.
  const fwd = 4 * (B * L + params);
  return {
    forward: () => lc.tidy(() => lc.noGrad(() => { loss(); })),
    forwardBackward: () => {
      lc.tidy(() => loss().backward());
      opt.step();
      opt.zeroGrad();
    },
    bytes: { fwd, fwdBwd: fwd + 4 * params * (1 + 4 + 3) },
    dispose: () => {
      x.dispose();
      opt.dispose();
      model.dispose();
    },
  };
}

/** The cases of the suites asked for, with the flags' shapes and lengths over the defaults. */
export function benchCases(opts: Pick<BenchOptions, 'suites' | 'sizes' | 'batch' | 'heads' | 'state'>): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const suite of opts.suites) {
    const d = SUITE_DEFAULTS[suite];
    const shape: Record<string, number> = {};
    if (d.B !== undefined) shape.B = opts.batch ?? d.B;
    shape.H = opts.heads ?? d.H;
    if (d.N !== undefined) shape.N = opts.state ?? d.N;
    for (const L of opts.sizes ?? d.sizes) {
      if (suite === 'layer') {
        for (const type of LAYER_TYPES) {
          const s = type === 's4d' || type === 's4' ? shape : type === 'sgconv' ? { B: shape.B, H: shape.H, d: SGCONV_DIM } : { B: shape.B, H: shape.H, k: MULTIRES_TAPS };
          cases.push({ suite, op: `layer:${type}`, shape: s, L, prepare: (device) => layer(type, s, L, device) });
        }
      } else if (suite === 'train-step') {
        const s = { ...shape, layers: TRAIN_LAYERS };
        cases.push({ suite, op: suite, shape: s, L, prepare: (device) => trainStep(s, L, device) });
      } else {
        const s = suite === 'sgconv-kernel' ? { ...shape, d: SGCONV_DIM } : suite === 'multires' ? { ...shape, k: MULTIRES_TAPS } : shape;
        cases.push({ suite, op: suite, shape: s, L, prepare: (device) => makers[suite](s, L, device) });
      }
    }
  }
  return cases;
}

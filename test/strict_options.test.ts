import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lc from '../lib';

// Strict arguments everywhere (issue 12, item 12): nothing is coerced. A value of the wrong kind
// is a TypeError, a value of the right kind out of range a RangeError, and every message reads
// `name: expected X, got Y`, undefined included. The sweeps below call every exported function
// and constructor that takes an options object, an integer, a number or a boolean.

type Call = () => unknown;
const TEMPLATE = /^[^:]+: expected .+, got .+$/s;

function expectError(call: Call, type: ErrorConstructor, message: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).constructor).toBe(type);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as Error).message).toMatch(TEMPLATE);
}

describe('the cases of the issue', () => {
  const cases: [string, Call, ErrorConstructor, RegExp][] = [
    ["randn([2], {mean: '1'})", () => lc.randn([2], { mean: '1' as never }), TypeError, /^options\.mean: expected a finite number, got string 1$/],
    ["randn([2], {seed: 'a'})", () => lc.randn([2], { seed: 'a' as never }), TypeError, /^options\.seed: expected an integer >= 0, got string a$/],
    ['randn([2], {seed: NaN})', () => lc.randn([2], { seed: NaN }), TypeError, /^options\.seed: expected an integer >= 0, got number NaN$/],
    ['randn([2], {seed: -1})', () => lc.randn([2], { seed: -1 }), RangeError, /^options\.seed: expected an integer >= 0, got -1$/],
    ['randn([2], {std: -1})', () => lc.randn([2], { std: -1 }), RangeError, /^options\.std: expected a finite number >= 0, got -1$/],
    ["lc.seed('x')", () => lc.seed('x' as never), TypeError, /^s: expected an integer >= 0, got string x$/],
    ['lc.seed(undefined)', () => lc.seed(undefined as never), TypeError, /^s: expected an integer >= 0, got undefined$/],
    ['lc.seed(1.5)', () => lc.seed(1.5), TypeError, /^s: expected an integer >= 0, got number 1.5$/],
    ["full([2], 'x')", () => lc.full([2], 'x' as never), TypeError, /^value: expected a number, got string x$/],
    ['full([2], undefined)', () => lc.full([2], undefined as never), TypeError, /^value: expected a number, got undefined$/],
    ["zeros([2], {requiresGrad: 'yes'})", () => lc.zeros([2], { requiresGrad: 'yes' as never }), TypeError, /^options\.requiresGrad: expected a boolean, got string yes$/],
    ["tensor([1], [1], {requiresGrad: 1})", () => lc.tensor([1], [1], { requiresGrad: 1 as never }), TypeError, /^options\.requiresGrad: expected a boolean, got number 1$/],
    ["randn([1], {requiresGrad: 'true'})", () => lc.randn([1], { requiresGrad: 'true' as never }), TypeError, /^options\.requiresGrad: expected a boolean, got string true$/],
    ['tensor([[1,2,3],[4]], [2,2]) (ragged)', () => lc.tensor([[1, 2, 3], [4]], [2, 2]), RangeError, /^data\[1\]: expected 3 entries \(as data\[0\]; nested arrays must not be ragged\), got 1$/],
    ['tensor([[1,2],[3,[4]]], [4]) (ragged deeper)', () => lc.tensor([[1, 2], [3, [4]]], [4]), TypeError, /^data\[1\]\[1\]: expected a number, got an array$/],
    ['tensor([[1,2],3], [3]) (mixed)', () => lc.tensor([[1, 2], 3], [3]), TypeError, /^data\[1\]: expected an array \(as data\[0\]\), got number 3$/],
    ["tensor([1,'2'], [2])", () => lc.tensor([1, '2'] as never, [2]), TypeError, /^data\[1\]: expected a number, got string 2$/],
    ["zeros([2], {dev: 'cpu'}) (unknown option)", () => lc.zeros([2], { dev: 'cpu' } as never), TypeError, /^options: expected only the options device, requiresGrad, got unknown option 'dev'$/],
    ["randn([2], {sd: 1}) (unknown option)", () => lc.randn([2], { sd: 1 } as never), TypeError, /^options: expected only the options device, requiresGrad, seed, mean, std, got unknown option 'sd'$/],
    ['zeros(undefined)', () => lc.zeros(undefined as never), TypeError, /^shape: expected an array of non-negative integers, got undefined$/],
    ["zeros([2, '3'])", () => lc.zeros([2, '3'] as never), TypeError, /^shape\[1\]: expected an integer >= 0, got string 3$/],
    // Used to loop forever (no expression is longer than 10 and shorter than 5):
    ['data.sampleListOps(random, 10, 5)', () => lc.data.sampleListOps(Math.random, 10, 5), RangeError, /^minLength: expected an integer in \[1, 5\], got 10$/],
    // Used to clamp minLength to maxLength silently:
    ['data.listopsTask({minLength: 600, maxLength: 512})', () => lc.data.listopsTask({ minLength: 600, maxLength: 512 }), RangeError, /^options\.minLength: expected an integer in \[1, 512\], got 600$/],
  ];
  for (const [name, call, type, message] of cases) test(name, () => expectError(call, type, message));

  test('valid calls still work: regular nested arrays, NaN and ±Infinity as fill values', () => {
    lc.tidy(() => {
      expect(Array.from(lc.tensor([[1, 2], [3, 4]], [2, 2]).toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(lc.tensor([[[1], [2]], [[3], [4]]], [4]).toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(lc.full([2], -Infinity).toFloat32Array())).toEqual([-Infinity, -Infinity]);
      expect(Number.isNaN(lc.full([1], NaN).toFloat32Array()[0])).toBe(true);
      expect(Array.from(lc.randn([3], { seed: 2 ** 40, mean: 1, std: 0 }).toFloat32Array())).toEqual([1, 1, 1]);
    });
  });
});

// Inputs the sweeps reuse; every call below is valid except for the argument under test.
const x3 = lc.randn([2, 3, 8], { seed: 1 });
const k2 = lc.randn([3, 8], { seed: 2 });
const v = lc.randn([3, 4, 2], { seed: 3 });
const z = lc.randn([5, 2], { seed: 4 });
const h = lc.randn([3, 2], { seed: 5 });
const w5 = lc.randn([3, 5], { seed: 6 });
const A = lc.init.s4dLin(3, 8).A;
const dt = lc.full([3], 0.1);
const hippo = lc.init.hippoLegS(8);
const Lambda = lc.stack([hippo.Lambda, hippo.Lambda, hippo.Lambda], 0);
const P = lc.reshape(lc.stack([hippo.P, hippo.P, hippo.P], 0), [1, 3, 4, 2]);
const B = lc.stack([hippo.B, hippo.B, hippo.B], 0);
const sub = lc.randn([2, 3, 4], { seed: 7 });
afterAll(() => lc.dispose([x3, k2, v, z, h, w5, A, dt, hippo.Lambda, hippo.P, hippo.B, Lambda, P, B, sub]));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-strict-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const linearModule = new lc.nn.Linear(3, 2, { seed: 1 });
afterAll(() => linearModule.dispose());

describe('every options object: unknown keys and non-objects are TypeErrors naming it', () => {
  // [label, call with the given options bag]
  const withOptions: [string, (o: unknown) => unknown][] = [
    ['tensor', (o) => lc.tensor([1], [1], o as never)],
    ['zeros', (o) => lc.zeros([1], o as never)],
    ['ones', (o) => lc.ones([1], o as never)],
    ['full', (o) => lc.full([1], 0, o as never)],
    ['randn', (o) => lc.randn([1], o as never)],
    ['fftConv', (o) => lc.fftConv(x3, k2, o as never)],
    ['cauchy', (o) => lc.cauchy(v, z, v, o as never)],
    ['multiresConv', (o) => lc.multiresConv(x3, h, h, w5, o as never)],
    ['layerNorm', (o) => lc.layerNorm(x3, null, null, o as never)],
    ['batchNorm', (o) => lc.batchNorm(x3, null, null, null, null, o as never)],
    ['linear', (o) => lc.linear(x3, lc.zeros([2, 8]), null, o as never)],
    ['dropout', (o) => lc.dropout(x3, 0.5, o as never)],
    ['kernels.s4d', (o) => lc.kernels.s4d({ A, C: v, dt }, 8, o as never)],
    ['kernels.sgconv', (o) => lc.kernels.sgconv([sub], 8, o as never)],
    ['init.s4dLin', (o) => lc.init.s4dLin(2, 4, o as never)],
    ['init.s4dInv', (o) => lc.init.s4dInv(2, 4, o as never)],
    ['init.hippoLegS', (o) => lc.init.hippoLegS(4, o as never)],
    ['init.logDt', (o) => lc.init.logDt(2, 1e-3, 1e-1, o as never)],
    ['nn.Linear', (o) => new lc.nn.Linear(2, 2, o as never)],
    ['nn.LayerNorm', (o) => new lc.nn.LayerNorm(2, o as never)],
    ['nn.BatchNorm', (o) => new lc.nn.BatchNorm(2, o as never)],
    ['nn.Dropout', (o) => new lc.nn.Dropout(0.1, o as never)],
    ['nn.RetrievalHead', (o) => new lc.nn.RetrievalHead(2, 2, o as never)],
    ['nn.Embedding', (o) => new lc.nn.Embedding(2, 2, o as never)],
    ['nn.S4D', (o) => new lc.nn.S4D(2, o as never)],
    ['nn.S4', (o) => new lc.nn.S4(2, (o && typeof o === 'object' ? { lMax: 8, dState: 4, ...o } : o) as never)],
    ['nn.SGConv', (o) => new lc.nn.SGConv(2, (o && typeof o === 'object' ? { lMax: 8, ...o } : o) as never)],
    ['nn.MultiresConv', (o) => new lc.nn.MultiresConv(2, (o && typeof o === 'object' ? { lMax: 8, ...o } : o) as never)],
    ['nn.ResidualBlock', (o) => new lc.nn.ResidualBlock(new lc.nn.GELU(), (o && typeof o === 'object' ? { dModel: 2, ...o } : o) as never)],
    ['nn.SequenceClassifier', (o) => new lc.nn.SequenceClassifier((o && typeof o === 'object' ? { dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, ...o } : o) as never)],
    ['Module.loadStateDict', (o) => linearModule.loadStateDict(linearModule.stateDict(), o as never)],
    ['optim.AdamW', (o) => new lc.optim.AdamW(linearModule, o as never)],
    ['optim.AdamW groups', (o) => new lc.optim.AdamW(linearModule, { groups: o } as never)],
    ['optim.cosineSchedule', (o) => lc.optim.cosineSchedule((o && typeof o === 'object' ? { warmup: 0, total: 1, ...o } : o) as never)],
    ['io.save', (o) => lc.io.save(path.join(dir, 'm.safetensors'), linearModule, o as never)],
    ['io.load', (o) => lc.io.load(path.join(dir, 'm.safetensors'), linearModule, o as never)],
    ['io.loadPyTorch', (o) => lc.io.loadPyTorch(path.join(dir, 'm.safetensors'), linearModule, o as never)],
    ['io.savePyTorch', (o) => lc.io.savePyTorch(path.join(dir, 'p.safetensors'), linearModule, o as never)],
    ['data.listopsTask', (o) => lc.data.listopsTask(o as never)],
    ['data.copyTask', (o) => lc.data.copyTask(o as never)],
    ['data.recallTask', (o) => lc.data.recallTask(o as never)],
    ['data.cifarFiles', (o) => lc.data.cifarFiles(o as never)],
    ['data.listopsFiles', (o) => lc.data.listopsFiles(o as never)],
    ['data.imdbFiles', (o) => lc.data.imdbFiles(o as never)],
    ['data.aanFiles', (o) => lc.data.aanFiles(o as never)],
    ['data.pathfinderFiles', (o) => lc.data.pathfinderFiles(o as never)],
    ['data.mnistFiles', (o) => lc.data.mnistFiles(o as never)],
    ['data.customFiles', (o) => lc.data.customFiles(o as never)],
  ];
  beforeAll(() => lc.io.save(path.join(dir, 'm.safetensors'), linearModule));

  for (const [label, call] of withOptions) {
    test(label, () => {
      lc.tidy(() => {
        expectError(() => call({ bogus: 1 }), TypeError, /options.*: expected (an options object|only the options) .*unknown option 'bogus'$/);
        expectError(() => call(5), TypeError, /options.*: expected an options object .*, got number 5$/);
        expectError(() => call(null), TypeError, /options.*: expected an options object .*, got null$/);
        expectError(() => call('x'), TypeError, /options.*: expected an options object .*, got string x$/);
      });
    });
  }
});

describe('integers, numbers and booleans: no coercion, one template, undefined included', () => {
  // [label, call with the value under test, the argument's name, a valid value's kind]
  const integers: [string, (n: unknown) => unknown, string][] = [
    ['vandermonde L', (n) => lc.vandermonde(v, v, n as never), 'L'],
    ['rfft n', (n) => lc.rfft(x3, n === undefined ? 'undef' as never : (n as never)), 'n'],
    ['irfft n', (n) => lc.irfft(lc.rfft(k2), n as never), 'n'],
    ['multiresDepth L', (n) => lc.multiresDepth(n as never, 2), 'L'],
    ['narrow start', (n) => lc.narrow(x3, 2, n as never, 1), 'start'],
    ['pad before', (n) => lc.pad(x3, 2, n as never, 0), 'before'],
    ['transpose axis0', (n) => lc.transpose(x3, n as never, 1), 'axis0'],
    ['sum axes', (n) => lc.sum(x3, n === undefined ? 'none' as never : (n as never)), 'axes'],
    ['kernels.s4 L', (n) => lc.kernels.s4({ Lambda, P, B, Ct: B, dt }, n as never), 'L'],
    ['kernels.sgconv L', (n) => lc.kernels.sgconv([sub], n as never), 'L'],
    ['init.s4dLin H', (n) => lc.init.s4dLin(n as never, 4), 'H'],
    ['init.hippoLegS N', (n) => lc.init.hippoLegS(n as never), 'N'],
    ['setNumThreads n', (n) => lc.setNumThreads(n as never), 'n'],
    ['nn.Linear inFeatures', (n) => new lc.nn.Linear(n as never, 2), 'inFeatures'],
    ['nn.S4D H', (n) => new lc.nn.S4D(n as never), 'H'],
    ['nn.S4D dState', (n) => new lc.nn.S4D(2, { dState: n === undefined ? null as never : (n as never) }), 'options.dState'],
    ['nn.S4 lMax', (n) => new lc.nn.S4(2, { dState: 4, lMax: n as never }), 'options.lMax'],
    ['nn.SGConv kernelDim', (n) => new lc.nn.SGConv(2, { lMax: 8, kernelDim: n === undefined ? null as never : (n as never) }), 'options.kernelDim'],
    ['nn.MultiresConv kernelSize', (n) => new lc.nn.MultiresConv(2, { lMax: 8, kernelSize: n === undefined ? null as never : (n as never) }), 'options.kernelSize'],
    ['nn.SequenceClassifier nLayers', (n) => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: n as never, nClasses: 2, layer: { type: 's4d' } }), 'options.nLayers'],
    ['S4D defaultState batch', (n) => new lc.nn.S4D(2, { dState: 4 }).defaultState(n as never), 'batch'],
    ['dropout options.seed', (n) => lc.dropout(x3, 0.5, { seed: n === undefined ? null as never : (n as never) }), 'options.seed'],
    ['optim.cosineSchedule warmup', (n) => lc.optim.cosineSchedule({ warmup: n as never, total: 10 }), 'cosineSchedule options.warmup'],
    ['data.copyTask options.L', (n) => lc.data.copyTask({ L: n === undefined ? null as never : (n as never), nTrain: 1, nTest: 1 }), 'options.L'],
    ['data.permutation n', (n) => lc.data.permutation(n as never, Math.random), 'n'],
  ];
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [label, call, name] of integers) {
    test(label, () => {
      lc.tidy(() => {
        const named = new RegExp(`^${escape(name)}: expected `);
        for (const bad of [1.5, '3', NaN, true, null]) expectError(() => call(bad), TypeError, named);
        expectError(() => call(-(2 ** 60)), RangeError, named);
      });
    });
  }

  test('undefined for a required integer names the argument', () => {
    expectError(() => lc.vandermonde(v, v, undefined as never), TypeError, /^L: expected an integer >= 1, got undefined$/);
    expectError(() => lc.irfft(lc.rfft(k2), undefined as never), TypeError, /^n: expected an integer >= 1, got undefined$/);
    expectError(() => new lc.nn.S4(2, { dState: 4 } as never), TypeError, /^options\.lMax: expected an integer >= 1, got undefined$/);
    expectError(() => lc.optim.cosineSchedule({ total: 10 } as never), TypeError, /^cosineSchedule options\.warmup: expected an integer >= 0, got undefined$/);
    expectError(() => lc.optim.cosineSchedule(undefined as never), TypeError, /^cosineSchedule options: expected an options object \{warmup, total, minScale\?\}, got undefined$/);
  });

  const numbers: [string, (x: unknown) => unknown, string][] = [
    ['scale s', (s) => lc.scale(x3, s as never), 's'],
    ['addScalar s', (s) => lc.addScalar(x3, s as never), 's'],
    ['dropout p', (p) => lc.dropout(x3, p as never), 'p'],
    ['layerNorm options.eps', (e) => lc.layerNorm(x3, null, null, { eps: e === undefined ? null as never : (e as never) }), 'options.eps'],
    ['init.logDt dtMin', (d) => lc.init.logDt(2, d === undefined ? null as never : (d as never)), 'dtMin'],
    ['nn.Dropout p', (p) => new lc.nn.Dropout(p as never), 'p'],
    ['nn.S4D options.dropout', (p) => new lc.nn.S4D(2, { dropout: p === undefined ? null as never : (p as never) }), 'options.dropout'],
    ['nn.SGConv options.decay', (d) => new lc.nn.SGConv(2, { lMax: 8, decay: d === undefined ? null as never : (d as never) }), 'options.decay'],
    ['optim.AdamW options.lr', (r) => new lc.optim.AdamW(linearModule, { lr: r === undefined ? null as never : (r as never) }), 'AdamW options.lr'],
    ['AdamW setLrScale', (s) => new lc.optim.AdamW(linearModule).setLrScale(s as never), 's'],
    ['optim.clipGradNorm maxNorm', (m) => lc.optim.clipGradNorm(linearModule, m as never), 'maxNorm'],
    ['randn options.mean', (m) => lc.randn([1], { mean: m === undefined ? null as never : (m as never) }), 'options.mean'],
    ['batchNorm options.momentum', (m) => lc.batchNorm(x3, null, null, null, null, { momentum: m === undefined ? null as never : (m as never) }), 'options.momentum'],
    ['nn.BatchNorm options.eps', (e) => new lc.nn.BatchNorm(2, { eps: e === undefined ? null as never : (e as never) }), 'options.eps'],
    ['data.cifarFiles options.valFraction', (f) => lc.data.cifarFiles({ dataDir: '/nonexistent', valFraction: f === undefined ? null as never : (f as never) }), 'options.valFraction'],
  ];
  for (const [label, call, name] of numbers) {
    test(label, () => {
      lc.tidy(() => {
        const named = new RegExp(`^${escape(name)}: expected `);
        for (const bad of ['1', NaN, true, null, [1], undefined]) expectError(() => call(bad), TypeError, named);
        expectError(() => call(Infinity), RangeError, named);
      });
    });
  }

  const booleans: [string, (b: unknown) => unknown, string][] = [
    ['cauchy options.conj', (b) => lc.cauchy(v, z, v, { conj: b as never }), 'options.conj'],
    ['dropout options.training', (b) => lc.dropout(x3, 0.5, { training: b as never }), 'options.training'],
    ['sum keepDims', (b) => lc.sum(x3, 0, b as never), 'keepDims'],
    ['max keepDims', (b) => lc.max(x3, 0, b as never), 'keepDims'],
    ['argmin keepDims', (b) => lc.argmin(x3, undefined, b as never), 'keepDims'],
    ['nn.Linear options.bias', (b) => new lc.nn.Linear(2, 2, { bias: b as never }), 'options.bias'],
    ['nn.S4D options.bidirectional', (b) => new lc.nn.S4D(2, { bidirectional: b as never }), 'options.bidirectional'],
    ['nn.S4 options.bidirectional', (b) => new lc.nn.S4(2, { lMax: 8, dState: 4, bidirectional: b as never }), 'options.bidirectional'],
    ['nn.SGConv options.glu', (b) => new lc.nn.SGConv(2, { lMax: 8, glu: b as never }), 'options.glu'],
    ['nn.ResidualBlock options.prenorm', (b) => new lc.nn.ResidualBlock(new lc.nn.GELU(), { dModel: 2, prenorm: b as never }), 'options.prenorm'],
    ['Module.train mode', (b) => linearModule.train(b as never), 'mode'],
    ['Module.loadStateDict options.strict', (b) => linearModule.loadStateDict(linearModule.stateDict(), { strict: b as never }), 'options.strict'],
    ['data.mnistTask permuted', (b) => lc.data.mnistTask(b as never), 'permuted'],
    ['batchNorm options.training', (b) => lc.batchNorm(x3, null, null, null, null, { training: b as never }), 'options.training'],
    ['dropout options.tied', (b) => lc.dropout(x3, 0.5, { tied: b as never }), 'options.tied'],
    ['nn.Dropout options.tied', (b) => new lc.nn.Dropout(0.5, { tied: b as never }), 'options.tied'],
    ['nn.MultiresConv options.bidirectional', (b) => new lc.nn.MultiresConv(2, { lMax: 8, bidirectional: b as never }), 'options.bidirectional'],
    ['nn.S4D options.tiedDropout', (b) => new lc.nn.S4D(2, { tiedDropout: b as never }), 'options.tiedDropout'],
    ['nn.SequenceClassifier options.finalNorm', (b) => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, finalNorm: b as never }), 'options.finalNorm'],
    ['data.cifarFiles options.grayscale', (b) => lc.data.cifarFiles({ dataDir: '/nonexistent', grayscale: b as never }), 'options.grayscale'],
    ['Tensor#requiresGrad', (b) => (lc.zeros([1]).requiresGrad = b as never), 'requiresGrad'],
  ];
  for (const [label, call, name] of booleans) {
    test(label, () => {
      lc.tidy(() => {
        const named = new RegExp(`^${escape(name)}: expected a boolean, got `);
        for (const bad of ['true', 1, 0, null, {}]) expectError(() => call(bad), TypeError, named);
      });
      linearModule.train();
    });
  }

  test('enums: an unknown choice is a TypeError listing the choices', () => {
    expectError(() => lc.zeros([1], { device: 'gpu' as never }), TypeError, /^options\.device: expected 'cpu', 'cuda' or 'auto', got string gpu$/);
    expectError(() => lc.kernels.s4d({ A, C: v, dt }, 8, { disc: 'euler' as never }), TypeError, /^options\.disc: expected 'zoh' or 'bilinear', got string euler$/);
    expectError(() => new lc.nn.S4D(2, { init: 'legs' as never }), TypeError, /^options\.init: expected 'lin' or 'inv', got string legs$/);
    expectError(() => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, pool: 'max' as never }), TypeError, /^options\.pool: expected 'mean', 'last' or 'none', got string max$/);
    expectError(() => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 'lstm' as never } }), TypeError, /^options\.layer\.type: expected 's4d', 's4', 'sgconv' or 'multires', got string lstm$/);
    expectError(() => new lc.optim.AdamW(linearModule).lr('bias' as never), TypeError, /^group: expected 'default', 'ssm' or 'noDecay', got string bias$/);
    expectError(() => lc.data.applyOp('[SUM' as never, [1]), TypeError, /^op: expected '\[MAX', '\[MIN', '\[MED' or '\[SM', got string \[SUM$/);
    expectError(() => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, norm: 'group' as never }), TypeError, /^options\.norm: expected 'layer' or 'batch', got string group$/);
    expectError(() => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 2, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, head: 'pair' as never }), TypeError, /^options\.head: expected 'linear' or 'retrieval', got string pair$/);
    expectError(() => lc.data.pathfinderFiles({ dataDir: '/nonexistent', resolution: 64 as never }), TypeError, /^options\.resolution: expected 32 or 128, got number 64$/);
  });
});

import * as lc from '../lib';
import { cudaSuite, gpu } from './devices';
import { expectClose, liveMemory, settledMemory } from './helpers';

// The layer skeleton shared by every module: to() drops the tensors derived from the
// parameters (the streaming constants of S4D and S4) for every module of the tree, so a
// step after to() never mixes devices; one seed scheme; one input check.

type Streaming = lc.nn.S4D | lc.nn.S4;
const streamingLayers: [string, () => Streaming][] = [
  ['S4D', () => new lc.nn.S4D(3, { dState: 8, seed: 1 })],
  ['S4', () => new lc.nn.S4(3, { dState: 8, lMax: 16, seed: 1 })],
];

describe('to() drops the streaming constants of every layer', () => {
  for (const [name, make] of streamingLayers) {
    test(`${name}: setupStep(), to(), step() asks for setupStep() again and frees the constants`, () => {
      const layer = make().eval();
      const x = lc.randn([2, 3], { seed: 2 });
      const state = layer.defaultState(2);
      const withoutConstants = liveMemory(settledMemory()).cpu;
      layer.setupStep();
      expect(lc.memory().cpu.tensors).toBeGreaterThan(withoutConstants.tensors);
      layer.to('cpu');
      expect(liveMemory().cpu).toEqual(withoutConstants); // the constants are gone
      expect(() => layer.step(x, state)).toThrow(/call setupStep\(\) first/);
      layer.setupStep();
      lc.tidy(() => expect(layer.step(x, state)[0].shape).toEqual([2, 3]));
      lc.dispose([x, state]);
      layer.dispose();
    });
  }

  test('inside a model: to() on the parent drops the constants of its layers', () => {
    const model = new lc.nn.SequenceClassifier({ dInput: 1, dModel: 3, nLayers: 2, nClasses: 2, layer: { type: 's4d', dState: 4 }, seed: 0 });
    const layers = model.namedModules().filter(([, m]) => m instanceof lc.nn.S4D).map(([, m]) => m as lc.nn.S4D);
    expect(layers).toHaveLength(2);
    const before = settledMemory().cpu.tensors;
    layers.forEach((l) => l.setupStep());
    model.to('cpu');
    expect(lc.memory().cpu.tensors).toBe(before);
    const x = lc.zeros([1, 3]);
    const state = layers[0].defaultState(1);
    expect(() => layers[0].step(x, state)).toThrow(/call setupStep\(\) first/);
    lc.dispose([x, state]);
    model.dispose();
  });

  test('dispose() frees the constants too', () => {
    const before = liveMemory(settledMemory()).cpu;
    for (const [, make] of streamingLayers) {
      const layer = make();
      layer.setupStep();
      layer.dispose();
    }
    expect(liveMemory().cpu).toEqual(before);
  });
});

cudaSuite('streaming after to(device)')('streaming after to(device)', () => {
  for (const [name, make] of streamingLayers) {
    test(`${name}: setupStep() on the CPU, to('cuda'), step() throws until setupStep() runs on the GPU, then matches the CPU`, () => {
      const onCpu = make().eval();
      const moved = make().eval();
      lc.tidy(() => {
        const x = lc.randn([2, 3], { seed: 3 });
        onCpu.setupStep();
        const [yc] = onCpu.step(x, onCpu.defaultState(2));
        moved.setupStep(); // on the CPU
        moved.to(gpu);
        const xg = x.to(gpu);
        expect(() => moved.step(xg, moved.defaultState(2))).toThrow(/call setupStep\(\) first/);
        moved.setupStep();
        const [yg] = moved.step(xg, moved.defaultState(2));
        expect(yg.device).toBe(gpu);
        expectClose(yg.toFloat32Array(), yc.toFloat32Array(), 1e-4);
      });
      [onCpu, moved].forEach((l) => l.dispose());
    });
  }
});

describe('one seed scheme', () => {
  const makers: [string, (seed?: number) => lc.nn.Module][] = [
    ['S4D', (seed) => new lc.nn.S4D(3, { dState: 4, seed })],
    ['S4', (seed) => new lc.nn.S4(3, { dState: 4, lMax: 8, seed })],
    ['SGConv', (seed) => new lc.nn.SGConv(3, { lMax: 8, kernelDim: 4, seed })],
    ['MultiresConv', (seed) => new lc.nn.MultiresConv(3, { lMax: 8, seed })],
    ['Linear', (seed) => new lc.nn.Linear(3, 2, { seed })],
  ];
  const values = (m: lc.nn.Module) => m.namedParameters().map(([n, p]) => [n, Array.from(p.toFloat32Array())]);
  for (const [name, make] of makers) {
    test(`${name}: the same seed gives the same weights, lc.seed() fixes the unseeded ones`, () => {
      const [a, b, c] = [make(5), make(5), make(6)];
      expect(values(a)).toEqual(values(b));
      expect(values(a)).not.toEqual(values(c));
      lc.seed(9);
      const d = make();
      lc.seed(9);
      const e = make();
      expect(values(d)).toEqual(values(e));
      [a, b, c, d, e].forEach((m) => m.dispose());
    });
  }

  test('a bad seed is named', () => {
    expect(() => new lc.nn.S4D(3, { seed: 'a' as never })).toThrow(/^options\.seed: expected an integer >= 0, got string a/);
    expect(() => new lc.nn.SGConv(3, { lMax: 8, seed: NaN })).toThrow(/^options\.seed: expected an integer >= 0, got number NaN/);
    expect(() => new lc.nn.MultiresConv(3, { lMax: 8, seed: -1 })).toThrow(RangeError);
  });
});

describe('one input check and one boolean check for every layer', () => {
  const layers: [string, () => lc.nn.Module & { forward(x: lc.Tensor): lc.Tensor }][] = [
    ['S4D', () => new lc.nn.S4D(3, { dState: 4, lMax: 8, seed: 1 })],
    ['S4', () => new lc.nn.S4(3, { dState: 4, lMax: 8, seed: 1 })],
    ['MultiresConv', () => new lc.nn.MultiresConv(3, { lMax: 8, seed: 1 })],
  ];
  for (const [name, make] of layers) {
    test(`${name}: rank, width, length, emptiness and device, in one wording`, () => {
      const layer = make();
      lc.tidy(() => {
        expect(() => layer.forward(lc.zeros([3, 8]))).toThrow(/^x: expected rank 3 \(\[B,H,L\]\), got shape \[3,8\]/);
        expect(() => layer.forward(lc.zeros([1, 4, 8]))).toThrow(new RegExp(`^x: expected size 3 along axis 1 \\(H, the width of this ${name} layer\\), got shape \\[1,4,8\\]`));
        expect(() => layer.forward(lc.zeros([1, 3, 9]))).toThrow(new RegExp(`^x: expected a length L <= lMax = 8 \\(the longest input of this ${name} layer\\), got shape \\[1,3,9\\]`));
        expect(() => layer.forward(lc.zeros([0, 3, 8]))).toThrow(/^x: expected every dimension >= 1, got shape \[0,3,8\]/);
      });
      layer.dispose();
    });
  }

  test('booleans: no coercion, the same message everywhere', () => {
    expect(() => new lc.nn.S4D(3, { bidirectional: 'yes' as never })).toThrow(/^options\.bidirectional: expected a boolean, got string yes/);
    expect(() => new lc.nn.S4(3, { lMax: 8, bidirectional: 1 as never })).toThrow(/^options\.bidirectional: expected a boolean, got number 1/);
    expect(() => new lc.nn.SGConv(3, { lMax: 8, glu: 'true' as never })).toThrow(/^options\.glu: expected a boolean, got string true/);
    expect(() => new lc.nn.Linear(3, 2, { bias: 0 as never })).toThrow(/^options\.bias: expected a boolean, got number 0/);
    expect(() => new lc.nn.SequenceClassifier({ dInput: 1, dModel: 3, nLayers: 1, nClasses: 2, layer: { type: 's4d' }, prenorm: 1 as never })).toThrow(/^options\.prenorm: expected a boolean, got number 1/);
    const layer = new lc.nn.Linear(3, 2);
    expect(() => layer.train('no' as never)).toThrow(/^mode: expected a boolean, got string no/);
    expect(() => layer.loadStateDict(layer.stateDict(), { strict: 'no' as never })).toThrow(/^options\.strict: expected a boolean, got string no/);
    layer.dispose();
  });
});
